namespace SkAgents.Memory.Ingestion;

/// <summary>One step of an <see cref="IngestionPipeline"/>: reads what earlier steps put on the context and adds its own part.</summary>
public interface IIngestionStep
{
    /// <summary>Gets the step's name (unique within a pipeline; used to insert steps before or after it).</summary>
    string Name { get; }

    /// <summary>Runs the step.</summary>
    /// <param name="context">The document being imported.</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>A task that completes when the step is done.</returns>
    ValueTask InvokeAsync(IngestionContext context, CancellationToken cancellationToken);
}
