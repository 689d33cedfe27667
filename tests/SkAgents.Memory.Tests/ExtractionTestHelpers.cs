using System.Text;
using SkAgents.Memory.Extraction;

namespace SkAgents.Memory.Tests;

internal static class ExtractionTestHelpers
{
    public static Task<ExtractedDocument> ExtractAsync(string fileName, string content, string? mediaType = null, TextExtractors? registry = null)
        => ExtractBytesAsync(fileName, Encoding.UTF8.GetBytes(content), mediaType, registry);

    public static async Task<ExtractedDocument> ExtractBytesAsync(string fileName, byte[] content, string? mediaType = null, TextExtractors? registry = null)
    {
        using var stream = new MemoryStream(content);
        return await (registry ?? TextExtractors.Default).ExtractAsync(stream, fileName, mediaType);
    }
}
