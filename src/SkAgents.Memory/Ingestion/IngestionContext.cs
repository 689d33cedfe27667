using SkAgents.Memory.Extraction;
using SkAgents.Memory.Partitioning;

namespace SkAgents.Memory.Ingestion;

/// <summary>
/// One document on its way through an <see cref="IngestionPipeline"/>: what came in (bytes or text, source, tags), and what
/// each step added (extracted Markdown, partitions, embeddings). A step may end the import early with <see cref="Complete"/>.
/// </summary>
public sealed class IngestionContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="index">The index the document goes to.</param>
    /// <param name="documentId">The document id.</param>
    /// <param name="sourceName">The name shown in citations.</param>
    /// <param name="tags">The user's tags (keys must not start with <c>__</c>).</param>
    public IngestionContext(string index, string documentId, string sourceName, IReadOnlyDictionary<string, IReadOnlyList<string>> tags)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(index);
        ArgumentException.ThrowIfNullOrWhiteSpace(documentId);
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentNullException.ThrowIfNull(tags);
        Index = index;
        DocumentId = documentId;
        SourceName = sourceName;
        Tags = tags;
    }

    /// <summary>Gets the index.</summary>
    public string Index { get; }

    /// <summary>Gets the document id.</summary>
    public string DocumentId { get; }

    /// <summary>Gets or sets the name shown in citations.</summary>
    public string SourceName { get; set; }

    /// <summary>Gets or sets the URL the document came from, when it came from the web.</summary>
    public string? SourceUrl { get; set; }

    /// <summary>Gets or sets the file name used to choose an extractor (its extension), when there is one.</summary>
    public string? FileName { get; set; }

    /// <summary>Gets or sets the media type of <see cref="Content"/>, when known (wins over the file extension).</summary>
    public string? MediaType { get; set; }

    /// <summary>Gets or sets the raw document bytes; empty when the document arrived as text (<see cref="Extracted"/> is set).</summary>
    public ReadOnlyMemory<byte> Content { get; set; }

    /// <summary>Gets or sets the document's identity for change detection: a hash of the content and the tags.</summary>
    public required string ContentHash { get; set; }

    /// <summary>Gets the user's tags.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Tags { get; }

    /// <summary>Gets or sets the extracted Markdown (set by extraction, or up front for text imports).</summary>
    public ExtractedDocument? Extracted { get; set; }

    /// <summary>Gets or sets the partitions (set by partitioning).</summary>
    public IReadOnlyList<Partition>? Partitions { get; set; }

    /// <summary>Gets or sets one embedding per partition, in order (set by embedding; entries may be null).</summary>
    public IReadOnlyList<ReadOnlyMemory<float>?>? Embeddings { get; set; }

    /// <summary>Gets a bag for custom steps to hand data to later steps.</summary>
    public IDictionary<string, object?> Items { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>Gets the outcome once a step has completed the import; null while it is still running.</summary>
    public ImportResult? Result { get; private set; }

    /// <summary>Gets whether a step has completed the import (later steps do not run).</summary>
    public bool IsCompleted => Result is not null;

    /// <summary>Ends the import with an outcome; the pipeline runs no further steps.</summary>
    /// <param name="status">The outcome.</param>
    /// <param name="partitions">How many partitions the stored document has.</param>
    public void Complete(ImportStatus status, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partitions);
        Result = new ImportResult(Index, DocumentId, status, partitions);
    }
}
