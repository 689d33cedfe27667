namespace SkAgents.Memory.Extraction;

/// <summary>Converts one family of document formats into normalized Markdown.</summary>
public interface ITextExtractor
{
    /// <summary>The media type this extractor reports in <see cref="ExtractedDocument.MediaType"/>.</summary>
    string MediaType { get; }

    /// <summary>The file extensions (with leading dot) and media types this extractor accepts.</summary>
    IReadOnlyList<string> SupportedTypes { get; }

    /// <summary>
    /// Whether this extractor handles the given media type (<c>text/html; charset=utf-8</c>),
    /// extension (<c>.html</c> or <c>html</c>) or file name (<c>page.html</c>).
    /// </summary>
    /// <param name="mediaTypeOrExtension">A media type, extension or file name.</param>
    /// <returns><see langword="true"/> when supported.</returns>
    bool CanExtract(string mediaTypeOrExtension);

    /// <summary>Reads <paramref name="content"/> and converts it to Markdown.</summary>
    /// <param name="content">The document bytes. The stream is read to its end but not disposed.</param>
    /// <param name="fileName">The file name (or another source label); used for the fallback title and in error messages.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The extracted document.</returns>
    /// <exception cref="DocumentTooLargeException">The content exceeds the configured size cap.</exception>
    /// <exception cref="MalformedDocumentException">The content cannot be parsed.</exception>
    Task<ExtractedDocument> ExtractAsync(Stream content, string fileName, CancellationToken cancellationToken = default);
}
