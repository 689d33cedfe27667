using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SkAgents.Memory.Extraction;
using SkAgents.Memory.Ingestion;
using SkAgents.Memory.Storage;
using SkAgents.Prompts;
using SkAgents.Web;

namespace SkAgents.Memory;

/// <summary>
/// Memory with a Kernel-Memory-like API: import text and files (extract → partition → embed → save), search with
/// citations, and ask for a grounded answer with numbered sources. Works keyword-only when no embedding generator is
/// given, and answers extractively (best sentences, cited) when no chat model is given.
/// </summary>
public sealed partial class MemoryService
{
    private readonly IMemoryStore _store;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embeddings;
    private readonly IChatClient? _chat;
    private readonly IPromptCatalog? _prompts;
    private readonly MemoryOptions _options;
    private readonly ILogger _logger;
    private readonly WebFetcher? _web;

    /// <summary>Creates the service.</summary>
    /// <param name="store">Where memory lives.</param>
    /// <param name="embeddings">Embeds partitions and queries; keyword-only search when null.</param>
    /// <param name="chat">Writes answers; extractive answers when null.</param>
    /// <param name="prompts">Holds the answer prompt; extractive answers when null or when it lacks the prompt.</param>
    /// <param name="options">Settings.</param>
    /// <param name="extractors">Text extractors; <see cref="TextExtractors.Default"/> when null.</param>
    /// <param name="logger">Logging.</param>
    /// <param name="pipeline">The ingestion steps; <see cref="IngestionPipeline.CreateDefault"/> over the arguments above when null.</param>
    /// <param name="webFetcher">
    /// Fetches web pages for <see cref="ImportWebPageAsync"/> (its address guard refuses private and loopback addresses unless
    /// allow-listed); a shared fetcher with default options when null. Not disposed by the service.
    /// </param>
    public MemoryService(
        IMemoryStore store,
        IEmbeddingGenerator<string, Embedding<float>>? embeddings = null,
        IChatClient? chat = null,
        IPromptCatalog? prompts = null,
        MemoryOptions? options = null,
        TextExtractors? extractors = null,
        ILogger<MemoryService>? logger = null,
        IngestionPipeline? pipeline = null,
        WebFetcher? webFetcher = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _embeddings = embeddings;
        _chat = chat;
        _prompts = prompts;
        _options = options ?? new MemoryOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _web = webFetcher;
        Pipeline = pipeline ?? IngestionPipeline.CreateDefault(store, embeddings, extractors, _options);
    }

    /// <summary>Gets the store.</summary>
    public IMemoryStore Store => _store;

    /// <summary>Gets the ingestion steps every import runs through; change them before importing.</summary>
    public IngestionPipeline Pipeline { get; }

    /// <summary>Imports text as a document.</summary>
    /// <param name="text">The text (Markdown is understood).</param>
    /// <param name="documentId">The id; derived from the content when null.</param>
    /// <param name="tags">Tags for filtering (keys must not start with <c>__</c>).</param>
    /// <param name="index">The index; the default one when null.</param>
    /// <param name="sourceName">A name to show in citations.</param>
    /// <param name="cancellationToken">Cancels the import (nothing is half-written).</param>
    /// <returns>The outcome.</returns>
    public Task<ImportResult> ImportTextAsync(string text, string? documentId = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? tags = null, string? index = null, string? sourceName = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hash = Hash(Encoding.UTF8.GetBytes(text));
        var id = documentId ?? "text-" + hash[..16];
        return ImportAsync(index, id, sourceName ?? id, tags, hash, context => context.Extracted = new ExtractedDocument(sourceName ?? id, text, "text/markdown"), cancellationToken);
    }

    /// <summary>Imports a file (.txt, .md, .html, .json, .csv).</summary>
    /// <param name="path">The file.</param>
    /// <param name="documentId">The id; derived from the file's full path when null, so re-importing it updates it.</param>
    /// <param name="tags">Tags for filtering.</param>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the import.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="UnsupportedFileTypeException">The file type is not supported.</exception>
    public async Task<ImportResult> ImportFileAsync(string path, string? documentId = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? tags = null, string? index = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var bytes = await File.ReadAllBytesAsync(full, cancellationToken).ConfigureAwait(false);
        var hash = Hash(bytes);
        var id = documentId ?? DocumentIdFor(full);
        return await ImportAsync(index, id, Path.GetFileName(full), tags, hash, context =>
        {
            context.Content = bytes;
            context.FileName = Path.GetFileName(full);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Imports a web page (HTML main content, plain text, Markdown or JSON), fetched through the SSRF-guarded
    /// <see cref="WebFetcher"/>. The document id derives from the URL, so importing it again updates it (or is a no-op when
    /// the page did not change); citations name the page title and its final URL.
    /// </summary>
    /// <param name="url">The page (http or https).</param>
    /// <param name="documentId">The id; derived from the URL when null.</param>
    /// <param name="tags">Tags for filtering.</param>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the import.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="WebFetchException">The page could not be fetched (blocked address, HTTP error, type, size, timeout).</exception>
    /// <exception cref="UnsupportedFileTypeException">The page's type has no extractor.</exception>
    public async Task<ImportResult> ImportWebPageAsync(Uri url, string? documentId = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? tags = null, string? index = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{url}' is not an absolute http or https URL.", nameof(url));
        }

        var fetcher = _web ?? SharedWebFetcher.Value;
        var page = await fetcher.FetchAsync(url, cancellationToken).ConfigureAwait(false);
        var bytes = page.Content.ToArray();
        var id = documentId ?? DocumentIdFor(url);
        return await ImportAsync(index, id, string.Empty, tags, Hash(bytes), context =>
        {
            context.Content = bytes;
            context.MediaType = page.MediaType;
            context.SourceUrl = page.FinalUrl.AbsoluteUri;
            context.FileName = Path.GetFileName(page.FinalUrl.AbsolutePath);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Searches memory.</summary>
    /// <param name="query">What to look for.</param>
    /// <param name="index">The index.</param>
    /// <param name="filters">Filters (OR of ANDs, with NOT).</param>
    /// <param name="minRelevance">The lowest relevance to return.</param>
    /// <param name="limit">The most partitions.</param>
    /// <param name="mode">The ranking; hybrid when embeddings exist, else keyword.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>Cited documents, best first.</returns>
    public async Task<MemorySearchResult> SearchAsync(string query, string? index = null, IReadOnlyList<MemoryFilter>? filters = null, double minRelevance = 0, int limit = 10, SearchMode? mode = null, CancellationToken cancellationToken = default)
    {
        var hits = await SearchPartitionsAsync(query, index, filters, minRelevance, limit, mode, cancellationToken).ConfigureAwait(false);
        var citations = hits
            .GroupBy(h => h.Document.DocumentId, StringComparer.Ordinal)
            .Select(g => new Citation(
                g.Key,
                g.First().Document.Index,
                g.First().Document.SourceName,
                g.First().Document.SourceUrl,
                g.First().Document.Tags,
                [.. g.Select(h => new CitedPartition(h.Partition.PartitionNumber, h.Partition.Text, h.Partition.SectionPath, h.Relevance))]))
            .ToList();
        return new MemorySearchResult(query, citations);
    }

    /// <summary>Answers a question from memory, citing numbered sources; says so when memory holds nothing relevant.</summary>
    /// <param name="question">The question.</param>
    /// <param name="index">The index.</param>
    /// <param name="filters">Filters.</param>
    /// <param name="minRelevance">The lowest relevance a source needs; <see cref="MemoryOptions.AskMinRelevance"/> when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer and its sources.</returns>
    public async Task<MemoryAnswer> AskAsync(string question, string? index = null, IReadOnlyList<MemoryFilter>? filters = null, double? minRelevance = null, CancellationToken cancellationToken = default)
    {
        var plan = await PlanAnswerAsync(question, index, filters, minRelevance, cancellationToken).ConfigureAwait(false);
        if (plan.Prompt is null)
        {
            return new MemoryAnswer(question, plan.Immediate!.Text, plan.Immediate.NoResult, plan.Sources, plan.Immediate.Extractive);
        }

        var result = await plan.Prompt.InvokeAsync(plan.Arguments, cancellationToken).ConfigureAwait(false);
        var text = result is JsonElement { ValueKind: JsonValueKind.String } element ? element.GetString()! : result?.ToString() ?? string.Empty;
        return new MemoryAnswer(question, text.Trim(), NoResult: false, plan.Sources, Extractive: false);
    }

    /// <summary>
    /// Answers a question from memory as a stream: the first update carries the numbered sources (and the whole answer when
    /// it is extractive or "I don't know"); the following ones carry the model's answer text as it is written.
    /// </summary>
    /// <param name="question">The question.</param>
    /// <param name="index">The index.</param>
    /// <param name="filters">Filters.</param>
    /// <param name="minRelevance">The lowest relevance a source needs; <see cref="MemoryOptions.AskMinRelevance"/> when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer, piece by piece.</returns>
    public async IAsyncEnumerable<MemoryAnswerUpdate> AskStreamingAsync(
        string question, string? index = null, IReadOnlyList<MemoryFilter>? filters = null, double? minRelevance = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var plan = await PlanAnswerAsync(question, index, filters, minRelevance, cancellationToken).ConfigureAwait(false);
        if (plan.Prompt is null)
        {
            yield return plan.Immediate!;
            yield break;
        }

        yield return new MemoryAnswerUpdate(string.Empty, plan.Sources, NoResult: false, Extractive: false);
        if (plan.Prompt is IStreamingPrompt streaming)
        {
            await foreach (var piece in streaming.InvokeStreamingAsync(plan.Arguments, cancellationToken).ConfigureAwait(false))
            {
                yield return new MemoryAnswerUpdate(piece, plan.Sources, NoResult: false, Extractive: false);
            }

            yield break;
        }

        // Another kind of prompt function (an app's own): no streaming, one piece.
        var result = await plan.Prompt.InvokeAsync(plan.Arguments, cancellationToken).ConfigureAwait(false);
        var text = result is JsonElement { ValueKind: JsonValueKind.String } element ? element.GetString()! : result?.ToString() ?? string.Empty;
        yield return new MemoryAnswerUpdate(text, plan.Sources, NoResult: false, Extractive: false);
    }

    /// <summary>Finds the sources, then either answers at once (nothing relevant, or extractive) or prepares the answer prompt.</summary>
    private async Task<AnswerPlan> PlanAnswerAsync(string question, string? index, IReadOnlyList<MemoryFilter>? filters, double? minRelevance, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        var hits = await SearchPartitionsAsync(question, index, filters, minRelevance ?? _options.AskMinRelevance, _options.AskSources, null, cancellationToken).ConfigureAwait(false);
        if (hits.Count == 0)
        {
            return new AnswerPlan([], null, null, new MemoryAnswerUpdate("I don't know: memory holds nothing relevant to this question.", [], NoResult: true, Extractive: _chat is null));
        }

        var sources = hits.Select((h, i) => new AnswerSource(i + 1, h.Document.DocumentId, h.Document.SourceName, h.Document.SourceUrl,
            new CitedPartition(h.Partition.PartitionNumber, h.Partition.Text, h.Partition.SectionPath, h.Relevance))).ToList();
        if (_chat is null || _prompts is null || !_prompts.TryGetPrompt(_options.AnswerPrompt, out var prompt))
        {
            return new AnswerPlan(sources, null, null, new MemoryAnswerUpdate(ExtractiveAnswer(question, sources), sources, NoResult: false, Extractive: true));
        }

        var arguments = new AIFunctionArguments
        {
            ["question"] = question,
            ["sources"] = sources.Select(s => new Dictionary<string, object?>
            {
                ["title"] = s.Partition.SectionPath is { } section ? $"{s.SourceName} — {section}" : s.SourceName,
                ["url"] = s.SourceUrl ?? string.Empty,
                ["content"] = s.Partition.Text,
            }).ToList(),
            Services = new SingleService(_chat),
        };
        return new AnswerPlan(sources, prompt, arguments, null);
    }

    private sealed record AnswerPlan(IReadOnlyList<AnswerSource> Sources, AIFunction? Prompt, AIFunctionArguments? Arguments, MemoryAnswerUpdate? Immediate);

    /// <summary>Lists an index's documents.</summary>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The documents.</returns>
    public IAsyncEnumerable<MemoryDocument> ListDocumentsAsync(string? index = null, CancellationToken cancellationToken = default) =>
        _store.ListDocumentsAsync(IndexOrDefault(index), cancellationToken);

    /// <summary>Deletes a document.</summary>
    /// <param name="documentId">The document.</param>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether it existed.</returns>
    public Task<bool> DeleteDocumentAsync(string documentId, string? index = null, CancellationToken cancellationToken = default) =>
        _store.DeleteDocumentAsync(IndexOrDefault(index), documentId, cancellationToken);

    /// <summary>Lists the indexes that hold documents.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The index names.</returns>
    public Task<IReadOnlyList<string>> ListIndexesAsync(CancellationToken cancellationToken = default) =>
        _store.ListIndexesAsync(cancellationToken);

    /// <summary>Deletes an index with all its documents.</summary>
    /// <param name="index">The index; the default one when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the index is gone.</returns>
    public Task DeleteIndexAsync(string? index = null, CancellationToken cancellationToken = default) =>
        _store.DeleteIndexAsync(IndexOrDefault(index), cancellationToken);

    private async Task<IReadOnlyList<ScoredPartition>> SearchPartitionsAsync(string query, string? index, IReadOnlyList<MemoryFilter>? filters, double minRelevance, int limit, SearchMode? mode, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var effective = mode ?? (_embeddings is null ? SearchMode.Keyword : SearchMode.Hybrid);
        if (effective != SearchMode.Keyword && _embeddings is null)
        {
            throw new InvalidOperationException($"{effective} search needs an embedding generator; none is configured, so only keyword search is available.");
        }

        ReadOnlyMemory<float>? vector = null;
        if (effective != SearchMode.Keyword)
        {
            var embedded = await _embeddings!.GenerateAsync([query], cancellationToken: cancellationToken).ConfigureAwait(false);
            vector = embedded[0].Vector;
        }

        return await _store.SearchAsync(IndexOrDefault(index), new MemoryQuery(query)
        {
            Vector = vector,
            Mode = effective,
            Filters = filters,
            Limit = limit,
            MinRelevance = minRelevance,
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ImportResult> ImportAsync(
        string? index, string documentId, string sourceName, IReadOnlyDictionary<string, IReadOnlyList<string>>? tags, string hash, Action<IngestionContext> fill,
        CancellationToken cancellationToken)
    {
        var indexName = IndexOrDefault(index);
        ArgumentException.ThrowIfNullOrWhiteSpace(documentId);
        var userTags = tags ?? new Dictionary<string, IReadOnlyList<string>>();
        var reserved = userTags.Keys.FirstOrDefault(ReservedTags.IsReserved);
        if (reserved is not null)
        {
            throw new ArgumentException($"Tag '{reserved}' is reserved: tag keys must not start with '__'.", nameof(tags));
        }

        // Tags are part of a document's identity: re-importing the same bytes with other tags updates it.
        var tagsHash = Hash(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(userTags.OrderBy(t => t.Key, StringComparer.Ordinal))));
        var context = new IngestionContext(indexName, documentId, sourceName, userTags) { ContentHash = $"{hash}:{tagsHash[..16]}" };
        fill(context);
        var result = await Pipeline.RunAsync(context, null, cancellationToken).ConfigureAwait(false);
        if (result.Status == ImportStatus.Unchanged)
        {
            _logger.LogDebug("Document {DocumentId} in {Index} is unchanged.", documentId, indexName);
        }
        else
        {
            _logger.LogInformation("Imported {DocumentId} into {Index}: {Partitions} partitions.", documentId, indexName, result.Partitions);
        }

        return result;
    }

    private string IndexOrDefault(string? index) => string.IsNullOrWhiteSpace(index) ? _options.DefaultIndex : index.Trim();

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static readonly Lazy<WebFetcher> SharedWebFetcher = new(() => new WebFetcher());

    private static string DocumentIdFor(Uri url)
    {
        var name = NonIdCharacters().Replace(url.Host + url.AbsolutePath, "-").Trim('-', '.');
        return $"web-{(name.Length > 60 ? name[..60] : name)}-{Hash(Encoding.UTF8.GetBytes(url.AbsoluteUri))[..8]}";
    }

    private static string DocumentIdFor(string fullPath)
    {
        var name = NonIdCharacters().Replace(Path.GetFileName(fullPath), "-").Trim('-');
        return $"{name}-{Hash(Encoding.UTF8.GetBytes(fullPath))[..8]}";
    }

    /// <summary>Picks the sentences that share the most words with the question, each cited by its source number.</summary>
    private static string ExtractiveAnswer(string question, IReadOnlyList<AnswerSource> sources)
    {
        var terms = Words().Matches(question.ToLowerInvariant()).Select(m => m.Value).Where(w => w.Length > 2).ToHashSet(StringComparer.Ordinal);
        var scored = new List<(double Score, int Order, string Sentence, int Number)>();
        var order = 0;
        foreach (var source in sources)
        {
            foreach (var sentence in Sentences().Split(source.Partition.Text.Replace('\n', ' ')))
            {
                var trimmed = sentence.Trim().TrimStart('#', ' ', '-', '|');
                if (trimmed.Length < 3)
                {
                    continue;
                }

                var words = Words().Matches(trimmed.ToLowerInvariant()).Select(m => m.Value).ToList();
                var overlap = words.Count(terms.Contains);
                scored.Add((overlap + source.Partition.Relevance, order++, trimmed, source.Number));
            }
        }

        var best = scored.OrderByDescending(s => s.Score).ThenBy(s => s.Order).Take(3).OrderBy(s => s.Order);
        return string.Join(" ", best.Select(s => $"{s.Sentence} [{s.Number}]"));
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Words();

    [GeneratedRegex(@"(?<=[.!?。！？])\s+")]
    private static partial Regex Sentences();

    [GeneratedRegex(@"[^A-Za-z0-9._-]+")]
    private static partial Regex NonIdCharacters();

    /// <summary>Hands the chat client to the answer prompt.</summary>
    private sealed class SingleService(IChatClient chat) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(IChatClient) ? chat : null;
    }
}
