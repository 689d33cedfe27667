namespace SkAgents.Memory.Partitioning;

/// <summary>Options of <see cref="TextPartitioner"/>.</summary>
public sealed class TextPartitionerOptions
{
    /// <summary>Gets the most tokens of a partition (heading and overlap included). Default 512; at least 8.</summary>
    public int MaxTokensPerPartition { get; init; } = 512;

    /// <summary>Gets the approximate number of tokens carried from the end of a partition into the next one of the same section. Default 64; 0 disables overlap.</summary>
    public int OverlapTokens { get; init; } = 64;

    /// <summary>Gets the token counter; <see langword="null"/> uses <see cref="HeuristicTokenCounter"/>.</summary>
    public ITokenCounter? TokenCounter { get; init; }

    /// <summary>Gets a value indicating whether the heading line(s) are written at the top of the first partition of a section. Default <see langword="true"/>.</summary>
    public bool IncludeHeadingText { get; init; } = true;
}
