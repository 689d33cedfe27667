using System.Text;
using System.Text.Json.Nodes;

namespace SkAgents.ModelFactory.Models;

/// <summary>The chat family a tiny test model imitates: its special tokens, model type and end tokens.</summary>
public enum TinyChatStyle
{
    /// <summary>Qwen2.5 (ChatML, Hermes tool calls): <c>&lt;|endoftext|&gt;</c>, <c>&lt;|im_start|&gt;</c>, <c>&lt;|im_end|&gt;</c>, <c>&lt;tool_call&gt;</c>, <c>&lt;/tool_call&gt;</c>; type qwen2.</summary>
    Qwen,

    /// <summary>Phi-3-mini: <c>&lt;|endoftext|&gt;</c>, <c>&lt;|assistant|&gt;</c>, <c>&lt;|system|&gt;</c>, <c>&lt;|end|&gt;</c>, <c>&lt;|user|&gt;</c> (rstrip); type phi3.</summary>
    Phi3,

    /// <summary>Phi-4-mini: Phi-3's markers without rstrip plus <c>&lt;|tool|&gt;</c>, <c>&lt;|/tool|&gt;</c>, <c>&lt;|tool_call|&gt;</c>, <c>&lt;|/tool_call|&gt;</c>, <c>&lt;|tool_response|&gt;</c>; type phi3.</summary>
    Phi4Mini,
}

/// <summary>One added token of a tiny vocabulary.</summary>
/// <param name="Id">Token id.</param>
/// <param name="Content">Token text.</param>
/// <param name="Special">Whether decoding with skip-special drops it.</param>
/// <param name="RStrip">Whether whitespace right of it is absorbed when encoding.</param>
public sealed record TinyAddedToken(int Id, string Content, bool Special, bool RStrip);

/// <summary>
/// The vocabulary of the tiny test models: ids 0–255 are the 256 bytes (GPT-2 byte-level characters, no merges, so any
/// text encodes to its UTF-8 bytes), then the chat style's added tokens from 256. The model's vocabulary is padded to a
/// multiple of 16. <see cref="Encode"/> reproduces what the written tokenizer.json produces, without a tokenizer library.
/// </summary>
public sealed class TinyVocabulary
{
    private readonly Dictionary<string, TinyAddedToken> _byContent;

    private TinyVocabulary(TinyChatStyle style, IReadOnlyList<TinyAddedToken> added, string modelType, string[] eos, string pad, string? bos, string anchor, int replyOffset, string turnEnd)
    {
        Style = style;
        AddedTokens = added;
        _byContent = added.ToDictionary(t => t.Content, StringComparer.Ordinal);
        ModelType = modelType;
        EosTokenIds = [.. eos.Select(Id)];
        PadTokenId = Id(pad);
        BosTokenId = bos is null ? null : Id(bos);
        AnchorTokenId = Id(anchor);
        ReplyOffset = replyOffset;
        TurnEndTokenId = Id(turnEnd);
        TokenizerSize = 256 + added.Count;
        ModelVocabularySize = (TokenizerSize + 15) / 16 * 16;
    }

    /// <summary>Gets the chat style.</summary>
    public TinyChatStyle Style { get; }

    /// <summary>Gets the added tokens (ids from 256).</summary>
    public IReadOnlyList<TinyAddedToken> AddedTokens { get; }

    /// <summary>Gets genai_config's model.type (qwen2 or phi3).</summary>
    public string ModelType { get; }

    /// <summary>Gets the end-of-sequence ids written to genai_config.json.</summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>Gets the padding id.</summary>
    public int PadTokenId { get; }

    /// <summary>Gets the BOS id, if the style has one.</summary>
    public int? BosTokenId { get; }

    /// <summary>Gets the token that opens the assistant's turn (<c>&lt;|im_start|&gt;</c> or <c>&lt;|assistant|&gt;</c>), used as the script anchor.</summary>
    public int AnchorTokenId { get; }

    /// <summary>
    /// Gets how many tokens follow the anchor in the style's generation prompt (<c>&lt;|im_start|&gt;assistant\n</c>: 10;
    /// Phi-3's <c>&lt;|assistant|&gt;\n</c>: 0 because the marker absorbs the newline; Phi-4-mini: 0).
    /// </summary>
    public int ReplyOffset { get; }

    /// <summary>Gets the token that ends an assistant turn (<c>&lt;|im_end|&gt;</c> or <c>&lt;|end|&gt;</c>).</summary>
    public int TurnEndTokenId { get; }

    /// <summary>Gets the number of ids the tokenizer knows (256 bytes plus the added tokens).</summary>
    public int TokenizerSize { get; }

    /// <summary>Gets the logits width (the tokenizer size padded to a multiple of 16).</summary>
    public int ModelVocabularySize { get; }

    /// <summary>The vocabulary of a chat style.</summary>
    /// <param name="style">The style.</param>
    /// <returns>The vocabulary.</returns>
    public static TinyVocabulary For(TinyChatStyle style) => style switch
    {
        TinyChatStyle.Qwen => Create(
            style,
            [("<|endoftext|>", true, false), ("<|im_start|>", true, false), ("<|im_end|>", true, false), ("<tool_call>", false, false), ("</tool_call>", false, false)],
            "qwen2", ["<|im_end|>", "<|endoftext|>"], "<|endoftext|>", null, "<|im_start|>", "assistant\n".Length, "<|im_end|>"),
        TinyChatStyle.Phi3 => Create(
            style,
            [("<|endoftext|>", true, false), ("<|assistant|>", true, true), ("<|system|>", true, true), ("<|end|>", true, true), ("<|user|>", true, true)],
            "phi3", ["<|endoftext|>", "<|assistant|>", "<|end|>"], "<|endoftext|>", null, "<|assistant|>", 0, "<|end|>"),
        TinyChatStyle.Phi4Mini => Create(
            style,
            [
                ("<|endoftext|>", true, false), ("<|assistant|>", true, false), ("<|end|>", true, false), ("<|user|>", true, false), ("<|system|>", true, false),
                ("<|tool|>", false, false), ("<|/tool|>", false, false), ("<|tool_call|>", false, false), ("<|/tool_call|>", false, false), ("<|tool_response|>", false, false),
            ],
            "phi3", ["<|endoftext|>", "<|end|>"], "<|endoftext|>", "<|endoftext|>", "<|assistant|>", 0, "<|end|>"),
        _ => throw new ArgumentOutOfRangeException(nameof(style), style, null),
    };

    /// <summary>The id of an added token.</summary>
    /// <param name="content">Token text, e.g. <c>&lt;|im_end|&gt;</c>.</param>
    /// <returns>The id.</returns>
    public int Id(string content) =>
        _byContent.TryGetValue(content, out var token) ? token.Id : throw new KeyNotFoundException($"'{content}' is not an added token of the {Style} vocabulary.");

    /// <summary>Encodes text as the written tokenizer.json does: added tokens are matched first, everything else is UTF-8 bytes.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The ids.</returns>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        int start = 0;
        int i = 0;
        while (i < text.Length)
        {
            var match = AddedTokens.Where(t => string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) == 0).MaxBy(t => t.Content.Length);
            if (match is null)
            {
                i++;
                continue;
            }

            ids.AddRange(Encoding.UTF8.GetBytes(text[start..i]).Select(b => (int)b));
            ids.Add(match.Id);
            i += match.Content.Length;
            if (match.RStrip)
            {
                while (i < text.Length && char.IsWhiteSpace(text[i]))
                {
                    i++;
                }
            }

            start = i;
        }

        ids.AddRange(Encoding.UTF8.GetBytes(text[start..]).Select(b => (int)b));
        return [.. ids];
    }

    /// <summary>Decodes ids (bytes and added tokens) back to text.</summary>
    /// <param name="ids">The ids.</param>
    /// <returns>The text.</returns>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (id < 256)
            {
                bytes.Add((byte)id);
                continue;
            }

            text.Append(Encoding.UTF8.GetString([.. bytes]));
            bytes.Clear();
            text.Append(AddedTokens.FirstOrDefault(t => t.Id == id)?.Content ?? $"<unused{id}>");
        }

        return text.Append(Encoding.UTF8.GetString([.. bytes])).ToString();
    }

    /// <summary>The tokenizer.json text: byte-level BPE over the 256 bytes, no merges, the added tokens.</summary>
    /// <returns>JSON.</returns>
    public string TokenizerJson()
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++)
        {
            vocab[ByteChar(b).ToString()] = b;
        }

        foreach (var token in AddedTokens)
        {
            vocab[token.Content] = token.Id;
        }

        var added = new JsonArray();
        foreach (var token in AddedTokens)
        {
            added.Add(new JsonObject
            {
                ["id"] = token.Id,
                ["content"] = token.Content,
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = token.RStrip,
                ["normalized"] = false,
                ["special"] = token.Special,
            });
        }

        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = true },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(),
            },
        };
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The tokenizer_config.json text (special tokens, no BOS added, model_max_length).</summary>
    /// <param name="modelMaxLength">model_max_length.</param>
    /// <returns>JSON.</returns>
    public string TokenizerConfigJson(int modelMaxLength)
    {
        var decoder = new JsonObject();
        foreach (var token in AddedTokens)
        {
            decoder[token.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = token.Content,
                ["lstrip"] = false,
                ["normalized"] = false,
                ["rstrip"] = token.RStrip,
                ["single_word"] = false,
                ["special"] = token.Special,
            };
        }

        var root = new JsonObject
        {
            ["add_bos_token"] = false,
            ["add_eos_token"] = false,
            ["added_tokens_decoder"] = decoder,
            ["bos_token"] = BosTokenId is { } bos ? Content(bos) : null,
            ["eos_token"] = Content(Style == TinyChatStyle.Qwen ? TurnEndTokenId : EosTokenIds[0]),
            ["pad_token"] = Content(PadTokenId),
            ["unk_token"] = null,
            ["model_max_length"] = modelMaxLength,
            ["clean_up_tokenization_spaces"] = false,
            ["tokenizer_class"] = Style == TinyChatStyle.Qwen ? "Qwen2Tokenizer" : "GPT2Tokenizer",
        };
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>GPT-2's byte-to-character map (bytes_to_unicode).</summary>
    /// <param name="b">A byte value.</param>
    /// <returns>Its printable character.</returns>
    public static char ByteChar(int b) => SkAgents.Testing.ByteLevelAlphabet.ByteChar(b);

    private string Content(int id) => AddedTokens.First(t => t.Id == id).Content;

    private static TinyVocabulary Create(TinyChatStyle style, (string Content, bool Special, bool RStrip)[] tokens, string type, string[] eos, string pad, string? bos, string anchor, int offset, string turnEnd)
    {
        var added = tokens.Select((t, i) => new TinyAddedToken(256 + i, t.Content, t.Special, t.RStrip)).ToList();
        return new TinyVocabulary(style, added, type, eos, pad, bos, anchor, offset, turnEnd);
    }
}
