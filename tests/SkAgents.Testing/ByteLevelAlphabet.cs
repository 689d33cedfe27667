using System.Text.Json.Nodes;

namespace SkAgents.Testing;

/// <summary>
/// Pieces of GPT-2-style byte-level BPE tokenizer.json documents for tests, written out independently of the
/// tokenizer library so tests check it against the published scheme.
/// </summary>
public static class ByteLevelAlphabet
{
    /// <summary>GPT-2's byte-to-character table (<c>bytes_to_unicode</c>).</summary>
    /// <param name="b">The byte, 0–255.</param>
    /// <returns>The printable character that stands for it.</returns>
    public static char ByteChar(int b)
    {
        if (IsPrintable(b))
        {
            return (char)b;
        }

        var n = 0;
        for (var i = 0; i < b; i++)
        {
            if (!IsPrintable(i))
            {
                n++;
            }
        }

        return (char)(256 + n);
    }

    /// <summary>A vocabulary whose ids 0–255 are the bytes' characters.</summary>
    /// <returns>The vocabulary object.</returns>
    public static JsonObject ByteVocabulary()
    {
        var vocab = new JsonObject();
        for (var b = 0; b < 256; b++)
        {
            vocab[ByteChar(b).ToString()] = b;
        }

        return vocab;
    }

    /// <summary>A BPE <c>model</c> section over a vocabulary and merges, with no byte fallback.</summary>
    /// <param name="vocab">The vocabulary.</param>
    /// <param name="merges">The merges (strings or pairs); none when null.</param>
    /// <returns>The model object.</returns>
    public static JsonObject BpeModel(JsonObject vocab, JsonArray? merges = null) => new()
    {
        ["type"] = "BPE",
        ["dropout"] = null,
        ["unk_token"] = null,
        ["continuing_subword_prefix"] = null,
        ["end_of_word_suffix"] = null,
        ["fuse_unk"] = false,
        ["byte_fallback"] = false,
        ["vocab"] = vocab,
        ["merges"] = merges ?? new JsonArray(),
    };

    private static bool IsPrintable(int b) => b is (>= 33 and <= 126) or (>= 161 and <= 172) or (>= 174 and <= 255);
}
