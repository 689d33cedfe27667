using Microsoft.Extensions.AI;
using SkAgents.Memory.Extraction;
using SkAgents.Memory.Partitioning;
using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Ingestion;

/// <summary>Completes the import as <see cref="ImportStatus.Unchanged"/> when the store already holds the same content and tags.</summary>
/// <param name="store">The store to look in.</param>
public sealed class SkipUnchangedStep(IMemoryStore store) : IIngestionStep
{
    /// <inheritdoc />
    public string Name => IngestionPipeline.SkipUnchanged;

    /// <inheritdoc />
    public async ValueTask InvokeAsync(IngestionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var existing = await store.GetDocumentAsync(context.Index, context.DocumentId, cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.ContentHash == context.ContentHash)
        {
            context.Complete(ImportStatus.Unchanged, existing.PartitionCount);
        }
    }
}

/// <summary>Extracts Markdown from <see cref="IngestionContext.Content"/>, choosing the extractor by media type, then file extension.</summary>
/// <param name="extractors">The extractors.</param>
public sealed class ExtractTextStep(TextExtractors extractors) : IIngestionStep
{
    /// <inheritdoc />
    public string Name => IngestionPipeline.Extract;

    /// <inheritdoc />
    public async ValueTask InvokeAsync(IngestionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Extracted is not null)
        {
            return;
        }

        using var stream = new MemoryStream(context.Content.ToArray(), writable: false);
        context.Extracted = await extractors.ExtractAsync(stream, context.FileName ?? string.Empty, context.MediaType, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(context.SourceName) && !string.IsNullOrWhiteSpace(context.Extracted.Title))
        {
            // Web pages arrive without a name: their title names them in citations.
            context.SourceName = context.Extracted.Title;
        }
    }
}

/// <summary>Splits the extracted Markdown into token-bounded partitions along headings and paragraphs.</summary>
/// <param name="partitioner">The partitioner.</param>
public sealed class PartitionTextStep(TextPartitioner partitioner) : IIngestionStep
{
    /// <inheritdoc />
    public string Name => IngestionPipeline.Partition;

    /// <inheritdoc />
    public ValueTask InvokeAsync(IngestionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var extracted = context.Extracted
            ?? throw new InvalidOperationException($"Document '{context.DocumentId}' reached '{Name}' without extracted text: put '{IngestionPipeline.Extract}' before it.");
        context.Partitions = partitioner.Split(extracted.Markdown);
        return ValueTask.CompletedTask;
    }
}

/// <summary>Embeds the partitions in batches.</summary>
/// <param name="embeddings">The embedding generator.</param>
/// <param name="batchSize">Partitions per request.</param>
public sealed class GenerateEmbeddingsStep(IEmbeddingGenerator<string, Embedding<float>> embeddings, int batchSize = 32) : IIngestionStep
{
    /// <inheritdoc />
    public string Name => IngestionPipeline.Embed;

    /// <inheritdoc />
    public async ValueTask InvokeAsync(IngestionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var parts = context.Partitions
            ?? throw new InvalidOperationException($"Document '{context.DocumentId}' reached '{Name}' without partitions: put '{IngestionPipeline.Partition}' before it.");
        var size = Math.Max(1, batchSize);
        var vectors = new ReadOnlyMemory<float>?[parts.Count];
        for (var start = 0; start < parts.Count; start += size)
        {
            var batch = parts.Skip(start).Take(size).Select(p => p.Text).ToList();
            var embedded = await embeddings.GenerateAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (embedded.Count != batch.Count)
            {
                throw new InvalidOperationException($"The embedding generator returned {embedded.Count} embeddings for {batch.Count} partitions of document '{context.DocumentId}'.");
            }

            for (var i = 0; i < embedded.Count; i++)
            {
                vectors[start + i] = embedded[i].Vector;
            }
        }

        context.Embeddings = vectors;
    }
}

/// <summary>Saves the document and its partitions in one store transaction, replacing an older version atomically.</summary>
/// <param name="store">The store.</param>
public sealed class SaveDocumentStep(IMemoryStore store) : IIngestionStep
{
    /// <inheritdoc />
    public string Name => IngestionPipeline.Save;

    /// <inheritdoc />
    public async ValueTask InvokeAsync(IngestionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var parts = context.Partitions
            ?? throw new InvalidOperationException($"Document '{context.DocumentId}' reached '{Name}' without partitions: put '{IngestionPipeline.Partition}' before it.");
        var vectors = context.Embeddings;
        var partitions = parts.Select((p, i) => new MemoryPartition(p.Number, p.Text, p.SectionPath, vectors is not null && i < vectors.Count ? vectors[i] : null)).ToList();
        var mediaType = context.Extracted?.MediaType ?? context.MediaType ?? "text/plain";
        var sourceName = string.IsNullOrWhiteSpace(context.SourceName) ? context.SourceUrl ?? context.DocumentId : context.SourceName;
        var document = new MemoryDocument(
            context.Index, context.DocumentId, sourceName, context.SourceUrl, mediaType, context.ContentHash, context.Tags, DateTimeOffset.UtcNow, partitions.Count);
        await store.SaveDocumentAsync(document, partitions, cancellationToken).ConfigureAwait(false);
        context.Complete(ImportStatus.Imported, partitions.Count);
    }
}
