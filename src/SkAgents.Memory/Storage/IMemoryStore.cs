namespace SkAgents.Memory.Storage;

/// <summary>A stored document (one imported file, page or text) and what it was made from.</summary>
/// <param name="Index">The index (collection) it belongs to.</param>
/// <param name="DocumentId">Its id, unique within the index.</param>
/// <param name="SourceName">File name, URL or a caller-given name.</param>
/// <param name="SourceUrl">The URL it came from, if any.</param>
/// <param name="MediaType">The media type it was extracted from.</param>
/// <param name="ContentHash">A hash of the source content; re-importing the same content is a no-op.</param>
/// <param name="Tags">User tags (no reserved keys).</param>
/// <param name="UpdatedAt">When it was last saved.</param>
/// <param name="PartitionCount">How many partitions it has.</param>
public sealed record MemoryDocument(
    string Index,
    string DocumentId,
    string SourceName,
    string? SourceUrl,
    string MediaType,
    string ContentHash,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Tags,
    DateTimeOffset UpdatedAt,
    int PartitionCount);

/// <summary>One partition (chunk) of a document, with its embedding when a generator is configured.</summary>
/// <param name="PartitionNumber">Its 0-based position in the document.</param>
/// <param name="Text">The text.</param>
/// <param name="SectionPath">The heading path (for example <c>Install &gt; Linux</c>), if any.</param>
/// <param name="Embedding">The vector, or null when the memory runs keyword-only.</param>
public sealed record MemoryPartition(int PartitionNumber, string Text, string? SectionPath, ReadOnlyMemory<float>? Embedding);

/// <summary>How a query ranks partitions.</summary>
public enum SearchMode
{
    /// <summary>Full-text relevance (BM25).</summary>
    Keyword,

    /// <summary>Cosine similarity of embeddings.</summary>
    Vector,

    /// <summary>Both, fused by reciprocal rank.</summary>
    Hybrid,
}

/// <summary>A search over one index.</summary>
/// <param name="Text">The query text (keyword and hybrid modes).</param>
public sealed record MemoryQuery(string Text)
{
    /// <summary>Gets the query embedding (vector and hybrid modes).</summary>
    public ReadOnlyMemory<float>? Vector { get; init; }

    /// <summary>Gets the ranking mode. Default hybrid.</summary>
    public SearchMode Mode { get; init; } = SearchMode.Hybrid;

    /// <summary>Gets the filters (OR of ANDs, with NOT); null or empty matches everything.</summary>
    public IReadOnlyList<MemoryFilter>? Filters { get; init; }

    /// <summary>Gets the most results. Default 10.</summary>
    public int Limit { get; init; } = 10;

    /// <summary>Gets the lowest relevance to return (see <see cref="ScoredPartition.Relevance"/>).</summary>
    public double MinRelevance { get; init; }
}

/// <summary>A search hit.</summary>
/// <param name="Document">The document.</param>
/// <param name="Partition">The matching partition.</param>
/// <param name="Relevance">
/// In [0, 1], higher is better: vector mode uses cosine similarity clamped at 0; keyword mode maps BM25 score s to
/// s / (s + 1); hybrid mode normalizes reciprocal-rank fusion so a partition ranked first by both is 1.
/// </param>
public sealed record ScoredPartition(MemoryDocument Document, MemoryPartition Partition, double Relevance);

/// <summary>
/// Where memory lives: documents and their partitions per index, searchable by keyword, vector and both. A save
/// replaces a document's partitions atomically: readers see the old version or the new one, never a mix.
/// </summary>
public interface IMemoryStore : IAsyncDisposable
{
    /// <summary>Gets a document's record, or null.</summary>
    /// <param name="index">The index.</param>
    /// <param name="documentId">The document id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The record, or null.</returns>
    Task<MemoryDocument?> GetDocumentAsync(string index, string documentId, CancellationToken cancellationToken = default);

    /// <summary>Saves a document and its partitions, replacing any earlier version atomically.</summary>
    /// <param name="document">The document.</param>
    /// <param name="partitions">Its partitions, numbered from 0.</param>
    /// <param name="cancellationToken">Cancels the call (nothing is half-written).</param>
    /// <returns>A task.</returns>
    Task SaveDocumentAsync(MemoryDocument document, IReadOnlyList<MemoryPartition> partitions, CancellationToken cancellationToken = default);

    /// <summary>Deletes a document and its partitions.</summary>
    /// <param name="index">The index.</param>
    /// <param name="documentId">The document id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether it existed.</returns>
    Task<bool> DeleteDocumentAsync(string index, string documentId, CancellationToken cancellationToken = default);

    /// <summary>Lists an index's documents.</summary>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The documents.</returns>
    IAsyncEnumerable<MemoryDocument> ListDocumentsAsync(string index, CancellationToken cancellationToken = default);

    /// <summary>Lists the indexes that hold documents.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The index names.</returns>
    Task<IReadOnlyList<string>> ListIndexesAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes an index and everything in it.</summary>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    Task DeleteIndexAsync(string index, CancellationToken cancellationToken = default);

    /// <summary>Searches an index.</summary>
    /// <param name="index">The index.</param>
    /// <param name="query">The query.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>Hits, best first.</returns>
    /// <exception cref="ArgumentException">Vector or hybrid mode without a query vector, or a vector of the wrong size.</exception>
    Task<IReadOnlyList<ScoredPartition>> SearchAsync(string index, MemoryQuery query, CancellationToken cancellationToken = default);
}
