namespace SkAgents.Memory.Partitioning;

/// <summary>A chunk of a document, sized for embedding.</summary>
/// <param name="Number">The 0-based position of the partition in the document.</param>
/// <param name="Text">The text: the heading line(s) when the partition starts a section, the overlap carried from the previous partition of the section, then the content.</param>
/// <param name="SectionPath">The heading path, such as <c>Install &gt; Linux</c>; <see langword="null"/> for text before the first heading.</param>
/// <param name="TokenCount">The tokens of <paramref name="Text"/>, counted with the partitioner's <see cref="ITokenCounter"/>.</param>
/// <param name="StartLine">The 1-based input line where the partition's new content (heading or first block) starts.</param>
public sealed record Partition(int Number, string Text, string? SectionPath, int TokenCount, int? StartLine);
