using System.Text;

namespace SkAgents.Memory.Extraction;

/// <summary>
/// Plain text (<c>.txt</c>, <c>text/plain</c>): charset detection (BOM, UTF-16 without BOM, strict UTF-8,
/// Windows-1252 fallback), line endings normalized to <c>\n</c>, control characters removed.
/// Text is passed through as Markdown paragraphs; the title is the file name without extension.
/// </summary>
public sealed class PlainTextExtractor : TextExtractorBase
{
    /// <summary>Creates the extractor.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public PlainTextExtractor(TextExtractionOptions? options = null)
        : base(options, "text/plain", ".txt", ".text", ".log", "text/plain")
    {
    }

    /// <inheritdoc />
    protected override (string? Title, string Markdown) Extract(byte[] content, string fileName)
    {
        var text = MarkdownText.NormalizeNewlines(ExtractionInput.Decode(content));
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c == '\n' || c == '\t' || !char.IsControl(c))
            {
                sb.Append(c == '\t' ? "    " : c);
            }
        }

        return (null, sb.ToString());
    }
}
