using SkAgents.Memory.Partitioning;

namespace SkAgents.Memory;

/// <summary>Settings of <see cref="MemoryService"/>.</summary>
public sealed class MemoryOptions
{
    /// <summary>Gets or sets the index used when none is given. Default <c>default</c>.</summary>
    public string DefaultIndex { get; set; } = "default";

    /// <summary>Gets or sets how documents are cut into partitions.</summary>
    public TextPartitionerOptions Partitioning { get; set; } = new();

    /// <summary>Gets or sets how many partitions are embedded per call. Default 32.</summary>
    public int EmbeddingBatchSize { get; set; } = 32;

    /// <summary>Gets or sets how many partitions an answer draws on. Default 5.</summary>
    public int AskSources { get; set; } = 5;

    /// <summary>Gets or sets the lowest relevance a partition needs to be used in an answer. Default 0.05.</summary>
    public double AskMinRelevance { get; set; } = 0.05;

    /// <summary>Gets or sets the prompt used to answer (from the prompt catalog). Default <c>answer-from-sources</c>.</summary>
    public string AnswerPrompt { get; set; } = "answer-from-sources";
}
