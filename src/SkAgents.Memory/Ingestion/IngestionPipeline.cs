using Microsoft.Extensions.AI;
using SkAgents.Memory.Extraction;
using SkAgents.Memory.Partitioning;
using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Ingestion;

/// <summary>
/// The ordered steps that turn a document into stored partitions. The default is
/// <c>skip-unchanged → extract → partition → embed → save</c>; insert, remove or reorder steps to change it
/// (e.g. a redaction step after <c>extract</c>). Configure it before importing: the list is not synchronized.
/// </summary>
public sealed class IngestionPipeline
{
    /// <summary>The name of <see cref="SkipUnchangedStep"/>.</summary>
    public const string SkipUnchanged = "skip-unchanged";

    /// <summary>The name of <see cref="ExtractTextStep"/>.</summary>
    public const string Extract = "extract";

    /// <summary>The name of <see cref="PartitionTextStep"/>.</summary>
    public const string Partition = "partition";

    /// <summary>The name of <see cref="GenerateEmbeddingsStep"/>.</summary>
    public const string Embed = "embed";

    /// <summary>The name of <see cref="SaveDocumentStep"/>.</summary>
    public const string Save = "save";

    /// <summary>Creates a pipeline of the given steps.</summary>
    /// <param name="steps">The steps, in order.</param>
    public IngestionPipeline(IEnumerable<IIngestionStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        Steps = [.. steps];
    }

    /// <summary>Gets the steps, in order (mutable).</summary>
    public IList<IIngestionStep> Steps { get; }

    /// <summary>Creates the default pipeline.</summary>
    /// <param name="store">Where documents are saved.</param>
    /// <param name="embeddings">Embeds partitions; the embed step is left out when null.</param>
    /// <param name="extractors">Text extractors; <see cref="TextExtractors.Default"/> when null.</param>
    /// <param name="options">Memory settings (partitioning, embedding batch size).</param>
    /// <returns>The pipeline.</returns>
    public static IngestionPipeline CreateDefault(
        IMemoryStore store, IEmbeddingGenerator<string, Embedding<float>>? embeddings = null, TextExtractors? extractors = null, MemoryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new MemoryOptions();
        var steps = new List<IIngestionStep>
        {
            new SkipUnchangedStep(store),
            new ExtractTextStep(extractors ?? TextExtractors.Default),
            new PartitionTextStep(new TextPartitioner(options.Partitioning)),
        };
        if (embeddings is not null)
        {
            steps.Add(new GenerateEmbeddingsStep(embeddings, options.EmbeddingBatchSize));
        }

        steps.Add(new SaveDocumentStep(store));
        return new IngestionPipeline(steps);
    }

    /// <summary>Inserts a step right after the step named <paramref name="name"/>.</summary>
    /// <param name="name">The existing step's name.</param>
    /// <param name="step">The new step.</param>
    /// <returns>This pipeline.</returns>
    /// <exception cref="ArgumentException">No step has that name.</exception>
    public IngestionPipeline InsertAfter(string name, IIngestionStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        Steps.Insert(IndexOf(name) + 1, step);
        return this;
    }

    /// <summary>Inserts a step right before the step named <paramref name="name"/>.</summary>
    /// <param name="name">The existing step's name.</param>
    /// <param name="step">The new step.</param>
    /// <returns>This pipeline.</returns>
    /// <exception cref="ArgumentException">No step has that name.</exception>
    public IngestionPipeline InsertBefore(string name, IIngestionStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        Steps.Insert(IndexOf(name), step);
        return this;
    }

    /// <summary>Runs the steps in order until one completes the import.</summary>
    /// <param name="context">The document.</param>
    /// <param name="progress">Told the name of each step as it starts.</param>
    /// <param name="cancellationToken">Cancels the import; the save step writes in one transaction, so nothing is half-written.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="InvalidOperationException">No step completed the import (the pipeline has no save step).</exception>
    public async Task<ImportResult> RunAsync(IngestionContext context, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var step in Steps.ToList())
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(step.Name);
            await step.InvokeAsync(context, cancellationToken).ConfigureAwait(false);
            if (context.Result is { } result)
            {
                return result;
            }
        }

        throw new InvalidOperationException(
            $"The ingestion pipeline ({string.Join(" → ", Steps.Select(s => s.Name))}) ended without completing document '{context.DocumentId}': it needs a step that saves, such as '{Save}'.");
    }

    private int IndexOf(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        for (var i = 0; i < Steps.Count; i++)
        {
            if (string.Equals(Steps[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new ArgumentException($"The pipeline has no step named '{name}' (it has: {string.Join(", ", Steps.Select(s => s.Name))}).", nameof(name));
    }
}
