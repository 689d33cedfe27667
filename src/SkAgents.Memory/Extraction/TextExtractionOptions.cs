namespace SkAgents.Memory.Extraction;

/// <summary>Options shared by the built-in extractors.</summary>
public sealed class TextExtractionOptions
{
    /// <summary>The default size cap: 50 MiB.</summary>
    public const long DefaultMaxInputBytes = 50L * 1024 * 1024;

    /// <summary>Default options.</summary>
    public static TextExtractionOptions Default { get; } = new();

    /// <summary>The largest input, in bytes, an extractor reads before raising <see cref="DocumentTooLargeException"/>. Default 50 MiB.</summary>
    public long MaxInputBytes { get; init; } = DefaultMaxInputBytes;

    /// <summary>Whether the Markdown extractor keeps links as <c>[text](url)</c>; when false (and always for HTML) links become their text. Default true.</summary>
    public bool KeepMarkdownLinks { get; init; } = true;
}
