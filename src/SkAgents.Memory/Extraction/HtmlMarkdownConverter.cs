using AngleSharp.Dom;
using SkAgents.Web;

namespace SkAgents.Memory.Extraction;

/// <summary>Converts an HTML element tree into normalized Markdown (no main-content selection); see <see cref="HtmlContentExtractor.ConvertToMarkdown"/>.</summary>
internal sealed class HtmlMarkdownConverter
{
    private readonly HtmlExtractionOptions _options;

    public HtmlMarkdownConverter(bool keepLinks) => _options = new HtmlExtractionOptions { KeepLinks = keepLinks };

    /// <summary>The text of the first <c>h1</c> met during the last conversion.</summary>
    public string? FirstH1 { get; private set; }

    public string Convert(IElement root)
    {
        var content = HtmlContentExtractor.ConvertToMarkdown(root, _options);
        FirstH1 = content.Title;
        return content.Markdown;
    }
}
