using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Weaviate.Tests;

/// <summary>Documents and partitions for the wire-level tests.</summary>
public static class WireTestData
{
    public static readonly DateTimeOffset Updated = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    public static MemoryDocument Doc(string index, string id, int partitions, params (string Key, string Value)[] tags) =>
        new(index, id, id + ".md", $"https://example.com/{id}", "text/markdown", "hash-" + id,
            tags.GroupBy(t => t.Key).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(t => t.Value)]),
            Updated, partitions);

    public static MemoryPartition Part(int n, string text, float[]? vector = null, string? section = null) =>
        new(n, text, section, vector is null ? null : new ReadOnlyMemory<float>(vector));
}
