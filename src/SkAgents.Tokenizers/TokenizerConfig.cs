using System.Text.Json;

namespace SkAgents.Tokenizers;

/// <summary>The special tokens a tokenizer declares (from <c>tokenizer_config.json</c> when present).</summary>
public sealed class SpecialTokens
{
    /// <summary>Gets the beginning-of-sequence token, if any.</summary>
    public string? BosToken { get; init; }

    /// <summary>Gets the id of <see cref="BosToken"/>, if it is in the vocabulary.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>Gets the end-of-sequence token, if any.</summary>
    public string? EosToken { get; init; }

    /// <summary>Gets the id of <see cref="EosToken"/>, if it is in the vocabulary.</summary>
    public int? EosTokenId { get; init; }

    /// <summary>Gets the padding token, if any.</summary>
    public string? PadToken { get; init; }

    /// <summary>Gets the id of <see cref="PadToken"/>, if it is in the vocabulary.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>Gets the unknown-word token, if any.</summary>
    public string? UnkToken { get; init; }

    /// <summary>Gets the id of <see cref="UnkToken"/>, if it is in the vocabulary.</summary>
    public int? UnkTokenId { get; init; }

    /// <summary>Gets a value indicating whether the model expects a BOS token at the start (<c>add_bos_token</c>).</summary>
    public bool AddBosToken { get; init; }

    /// <summary>Gets a value indicating whether the model expects an EOS token at the end (<c>add_eos_token</c>).</summary>
    public bool AddEosToken { get; init; }

    /// <summary>Gets the <c>additional_special_tokens</c> list.</summary>
    public IReadOnlyList<string> AdditionalSpecialTokens { get; init; } = [];
}

/// <summary>What this library reads from <c>tokenizer_config.json</c>.</summary>
internal sealed class TokenizerConfig
{
    public string? Bos { get; private init; }

    public string? Eos { get; private init; }

    public string? Pad { get; private init; }

    public string? Unk { get; private init; }

    public bool? AddBos { get; private init; }

    public bool? AddEos { get; private init; }

    public string? ChatTemplate { get; private init; }

    public int? ModelMaxLength { get; private init; }

    public IReadOnlyList<string> Additional { get; private init; } = [];

    public static TokenizerConfig Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new TokenizerFormatException($"tokenizer_config.json is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = new JsonNav(document.RootElement, "$");
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new TokenizerFormatException("tokenizer_config.json must hold a JSON object", "$");
            }

            int? maxLength = null;
            if (root.TryGet("model_max_length", out var max) && max.Element.ValueKind == JsonValueKind.Number && max.Element.TryGetDouble(out var value) && value <= int.MaxValue)
            {
                maxLength = (int)value;
            }

            var additional = new List<string>();
            if (root.TryGet("additional_special_tokens", out var list) && list.Element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in list.Items())
                {
                    if (TokenText(item) is { } text)
                    {
                        additional.Add(text);
                    }
                }
            }

            return new TokenizerConfig
            {
                Bos = Token(root, "bos_token"),
                Eos = Token(root, "eos_token"),
                Pad = Token(root, "pad_token"),
                Unk = Token(root, "unk_token"),
                AddBos = root.OptionalBool("add_bos_token"),
                AddEos = root.OptionalBool("add_eos_token"),
                ChatTemplate = ReadChatTemplate(root),
                ModelMaxLength = maxLength,
                Additional = additional,
            };
        }
    }

    private static string? Token(JsonNav root, string name) => root.TryGet(name, out var value) ? TokenText(value) : null;

    private static string? TokenText(JsonNav value) => value.Element.ValueKind switch
    {
        JsonValueKind.String => value.Element.GetString(),
        JsonValueKind.Object => value.String("content"),
        _ => null,
    };

    private static string? ReadChatTemplate(JsonNav root)
    {
        if (!root.TryGet("chat_template", out var template))
        {
            return null;
        }

        if (template.Element.ValueKind == JsonValueKind.String)
        {
            return template.Element.GetString();
        }

        if (template.Element.ValueKind == JsonValueKind.Array)
        {
            // A list of {name, template}: the "default" one, else the first.
            string? first = null;
            foreach (var item in template.Items())
            {
                var text = item.String("template");
                first ??= text;
                if (item.String("name") == "default")
                {
                    return text;
                }
            }

            return first;
        }

        return null;
    }
}
