using SkAgents.Web;

namespace SkAgents.Memory.Extraction;

/// <summary>
/// HTML (<c>.html</c>, <c>.htm</c>, <c>text/html</c>, <c>application/xhtml+xml</c>) to Markdown with main-content extraction.
/// </summary>
/// <remarks>
/// A thin adapter over <see cref="HtmlContentExtractor"/> (SkAgents.Web), which documents the noise removal and
/// main-content rules. The charset comes from a byte order mark, else the page's <c>&lt;meta charset&gt;</c>, else UTF-8
/// (Windows-1252 when the bytes are not UTF-8). Links become their text. Title: the first <c>h1</c> of the main content,
/// else <c>og:title</c>, else <c>&lt;title&gt;</c>.
/// </remarks>
public sealed class HtmlExtractor : TextExtractorBase
{
    private static readonly HtmlExtractionOptions TextOnly = new() { KeepLinks = false };

    /// <summary>Creates the extractor.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public HtmlExtractor(TextExtractionOptions? options = null)
        : base(options, "text/html", ".html", ".htm", ".xhtml", "text/html", "application/xhtml+xml")
    {
    }

    /// <inheritdoc />
    protected override (string? Title, string Markdown) Extract(byte[] content, string fileName)
    {
        var html = WebTextDecoder.Decode(content, declaredCharset: null, sniffHtmlMeta: true).Text;
        var extracted = HtmlContentExtractor.Extract(html, baseUrl: null, TextOnly);
        return (extracted.Title, extracted.Markdown);
    }
}
