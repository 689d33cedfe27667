using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SkAgents.Memory.Extraction;
using SkAgents.Memory.Partitioning;
using SkAgents.Memory.Storage;
using SkAgents.Prompts;

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
    private readonly TextExtractors _extractors;
    private readonly TextPartitioner _partitioner;
    private readonly ILogger _logger;

    /// <summary>Creates the service.</summary>
    /// <param name="store">Where memory lives.</param>
    /// <param name="embeddings">Embeds partitions and queries; keyword-only search when null.</param>
    /// <param name="chat">Writes answers; extractive answers when null.</param>
    /// <param name="prompts">Holds the answer prompt; extractive answers when null or when it lacks the prompt.</param>
    /// <param name="options">Settings.</param>
    /// <param name="extractors">Text extractors; <see cref="TextExtractors.Default"/> when null.</param>
    /// <param name="logger">Logging.</param>
    public MemoryService(
        IMemoryStore store,
        IEmbeddingGenerator<string, Embedding<float>>? embeddings = null,
        IChatClient? chat = null,
        IPromptCatalog? prompts = null,
        MemoryOptions? options = null,
        TextExtractors? extractors = null,
        ILogger<MemoryService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _embeddings = embeddings;
        _chat = chat;
        _prompts = prompts;
        _options = options ?? new MemoryOptions();
        _extractors = extractors ?? TextExtractors.Default;
        _partitioner = new TextPartitioner(_options.Partitioning);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the store.</summary>
    public IMemoryStore Store => _store;

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
        return SaveAsync(index, id, sourceName ?? id, null, "text/markdown", hash, new ExtractedDocument(sourceName ?? id, text, "text/markdown"), tags, cancellationToken);
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
        using var stream = new MemoryStream(bytes, writable: false);
        var extracted = await _extractors.ExtractAsync(stream, Path.GetFileName(full), null, cancellationToken).ConfigureAwait(false);
        return await SaveAsync(index, id, Path.GetFileName(full), null, extracted.MediaType, hash, extracted, tags, cancellationToken).ConfigureAwait(false);
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
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        var hits = await SearchPartitionsAsync(question, index, filters, minRelevance ?? _options.AskMinRelevance, _options.AskSources, null, cancellationToken).ConfigureAwait(false);
        if (hits.Count == 0)
        {
            return new MemoryAnswer(question, "I don't know: memory holds nothing relevant to this question.", NoResult: true, [], Extractive: _chat is null);
        }

        var sources = hits.Select((h, i) => new AnswerSource(i + 1, h.Document.DocumentId, h.Document.SourceName, h.Document.SourceUrl,
            new CitedPartition(h.Partition.PartitionNumber, h.Partition.Text, h.Partition.SectionPath, h.Relevance))).ToList();

        if (_chat is not null && _prompts is not null && _prompts.TryGetPrompt(_options.AnswerPrompt, out var prompt))
        {
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
            var result = await prompt.InvokeAsync(arguments, cancellationToken).ConfigureAwait(false);
            var text = result is JsonElement { ValueKind: JsonValueKind.String } element ? element.GetString()! : result?.ToString() ?? string.Empty;
            return new MemoryAnswer(question, text.Trim(), NoResult: false, sources, Extractive: false);
        }

        return new MemoryAnswer(question, ExtractiveAnswer(question, sources), NoResult: false, sources, Extractive: true);
    }

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

    private async Task<ImportResult> SaveAsync(string? index, string documentId, string sourceName, string? sourceUrl, string mediaType, string hash, ExtractedDocument extracted, IReadOnlyDictionary<string, IReadOnlyList<string>>? tags, CancellationToken cancellationToken)
    {
        var indexName = IndexOrDefault(index);
        ArgumentException.ThrowIfNullOrWhiteSpace(documentId);
        var userTags = tags ?? new Dictionary<string, IReadOnlyList<string>>();
        var reserved = userTags.Keys.FirstOrDefault(ReservedTags.IsReserved);
        if (reserved is not null)
        {
            throw new ArgumentException($"Tag '{reserved}' is reserved: tag keys must not start with '__'.", nameof(tags));
        }

        var existing = await _store.GetDocumentAsync(indexName, documentId, cancellationToken).ConfigureAwait(false);
        var tagsHash = Hash(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(userTags.OrderBy(t => t.Key, StringComparer.Ordinal))));
        var contentHash = $"{hash}:{tagsHash[..16]}";
        if (existing is not null && existing.ContentHash == contentHash)
        {
            _logger.LogDebug("Document {DocumentId} in {Index} is unchanged.", documentId, indexName);
            return new ImportResult(indexName, documentId, ImportStatus.Unchanged, existing.PartitionCount);
        }

        var parts = _partitioner.Split(extracted.Markdown);
        var vectors = new ReadOnlyMemory<float>?[parts.Count];
        if (_embeddings is not null && parts.Count > 0)
        {
            for (var start = 0; start < parts.Count; start += _options.EmbeddingBatchSize)
            {
                var batch = parts.Skip(start).Take(_options.EmbeddingBatchSize).Select(p => p.Text).ToList();
                var embedded = await _embeddings.GenerateAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < embedded.Count; i++)
                {
                    vectors[start + i] = embedded[i].Vector;
                }
            }
        }

        var partitions = parts.Select((p, i) => new MemoryPartition(p.Number, p.Text, p.SectionPath, vectors[i])).ToList();
        var document = new MemoryDocument(indexName, documentId, sourceName, sourceUrl, mediaType, contentHash, userTags, DateTimeOffset.UtcNow, partitions.Count);
        await _store.SaveDocumentAsync(document, partitions, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Imported {DocumentId} into {Index}: {Partitions} partitions.", documentId, indexName, partitions.Count);
        return new ImportResult(indexName, documentId, ImportStatus.Imported, partitions.Count);
    }

    private string IndexOrDefault(string? index) => string.IsNullOrWhiteSpace(index) ? _options.DefaultIndex : index.Trim();

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

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
