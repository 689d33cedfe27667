namespace SkAgents.Memory.Extraction;

/// <summary>
/// Base class for extractors: matching by extension/media type, size-capped reading and the fallback title.
/// </summary>
public abstract class TextExtractorBase : ITextExtractor
{
    private readonly HashSet<string> _types;

    /// <summary>Creates the extractor.</summary>
    /// <param name="options">Options; <see cref="TextExtractionOptions.Default"/> when null.</param>
    /// <param name="mediaType">The media type reported in results.</param>
    /// <param name="supportedTypes">Extensions (with leading dot) and media types accepted.</param>
    protected TextExtractorBase(TextExtractionOptions? options, string mediaType, params string[] supportedTypes)
    {
        ArgumentNullException.ThrowIfNull(supportedTypes);
        Options = options ?? TextExtractionOptions.Default;
        MediaType = mediaType;
        SupportedTypes = supportedTypes;
        _types = new HashSet<string>(supportedTypes, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The options in effect.</summary>
    protected TextExtractionOptions Options { get; }

    /// <inheritdoc />
    public string MediaType { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> SupportedTypes { get; }

    /// <inheritdoc />
    public bool CanExtract(string mediaTypeOrExtension)
    {
        foreach (var key in FileTypes.Keys(mediaTypeOrExtension))
        {
            if (_types.Contains(key))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc />
    public async Task<ExtractedDocument> ExtractAsync(Stream content, string fileName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        fileName = string.IsNullOrWhiteSpace(fileName) ? "(unnamed)" : fileName;
        var bytes = await ExtractionInput.ReadAllAsync(content, fileName, Options.MaxInputBytes, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var (title, markdown) = Extract(bytes, fileName);
        title = string.IsNullOrWhiteSpace(title) ? FileTypes.Stem(fileName) : MarkdownText.Collapse(title);
        return new ExtractedDocument(title, MarkdownText.Finish(markdown), MediaType);
    }

    /// <summary>Converts the raw bytes to a title (null when unknown) and Markdown.</summary>
    /// <param name="content">The whole input.</param>
    /// <param name="fileName">The file name for error messages.</param>
    /// <returns>The title (or null) and the Markdown.</returns>
    protected abstract (string? Title, string Markdown) Extract(byte[] content, string fileName);
}
