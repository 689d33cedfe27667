namespace SkAgents.Memory.Extraction;

/// <summary>
/// A registry of <see cref="ITextExtractor"/>s that picks one by media type or file extension.
/// </summary>
public sealed class TextExtractors
{
    private readonly List<ITextExtractor> _extractors;

    /// <summary>Creates a registry over the given extractors; the first match wins.</summary>
    /// <param name="extractors">The extractors, in priority order.</param>
    /// <param name="options">Options (size cap) used by <see cref="ExtractFileAsync"/>; defaults when null.</param>
    public TextExtractors(IEnumerable<ITextExtractor> extractors, TextExtractionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(extractors);
        _extractors = extractors.ToList();
        Options = options ?? TextExtractionOptions.Default;
    }

    /// <summary>The built-in extractors (.txt, .md, .html, .json, .csv/.tsv) with default options (50 MiB cap).</summary>
    public static TextExtractors Default { get; } = CreateDefault();

    /// <summary>The options in effect.</summary>
    public TextExtractionOptions Options { get; }

    /// <summary>The registered extractors.</summary>
    public IReadOnlyList<ITextExtractor> Extractors => _extractors;

    /// <summary>Every supported extension and media type.</summary>
    public IReadOnlyList<string> SupportedTypes => _extractors.SelectMany(e => e.SupportedTypes).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Creates the built-in registry with the given options.</summary>
    /// <param name="options">Options such as <see cref="TextExtractionOptions.MaxInputBytes"/>; defaults when null.</param>
    /// <returns>A new registry.</returns>
    public static TextExtractors CreateDefault(TextExtractionOptions? options = null)
    {
        options ??= TextExtractionOptions.Default;
        return new TextExtractors(
            [
                new PlainTextExtractor(options),
                new MarkdownExtractor(options),
                new HtmlExtractor(options),
                new JsonExtractor(options),
                new CsvExtractor(options),
            ],
            options);
    }

    /// <summary>Whether some extractor handles the media type, extension or file name.</summary>
    /// <param name="mediaTypeOrExtension">A media type, extension or file name.</param>
    /// <returns><see langword="true"/> when supported.</returns>
    public bool IsSupported(string mediaTypeOrExtension) => Find(mediaTypeOrExtension) is not null;

    /// <summary>The extractor for a media type, extension or file name, or null.</summary>
    /// <param name="mediaTypeOrExtension">A media type, extension or file name.</param>
    /// <returns>The extractor, or null.</returns>
    public ITextExtractor? Find(string mediaTypeOrExtension) => _extractors.FirstOrDefault(e => e.CanExtract(mediaTypeOrExtension));

    /// <summary>
    /// The extractor for a file: the media type wins when given and supported, else the file extension.
    /// </summary>
    /// <param name="fileName">The file name.</param>
    /// <param name="mediaType">The media type, when known (may carry parameters such as charset).</param>
    /// <returns>The extractor.</returns>
    /// <exception cref="UnsupportedFileTypeException">Neither the media type nor the extension is supported.</exception>
    public ITextExtractor Resolve(string fileName, string? mediaType = null)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var extractor = (string.IsNullOrWhiteSpace(mediaType) ? null : Find(mediaType)) ?? (fileName.Length == 0 ? null : Find(fileName));
        if (extractor is not null)
        {
            return extractor;
        }

        var ext = Path.GetExtension(fileName);
        var type = !string.IsNullOrWhiteSpace(mediaType) ? mediaType : string.IsNullOrEmpty(ext) ? "(no extension)" : ext;
        throw new UnsupportedFileTypeException(type, fileName, SupportedTypes);
    }

    /// <summary>Extracts a document, choosing the extractor by media type or extension.</summary>
    /// <param name="content">The document bytes (not disposed).</param>
    /// <param name="fileName">The file name.</param>
    /// <param name="mediaType">The media type, when known.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The extracted document.</returns>
    /// <exception cref="UnsupportedFileTypeException">No extractor supports the type.</exception>
    /// <exception cref="DocumentTooLargeException">The content exceeds the size cap.</exception>
    /// <exception cref="MalformedDocumentException">The content cannot be parsed.</exception>
    public Task<ExtractedDocument> ExtractAsync(Stream content, string fileName, string? mediaType = null, CancellationToken cancellationToken = default)
        => Resolve(fileName, mediaType).ExtractAsync(content, fileName, cancellationToken);

    /// <summary>Extracts a file from disk, choosing the extractor by extension.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The extracted document.</returns>
    /// <exception cref="UnsupportedFileTypeException">No extractor supports the extension.</exception>
    /// <exception cref="DocumentTooLargeException">The file exceeds the size cap.</exception>
    /// <exception cref="MalformedDocumentException">The content cannot be parsed.</exception>
    public async Task<ExtractedDocument> ExtractFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var fileName = Path.GetFileName(path);
        var extractor = Resolve(fileName);
        var info = new FileInfo(path);
        if (info.Exists && info.Length > Options.MaxInputBytes)
        {
            throw new DocumentTooLargeException(fileName, Options.MaxInputBytes, info.Length);
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            return await extractor.ExtractAsync(stream, fileName, cancellationToken).ConfigureAwait(false);
        }
    }
}
