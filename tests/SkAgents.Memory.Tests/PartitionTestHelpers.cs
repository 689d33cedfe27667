using System.Text.Json.Nodes;
using SkAgents.Memory.Partitioning;
using SkAgents.Tokenizers;
using SkAgents.Testing;

namespace SkAgents.Memory.Tests;

internal static class PartitionTestHelpers
{
    /// <summary>A GPT-2 style byte-level BPE with no merges: one token per UTF-8 byte.</summary>
    public static Tokenizer ByteLevelTokenizer()
    {
        var vocab = ByteLevelAlphabet.ByteVocabulary();

        var model = ByteLevelAlphabet.BpeModel(vocab);
        var json = $$"""
        {
          "version": "1.0",
          "added_tokens": [],
          "normalizer": null,
          "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
          "post_processor": null,
          "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
          "model": {{model.ToJsonString()}}
        }
        """;
        return Tokenizer.FromJson(json);
    }

    /// <summary>A WordLevel tokenizer over whitespace-split words; unknown words map to [UNK].</summary>
    public static Tokenizer WordLevelTokenizer() => Tokenizer.FromJson("""
        {
          "version": "1.0",
          "added_tokens": [{"id": 0, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
          "normalizer": null,
          "pre_tokenizer": {"type": "WhitespaceSplit"},
          "post_processor": null,
          "decoder": null,
          "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "the": 1, "a": 2}, "unk_token": "[UNK]"}
        }
        """);

    public static void AssertWellFormed(IReadOnlyList<Partition> partitions, ITokenCounter counter, int max)
    {
        for (var i = 0; i < partitions.Count; i++)
        {
            var p = partitions[i];
            Assert.Equal(i, p.Number);
            Assert.False(string.IsNullOrWhiteSpace(p.Text));
            Assert.Equal(counter.CountTokens(p.Text), p.TokenCount);
            Assert.True(p.TokenCount <= max, $"partition {i} has {p.TokenCount} > {max} tokens:\n{p.Text}");
        }
    }
}
