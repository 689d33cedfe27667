using System.Text.Json;

namespace SkAgents.Tokenizers;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> tokenizer: normalizer, pre-tokenizer, model (BPE, WordPiece, WordLevel),
/// added tokens, post-processor and decoder, matching the reference <c>tokenizers</c> library id for id.
/// </summary>
/// <remarks>Instances are immutable and safe for concurrent use from several threads.</remarks>
public sealed class Tokenizer
{
    [ThreadStatic]
    private static List<(int Start, int End, AddedToken? Token)>? segmentScratch;

    [ThreadStatic]
    private static List<Piece>? pieceScratch;

    private readonly TokenizerModel model;
    private readonly Normalizer? normalizer;
    private readonly PreTokenizer? preTokenizer;
    private readonly PostProcessor postProcessor;
    private readonly Decoder? decoder;
    private readonly Dictionary<int, AddedToken> addedById;
    private readonly Dictionary<string, AddedToken> addedByContent;
    private readonly AddedTokenMatcher rawMatcher;
    private readonly AddedTokenMatcher normalizedMatcher;

    private Tokenizer(JsonNav root, TokenizerConfig? config)
    {
        model = TokenizerModel.Create(root.Required("model"));
        normalizer = root.TryGet("normalizer", out var n) ? Normalizer.Create(n) : null;
        preTokenizer = root.TryGet("pre_tokenizer", out var p) ? PreTokenizer.Create(p) : null;
        decoder = root.TryGet("decoder", out var d) ? Decoder.Create(d) : null;

        var added = new List<AddedToken>();
        if (root.TryGet("added_tokens", out var list))
        {
            foreach (var item in list.Items())
            {
                var special = item.Bool("special", false);
                added.Add(new AddedToken(
                    item.Required("id").AsInt(),
                    item.RequiredString("content"),
                    special,
                    item.Bool("single_word", false),
                    item.Bool("lstrip", false),
                    item.Bool("rstrip", false),
                    item.Bool("normalized", !special)));
            }
        }

        AddedTokens = added;
        addedById = [];
        addedByContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var token in added)
        {
            addedById[token.Id] = token;
            addedByContent[token.Content] = token;
        }

        rawMatcher = new AddedTokenMatcher(added.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        normalizedMatcher = new AddedTokenMatcher(added.Where(t => t.Normalized).Select(t => (normalizer?.Normalize(t.Content) ?? t.Content, t)));

        VocabularySize = Math.Max(model.Vocabulary.Size, added.Count == 0 ? 0 : added.Max(t => t.Id) + 1);
        ChatTemplate = config?.ChatTemplate;
        ModelMaxLength = config?.ModelMaxLength;
        SpecialTokens = new SpecialTokens
        {
            BosToken = config?.Bos,
            BosTokenId = IdOf(config?.Bos),
            EosToken = config?.Eos,
            EosTokenId = IdOf(config?.Eos),
            PadToken = config?.Pad,
            PadTokenId = IdOf(config?.Pad),
            UnkToken = config?.Unk ?? root.Required("model").String("unk_token"),
            UnkTokenId = IdOf(config?.Unk ?? root.Required("model").String("unk_token")),
            AddBosToken = config?.AddBos ?? false,
            AddEosToken = config?.AddEos ?? false,
            AdditionalSpecialTokens = config?.Additional ?? [],
        };

        var processor = root.TryGet("post_processor", out var pp) ? PostProcessor.Create(pp) : null;
        if (processor is null && (SpecialTokens.AddBosToken || SpecialTokens.AddEosToken))
        {
            // Like transformers' fast Llama/Gemma tokenizers: no post-processor in the file, BOS/EOS from the config flags.
            processor = TemplateProcessor.FromBosEos(
                SpecialTokens.AddBosToken ? SpecialTokens.BosTokenId : null,
                SpecialTokens.AddEosToken ? SpecialTokens.EosTokenId : null);
        }

        postProcessor = processor ?? new NoOpProcessor();
    }

    /// <summary>Gets the number of ids: the largest id of the model vocabulary or the added tokens, plus one.</summary>
    public int VocabularySize { get; }

    /// <summary>Gets the added tokens (special and not) declared in <c>tokenizer.json</c>.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Gets the special tokens and the BOS/EOS flags from <c>tokenizer_config.json</c> (empty when it was not given).</summary>
    public SpecialTokens SpecialTokens { get; }

    /// <summary>Gets the Jinja chat template from <c>tokenizer_config.json</c>, if any.</summary>
    public string? ChatTemplate { get; }

    /// <summary>Gets <c>model_max_length</c> from <c>tokenizer_config.json</c>, when present and a sensible integer.</summary>
    public int? ModelMaxLength { get; }

    /// <summary>Loads a tokenizer from a <c>tokenizer.json</c> file and, optionally, its <c>tokenizer_config.json</c>.</summary>
    /// <param name="tokenizerJsonPath">Path of <c>tokenizer.json</c>.</param>
    /// <param name="tokenizerConfigPath">Path of <c>tokenizer_config.json</c>, or null to look for one next to <paramref name="tokenizerJsonPath"/>.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="TokenizerException">A file is missing or unreadable, or its content is malformed or unsupported.</exception>
    public static Tokenizer FromFile(string tokenizerJsonPath, string? tokenizerConfigPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerJsonPath);
        var json = ReadFile(tokenizerJsonPath);
        string? config = null;
        if (tokenizerConfigPath is not null)
        {
            config = ReadFile(tokenizerConfigPath);
        }
        else
        {
            var sibling = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath)) ?? ".", "tokenizer_config.json");
            if (File.Exists(sibling))
            {
                config = ReadFile(sibling);
            }
        }

        return FromJson(json, config);
    }

    /// <summary>Loads <c>tokenizer.json</c> (required) and <c>tokenizer_config.json</c> (optional) from a folder.</summary>
    /// <param name="directory">The folder, for example a Hugging Face model snapshot.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="TokenizerException">The folder or <c>tokenizer.json</c> is missing, or its content is malformed or unsupported.</exception>
    public static Tokenizer FromDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new TokenizerException($"Tokenizer folder '{directory}' does not exist.", new DirectoryNotFoundException(directory));
        }

        var configPath = Path.Combine(directory, "tokenizer_config.json");
        return FromFile(Path.Combine(directory, "tokenizer.json"), File.Exists(configPath) ? configPath : null);
    }

    /// <summary>Builds a tokenizer from the text of a <c>tokenizer.json</c> document.</summary>
    /// <param name="tokenizerJson">The <c>tokenizer.json</c> text.</param>
    /// <param name="tokenizerConfigJson">The <c>tokenizer_config.json</c> text, or null.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="TokenizerFormatException">The JSON is malformed or holds unsupported components.</exception>
    public static Tokenizer FromJson(string tokenizerJson, string? tokenizerConfigJson = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJson);
        var config = tokenizerConfigJson is null ? null : TokenizerConfig.Parse(tokenizerConfigJson);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(tokenizerJson, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw new TokenizerFormatException($"tokenizer.json is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new TokenizerFormatException("tokenizer.json must hold a JSON object", "$");
            }

            return new Tokenizer(new JsonNav(document.RootElement, "$"), config);
        }
    }

    /// <summary>Encodes text to token ids.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Whether the post-processor adds its special tokens (BOS, [CLS]/[SEP]...).</param>
    /// <returns>The ids.</returns>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        EncodeSequence(text, ids);
        return addSpecialTokens ? Finish(ids, null, addSpecialTokens: true).Ids : ids;
    }

    /// <summary>Encodes text to ids, token strings and type ids.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Whether the post-processor adds its special tokens.</param>
    /// <returns>The encoding.</returns>
    public TokenizedText EncodeToTokens(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        EncodeSequence(text, ids);
        return Finish(ids, null, addSpecialTokens);
    }

    /// <summary>Encodes a pair of texts (question/passage, query/document) as the post-processor's pair template.</summary>
    /// <param name="first">The first text.</param>
    /// <param name="second">The second text.</param>
    /// <param name="addSpecialTokens">Whether the post-processor adds its special tokens.</param>
    /// <returns>The encoding; <see cref="TokenizedText.TypeIds"/> tells the two parts apart.</returns>
    public TokenizedText EncodePair(string first, string second, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var a = new List<int>();
        var b = new List<int>();
        EncodeSequence(first, a);
        EncodeSequence(second, b);
        return Finish(a, b, addSpecialTokens);
    }

    /// <summary>Encodes text keeping at most <paramref name="maxTokens"/> ids (special tokens included, which are kept).</summary>
    /// <param name="text">The text.</param>
    /// <param name="maxTokens">The most ids to return.</param>
    /// <param name="addSpecialTokens">Whether the post-processor adds its special tokens.</param>
    /// <returns>The ids of the beginning of the text.</returns>
    public IReadOnlyList<int> EncodeTruncated(string text, int maxTokens, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        var ids = new List<int>();
        EncodeSequence(text, ids);
        var room = Math.Max(0, maxTokens - (addSpecialTokens ? postProcessor.AddedTokenCount(pair: false) : 0));
        if (ids.Count > room)
        {
            ids.RemoveRange(room, ids.Count - room);
        }

        var result = Finish(ids, null, addSpecialTokens).Ids;
        return result.Count <= maxTokens ? result : [.. result.Take(maxTokens)];
    }

    /// <summary>Counts the tokens of a text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Whether to count the special tokens the post-processor would add.</param>
    /// <returns>The number of ids <see cref="Encode"/> would return.</returns>
    public int CountTokens(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        EncodeSequence(text, ids);
        return ids.Count + (addSpecialTokens ? postProcessor.AddedTokenCount(pair: false) : 0);
    }

    /// <summary>Decodes ids to text.</summary>
    /// <param name="ids">The ids; ids outside the vocabulary are ignored.</param>
    /// <param name="skipSpecialTokens">Whether to leave out special added tokens.</param>
    /// <returns>The text.</returns>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (var id in ids)
        {
            if (skipSpecialTokens && addedById.TryGetValue(id, out var added) && added.Special)
            {
                continue;
            }

            if (IdToToken(id) is { } token)
            {
                tokens.Add(token);
            }
        }

        return DecodeTokens(tokens);
    }

    /// <summary>Creates a decoder that turns ids into text one id at a time (for streamed generation).</summary>
    /// <param name="skipSpecialTokens">Whether to leave out special added tokens.</param>
    /// <returns>A new decoder for one sequence.</returns>
    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    /// <summary>Looks up the id of a token (added tokens first, then the model vocabulary).</summary>
    /// <param name="token">The token text, as stored in the vocabulary (for example <c>▁Hello</c> or <c>ĠHello</c>).</param>
    /// <returns>The id, or null.</returns>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (addedByContent.TryGetValue(token, out var added))
        {
            return added.Id;
        }

        return model.Vocabulary.TryGetId(token, out var id) ? id : null;
    }

    /// <summary>Looks up the token of an id (added tokens first, then the model vocabulary).</summary>
    /// <param name="id">The id.</param>
    /// <returns>The token text, or null for an unknown id.</returns>
    public string? IdToToken(int id) => addedById.TryGetValue(id, out var added) ? added.Content : model.Vocabulary.GetToken(id);

    /// <summary>Gets whether an id is a special added token.</summary>
    /// <param name="id">The id.</param>
    /// <returns>True for special tokens.</returns>
    public bool IsSpecialToken(int id) => addedById.TryGetValue(id, out var added) && added.Special;

    internal string DecodeTokens(List<string> tokens) =>
        decoder is null ? string.Join(' ', tokens) : string.Concat(decoder.DecodeChain(tokens));

    private TokenizedText Finish(List<int> first, List<int>? second, bool addSpecialTokens)
    {
        var ids = new List<int>(first.Count + (second?.Count ?? 0) + 4);
        var typeIds = new List<int>(ids.Capacity);
        postProcessor.Process(first, second, addSpecialTokens, ids, typeIds);
        return new TokenizedText(this, ids, typeIds);
    }

    private int? IdOf(string? token) => token is null ? null : TokenToId(token);

    private void EncodeSequence(string text, List<int> ids)
    {
        if (text.Length == 0)
        {
            return;
        }

        if (rawMatcher.IsEmpty)
        {
            EncodeNormalizable(text, atOrigin: true, ids);
            return;
        }

        var segments = segmentScratch ?? [];
        segmentScratch = null;
        segments.Clear();
        rawMatcher.Split(text, segments);
        foreach (var (start, end, token) in segments)
        {
            if (token is not null)
            {
                ids.Add(token.Id);
            }
            else
            {
                EncodeNormalizable(start == 0 && end == text.Length ? text : text[start..end], start == 0, ids);
            }
        }

        segments.Clear();
        segmentScratch = segments;
    }

    private void EncodeNormalizable(string text, bool atOrigin, List<int> ids)
    {
        var normalized = normalizer?.Normalize(text) ?? text;
        if (normalized.Length == 0)
        {
            return;
        }

        if (normalizedMatcher.IsEmpty)
        {
            EncodePiece(new Piece(normalized, 0, normalized.Length, atOrigin), ids);
            return;
        }

        var segments = new List<(int Start, int End, AddedToken? Token)>();
        normalizedMatcher.Split(normalized, segments);
        foreach (var (start, end, token) in segments)
        {
            if (token is not null)
            {
                ids.Add(token.Id);
            }
            else
            {
                EncodePiece(new Piece(normalized, start, end - start, atOrigin && start == 0), ids);
            }
        }
    }

    private void EncodePiece(Piece piece, List<int> ids)
    {
        if (preTokenizer is null)
        {
            model.Tokenize(piece.Span, ids);
            return;
        }

        var pieces = pieceScratch ?? [];
        pieceScratch = null;
        pieces.Clear();
        preTokenizer.PreTokenize(piece, pieces);
        foreach (var word in pieces)
        {
            model.Tokenize(word.Span, ids);
        }

        pieces.Clear();
        pieceScratch = pieces;
    }

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (FileNotFoundException ex)
        {
            throw new TokenizerException($"Tokenizer file '{path}' was not found.", ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new TokenizerException($"Tokenizer file '{path}' was not found (its folder does not exist).", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerException($"Tokenizer file '{path}' could not be read: {ex.Message}", ex);
        }
    }
}

/// <summary>The result of encoding: ids, their token strings and type ids.</summary>
public sealed class TokenizedText
{
    private readonly Tokenizer tokenizer;
    private IReadOnlyList<string>? tokens;

    internal TokenizedText(Tokenizer tokenizer, List<int> ids, List<int> typeIds)
    {
        this.tokenizer = tokenizer;
        Ids = ids;
        TypeIds = typeIds;
    }

    /// <summary>Gets the token ids.</summary>
    public IReadOnlyList<int> Ids { get; }

    /// <summary>Gets the token strings, as stored in the vocabulary (<c>▁Hello</c>, <c>ĠHello</c>, <c>##ing</c>, <c>&lt;0xE2&gt;</c>).</summary>
    public IReadOnlyList<string> Tokens => tokens ??= [.. Ids.Select(id => tokenizer.IdToToken(id) ?? string.Empty)];

    /// <summary>Gets the type (segment) id of each token: 0 for the first sequence, 1 for the second of a pair (BERT's token_type_ids).</summary>
    public IReadOnlyList<int> TypeIds { get; }
}
