using System.Globalization;
using System.Text;
using AngleSharp.Dom;

namespace SkAgents.Web;

/// <summary>Converts an HTML element tree into normalized Markdown blocks.</summary>
internal sealed class HtmlMarkdownConverter
{
    private static readonly HashSet<string> BlockTags = new(StringComparer.Ordinal)
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr",
        "html", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "ul",
    };

    private static readonly HashSet<string> SkipTags = new(StringComparer.Ordinal)
    {
        "script", "style", "noscript", "template", "head", "title", "meta", "link", "svg", "canvas", "iframe", "object", "embed",
    };

    private static readonly string BlockSelector = string.Join(",", BlockTags);

    private readonly bool _keepLinks;
    private readonly Uri? _baseUrl;

    public HtmlMarkdownConverter(bool keepLinks, Uri? baseUrl = null)
    {
        _keepLinks = keepLinks;
        _baseUrl = baseUrl is { IsAbsoluteUri: true } ? baseUrl : null;
    }

    /// <summary>The text of the first <c>h1</c> met during conversion.</summary>
    public string? FirstH1 { get; private set; }

    public string Convert(IElement root)
    {
        var blocks = new List<string>();
        RenderBlock(root, blocks);
        return string.Join("\n\n", blocks);
    }

    private static bool IsBlockish(IElement el) => BlockTags.Contains(el.LocalName) || el.QuerySelector(BlockSelector) is not null;

    private void RenderChildren(INode parent, List<string> blocks)
    {
        var inline = new StringBuilder();
        foreach (var child in parent.ChildNodes)
        {
            if (child is IElement el)
            {
                if (SkipTags.Contains(el.LocalName))
                {
                    continue;
                }

                if (el.LocalName == "br")
                {
                    inline.Append('\n');
                    continue;
                }

                if (IsBlockish(el))
                {
                    Flush(inline, blocks);
                    RenderBlock(el, blocks);
                    continue;
                }
            }

            AppendInline(child, inline);
        }

        Flush(inline, blocks);
    }

    private static void Flush(StringBuilder inline, List<string> blocks)
    {
        var text = NormalizeInline(inline.ToString());
        inline.Clear();
        if (text.Length > 0)
        {
            blocks.Add(text);
        }
    }

    private static string NormalizeInline(string text)
    {
        var lines = text.Split('\n')
            .Select(MarkdownBlocks.Collapse)
            .Where(l => l.Length > 0);
        return string.Join("\n", lines);
    }

    private void RenderBlock(IElement el, List<string> blocks)
    {
        var name = el.LocalName;
        if (SkipTags.Contains(name))
        {
            return;
        }

        switch (name)
        {
            case "h1" or "h2" or "h3" or "h4" or "h5" or "h6":
                {
                    var text = InlineText(el);
                    if (text.Length > 0)
                    {
                        if (name == "h1")
                        {
                            FirstH1 ??= text;
                        }

                        blocks.Add(new string('#', name[1] - '0') + " " + text);
                    }

                    return;
                }

            case "pre":
                {
                    var code = PreText(el);
                    if (!string.IsNullOrWhiteSpace(code))
                    {
                        blocks.Add(MarkdownBlocks.Fence(code, CodeLanguage(el)));
                    }

                    return;
                }

            case "ul" or "ol" or "menu":
                RenderList(el, blocks);
                return;
            case "table":
                RenderTable(el, blocks);
                return;
            case "hr":
                blocks.Add("---");
                return;
            case "dt":
                {
                    var text = InlineText(el);
                    if (text.Length > 0)
                    {
                        blocks.Add("**" + text + "**");
                    }

                    return;
                }

            case "blockquote":
                {
                    var inner = new List<string>();
                    RenderChildren(el, inner);
                    if (inner.Count > 0)
                    {
                        var lines = string.Join("\n\n", inner).Split('\n').Select(l => l.Length == 0 ? ">" : "> " + l);
                        blocks.Add(string.Join("\n", lines));
                    }

                    return;
                }

            default:
                if (name is "div" or "section" or "details" && IsAdmonition(el))
                {
                    RenderAdmonition(el, blocks);
                    return;
                }

                RenderChildren(el, blocks);
                return;
        }
    }

    private static readonly string[] AdmonitionClasses = ["admonition", "callout", "markdown-alert", "alert", "theme-admonition", "note-box"];

    private static readonly string[] AdmonitionTitleClasses = ["admonition-title", "markdown-alert-title", "callout-title", "alert-heading", "admonitionHeading"];

    private static bool IsAdmonition(IElement el) =>
        el.ClassList.Any(c => AdmonitionClasses.Contains(c, StringComparer.OrdinalIgnoreCase)
            || c.StartsWith("admonition", StringComparison.OrdinalIgnoreCase) || c.StartsWith("callout", StringComparison.OrdinalIgnoreCase));

    /// <summary>An admonition (note, warning, tip box) as a block quote whose first line is its bold title.</summary>
    private void RenderAdmonition(IElement el, List<string> blocks)
    {
        var titleElement = el.Children.FirstOrDefault(c => c.ClassList.Any(cls => AdmonitionTitleClasses.Contains(cls, StringComparer.OrdinalIgnoreCase) || cls.EndsWith("-title", StringComparison.OrdinalIgnoreCase) || cls.EndsWith("Heading", StringComparison.Ordinal)))
            ?? el.Children.FirstOrDefault(c => c.LocalName == "summary");
        var title = titleElement is null ? null : InlineText(titleElement).Trim('*', ' ');
        titleElement?.Remove();
        var inner = new List<string>();
        if (!string.IsNullOrEmpty(title))
        {
            inner.Add("**" + title + "**");
        }

        RenderChildren(el, inner);
        if (inner.Count > 0)
        {
            var lines = string.Join("\n\n", inner).Split('\n').Select(l => l.Length == 0 ? ">" : "> " + l);
            blocks.Add(string.Join("\n", lines));
        }
    }

    /// <summary>The text of a <c>pre</c>, with <c>br</c> as line breaks.</summary>
    private static string PreText(IElement pre)
    {
        var sb = new StringBuilder();
        Walk(pre);
        return sb.ToString();

        void Walk(INode node)
        {
            foreach (var child in node.ChildNodes)
            {
                if (child.NodeType == NodeType.Text)
                {
                    sb.Append(child.TextContent);
                }
                else if (child is IElement e)
                {
                    if (e.LocalName == "br")
                    {
                        sb.Append('\n');
                    }
                    else if (!SkipTags.Contains(e.LocalName))
                    {
                        Walk(e);
                    }
                }
            }
        }
    }

    private static string? CodeLanguage(IElement pre)
    {
        var candidates = new List<IElement> { pre };
        if (pre.QuerySelector("code") is { } code)
        {
            candidates.Insert(0, code);
        }

        for (var p = pre.ParentElement; p is not null && candidates.Count < 5; p = p.ParentElement)
        {
            candidates.Add(p);
        }

        foreach (var c in candidates)
        {
            if (c.GetAttribute("data-lang") is { Length: > 0 } lang)
            {
                return Sanitize(lang);
            }

            foreach (var cls in c.ClassList)
            {
                foreach (var prefix in new[] { "language-", "lang-", "highlight-source-", "highlight-", "sourceCode-" })
                {
                    if (cls.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && cls.Length > prefix.Length)
                    {
                        var l = cls[prefix.Length..];
                        if (!l.Equals("default", StringComparison.OrdinalIgnoreCase) && !l.Equals("none", StringComparison.OrdinalIgnoreCase))
                        {
                            return Sanitize(l);
                        }
                    }
                }
            }
        }

        return null;

        static string Sanitize(string lang) => new(lang.Where(ch => char.IsLetterOrDigit(ch) || ch is '+' or '#' or '-' or '_' or '.').ToArray());
    }

    private void RenderList(IElement list, List<string> blocks)
    {
        var ordered = list.LocalName == "ol";
        var n = ordered && int.TryParse(list.GetAttribute("start"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var start) ? start : 1;
        var lines = new List<string>();
        foreach (var child in list.Children)
        {
            if (SkipTags.Contains(child.LocalName))
            {
                continue;
            }

            var itemBlocks = new List<string>();
            if (child.LocalName == "li")
            {
                RenderChildren(child, itemBlocks);
            }
            else
            {
                RenderBlock(child, itemBlocks);
                if (lines.Count > 0)
                {
                    // a list nested directly in a list (invalid but common): belongs to the previous item
                    lines.AddRange(string.Join("\n", itemBlocks).Split('\n').Select(l => l.Length == 0 ? l : "  " + l));
                    continue;
                }
            }

            if (itemBlocks.Count == 0)
            {
                continue;
            }

            var marker = ordered ? n++.ToString(CultureInfo.InvariantCulture) + ". " : "- ";
            var pad = new string(' ', marker.Length);
            var first = true;
            foreach (var line in string.Join("\n", itemBlocks).Split('\n'))
            {
                lines.Add(first ? marker + line : line.Length == 0 ? line : pad + line);
                first = false;
            }
        }

        if (lines.Count > 0)
        {
            blocks.Add(string.Join("\n", lines));
        }
    }

    private void RenderTable(IElement table, List<string> blocks)
    {
        var rows = table.QuerySelectorAll("tr").Where(tr => tr.Closest("table") == table).ToList();
        var cells = rows.SelectMany(r => r.Children.Where(c => c.LocalName is "td" or "th")).ToList();
        var isLayout = table.GetAttribute("role") is "presentation" or "none"
            || cells.Any(c => c.QuerySelector("table, h1, h2, h3, pre") is not null);
        if (isLayout || rows.Count == 0)
        {
            RenderChildren(table, blocks);
            return;
        }

        if (table.QuerySelector("caption") is { } caption && caption.Closest("table") == table)
        {
            var text = InlineText(caption);
            if (text.Length > 0)
            {
                blocks.Add(text);
            }
        }

        var data = new List<IReadOnlyList<string>>();
        foreach (var tr in rows)
        {
            var row = new List<string>();
            foreach (var cell in tr.Children.Where(c => c.LocalName is "td" or "th"))
            {
                var inner = new List<string>();
                RenderChildren(cell, inner);
                row.Add(string.Join(" ", inner));
                if (int.TryParse(cell.GetAttribute("colspan"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var span))
                {
                    for (var i = 1; i < Math.Min(span, 50); i++)
                    {
                        row.Add("");
                    }
                }
            }

            if (row.Count > 0)
            {
                data.Add(row);
            }
        }

        if (data.Count > 0)
        {
            blocks.Add(MarkdownBlocks.PipeTable(data));
        }
    }

    private string InlineText(IElement el)
    {
        var inner = new List<string>();
        RenderChildren(el, inner);
        return MarkdownBlocks.Collapse(string.Join(" ", inner));
    }

    private void AppendInline(INode node, StringBuilder sb)
    {
        if (node.NodeType == NodeType.Text)
        {
            var text = node.TextContent;
            if (text.Length > 0)
            {
                sb.Append(CollapseKeepEdges(text));
            }

            return;
        }

        if (node is not IElement el || SkipTags.Contains(el.LocalName))
        {
            return;
        }

        switch (el.LocalName)
        {
            case "br":
                sb.Append('\n');
                return;
            case "img":
                return;
            case "input":
                if (string.Equals(el.GetAttribute("type"), "checkbox", StringComparison.OrdinalIgnoreCase))
                {
                    sb.Append(el.HasAttribute("checked") ? "[x] " : "[ ] ");
                }

                return;
            case "code" or "kbd" or "samp" or "tt":
                {
                    var code = MarkdownBlocks.Collapse(el.TextContent);
                    if (code.Length > 0)
                    {
                        var tick = code.Contains('`', StringComparison.Ordinal) ? "``" : "`";
                        var pad = tick.Length > 1 ? " " : "";
                        sb.Append(tick).Append(pad).Append(code).Append(pad).Append(tick);
                    }

                    return;
                }

            case "strong" or "b":
                Wrap(el, sb, "**");
                return;
            case "em" or "i":
                Wrap(el, sb, "*");
                return;
            case "a":
                {
                    var inner = new StringBuilder();
                    foreach (var c in el.ChildNodes)
                    {
                        AppendInline(c, inner);
                    }

                    var text = inner.ToString();
                    var href = el.GetAttribute("href");
                    if (_keepLinks && !string.IsNullOrWhiteSpace(text) && !string.IsNullOrWhiteSpace(href)
                        && !href.StartsWith('#') && !href.StartsWith("javascript:", StringComparison.OrdinalIgnoreCase)
                        && !text.Contains('\n', StringComparison.Ordinal) && MarkdownBlocks.Collapse(text) != href)
                    {
                        AppendWrapped(sb, text, "[", "](" + ResolveHref(href).Replace(" ", "%20", StringComparison.Ordinal) + ")");
                    }
                    else
                    {
                        sb.Append(text);
                    }

                    return;
                }

            default:
                foreach (var c in el.ChildNodes)
                {
                    AppendInline(c, sb);
                }

                return;
        }
    }

    private string ResolveHref(string href)
    {
        href = href.Trim();
        if (_baseUrl is not null && Uri.TryCreate(_baseUrl, href, out var absolute)
            && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps || absolute.Scheme == Uri.UriSchemeMailto))
        {
            return absolute.AbsoluteUri;
        }

        return href;
    }

    private void Wrap(IElement el, StringBuilder sb, string marker)
    {
        var inner = new StringBuilder();
        foreach (var c in el.ChildNodes)
        {
            AppendInline(c, inner);
        }

        var text = inner.ToString();
        if (text.Contains('\n', StringComparison.Ordinal) || text.Contains(marker, StringComparison.Ordinal))
        {
            sb.Append(text);
            return;
        }

        AppendWrapped(sb, text, marker, marker);
    }

    private static void AppendWrapped(StringBuilder sb, string text, string open, string close)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            sb.Append(text);
            return;
        }

        var trimmed = text.Trim();
        var lead = text.Length - text.TrimStart().Length;
        var trail = text.Length - text.TrimEnd().Length;
        sb.Append(' ', lead > 0 ? 1 : 0).Append(open).Append(MarkdownBlocks.Collapse(trimmed)).Append(close).Append(' ', trail > 0 ? 1 : 0);
    }

    private static string CollapseKeepEdges(string text)
    {
        var sb = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                if (!space)
                {
                    sb.Append(' ');
                }

                space = true;
            }
            else
            {
                sb.Append(c);
                space = false;
            }
        }

        return sb.ToString();
    }
}
