using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using Markdig;

namespace SkAgents.Memory.Extraction;

/// <summary>
/// Markdown (<c>.md</c>, <c>.markdown</c>, <c>text/markdown</c>) normalized to the extraction contract.
/// </summary>
/// <remarks>
/// YAML (<c>---</c>) or TOML (<c>+++</c>) front matter is stripped; its <c>title</c> becomes the title, else the first
/// <c>#</c> heading. The document is parsed with Markdig (pipe and grid tables, task lists, auto links) and re-emitted so
/// that setext headings become <c>#</c> headings, <c>*</c>/<c>+</c> bullets become <c>- </c>, indented and tilde code
/// become <c>```</c> fences, and tables become pipe tables with one row per line. Emphasis, inline code and links
/// (<c>[text](url)</c>, see <see cref="TextExtractionOptions.KeepMarkdownLinks"/>) are kept; images are dropped;
/// raw HTML is converted like HTML content (without main-content extraction).
/// </remarks>
public sealed partial class MarkdownExtractor : TextExtractorBase
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseGridTables()
        .UseTaskLists()
        .UseAutoLinks()
        .Build();

    /// <summary>Creates the extractor.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public MarkdownExtractor(TextExtractionOptions? options = null)
        : base(options, "text/markdown", ".md", ".markdown", ".mdown", ".mkd", "text/markdown", "text/x-markdown")
    {
    }

    /// <inheritdoc />
    protected override (string? Title, string Markdown) Extract(byte[] content, string fileName)
    {
        var text = MarkdownText.NormalizeNewlines(ExtractionInput.Decode(content));
        string? title = null;
        var fm = FrontMatter().Match(text);
        if (fm.Success && FrontMatterKey().IsMatch(fm.Groups["body"].Value))
        {
            var t = FrontMatterTitle().Match(fm.Groups["body"].Value);
            if (t.Success)
            {
                title = t.Groups[1].Value.Trim().Trim('"', '\'');
            }

            text = text[fm.Length..];
        }

        var html = Markdown.ToHtml(text, Pipeline);
        using var document = new HtmlParser().ParseDocument("<!DOCTYPE html><html><body>" + html + "</body></html>");
        var converter = new HtmlMarkdownConverter(Options.KeepMarkdownLinks);
        var markdown = converter.Convert(document.Body!);
        return (title ?? converter.FirstH1, markdown);
    }

    [GeneratedRegex(@"\A(?<fence>---|\+\+\+)[ \t]*\n(?<body>.*?)\n\k<fence>[ \t]*(\n|\z)", RegexOptions.Singleline)]
    private static partial Regex FrontMatter();

    [GeneratedRegex(@"^\s*[A-Za-z0-9_\-]+\s*[:=]", RegexOptions.Multiline)]
    private static partial Regex FrontMatterKey();

    [GeneratedRegex(@"^\s*title\s*[:=]\s*(.+?)\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex FrontMatterTitle();
}
