using System.Runtime.CompilerServices;
using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Tests;

/// <summary>
/// A linear-scan test double of <see cref="IMemoryStore"/> for testing the memory service's pipeline in isolation
/// (term-overlap keyword scores, cosine vectors). The product stores have their own contract tests.
/// </summary>
internal sealed class InMemoryTestStore : IMemoryStore
{
    private readonly Dictionary<(string Index, string Id), (MemoryDocument Document, IReadOnlyList<MemoryPartition> Partitions)> _documents = [];

    public int Saves { get; private set; }

    public IReadOnlyList<MemoryPartition> PartitionsOf(string documentId, string index = "default") => _documents[(index, documentId)].Partitions;

    public Task<MemoryDocument?> GetDocumentAsync(string index, string documentId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_documents.TryGetValue((index, documentId), out var d) ? d.Document : null);

    public Task SaveDocumentAsync(MemoryDocument document, IReadOnlyList<MemoryPartition> partitions, CancellationToken cancellationToken = default)
    {
        _documents[(document.Index, document.DocumentId)] = (document, partitions);
        Saves++;
        return Task.CompletedTask;
    }

    public Task<bool> DeleteDocumentAsync(string index, string documentId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_documents.Remove((index, documentId)));

    public async IAsyncEnumerable<MemoryDocument> ListDocumentsAsync(string index, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        foreach (var (key, value) in _documents)
        {
            if (key.Index == index)
            {
                yield return value.Document;
            }
        }
    }

    public Task<IReadOnlyList<string>> ListIndexesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. _documents.Keys.Select(k => k.Index).Distinct()]);

    public Task DeleteIndexAsync(string index, CancellationToken cancellationToken = default)
    {
        foreach (var key in _documents.Keys.Where(k => k.Index == index).ToList())
        {
            _documents.Remove(key);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ScoredPartition>> SearchAsync(string index, MemoryQuery query, CancellationToken cancellationToken = default)
    {
        var terms = query.Text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(t => t.Length > 2).ToArray();
        var hits = new List<ScoredPartition>();
        foreach (var ((idx, _), (document, partitions)) in _documents)
        {
            var tags = new Dictionary<string, IReadOnlyList<string>>(document.Tags) { [ReservedTags.DocumentId] = [document.DocumentId] };
            if (idx != index || !MemoryFilter.MatchesAny(query.Filters, tags))
            {
                continue;
            }

            foreach (var partition in partitions)
            {
                double score = query.Mode == SearchMode.Keyword || query.Vector is null || partition.Embedding is null
                    ? terms.Count(t => partition.Text.Contains(t, StringComparison.OrdinalIgnoreCase)) / (double)Math.Max(1, terms.Length)
                    : Math.Max(0, Cosine(query.Vector.Value.Span, partition.Embedding.Value.Span));
                if (score > 0 && score >= query.MinRelevance)
                {
                    hits.Add(new ScoredPartition(document, partition, score));
                }
            }
        }

        return Task.FromResult<IReadOnlyList<ScoredPartition>>([.. hits.OrderByDescending(h => h.Relevance).Take(query.Limit)]);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
