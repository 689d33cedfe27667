using System.Text;
using System.Text.Json;

namespace SkAgents.Plugins.Notion;

/// <summary>
/// Renders Notion blocks as Markdown.
/// </summary>
/// <remarks>
/// <para><b>Headings:</b> the page title is the document's only <c>#</c> heading and Notion's headings shift down one
/// level (<c>heading_1</c> → <c>##</c>, <c>heading_2</c> → <c>###</c>, <c>heading_3</c> → <c>####</c>), as
/// notion-haystack does, so a page is one well-formed Markdown document whose section paths start at its title.</para>
/// <para>Lists nest by indentation (two spaces for bullets, three for numbers); to-dos are <c>- [ ]</c>/<c>- [x]</c>;
/// toggles are <c>&lt;details&gt;</c>; quotes and callouts (with their emoji) are blockquotes; code is fenced with its
/// language; equations are <c>$$…$$</c>; tables are pipe tables (an empty header row when the table has no column
/// header); media, files, bookmarks and embeds are links (images as <c>![caption](url)</c>); child pages and
/// databases are links to them; columns and synced blocks render their children. Rich text keeps bold, italic,
/// strikethrough, inline code, links, mentions (their text, linked) and inline equations (<c>$…$</c>).</para>
/// </remarks>
public static class NotionMarkdownRenderer
{
    /// <summary>Renders a page: <c># Title</c>, then its blocks.</summary>
    /// <param name="title">The page title.</param>
    /// <param name="blocks">The page's blocks with their children.</param>
    /// <returns>The Markdown, ending with one newline.</returns>
    public static string RenderPage(string title, IReadOnlyList<NotionBlock> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var body = RenderBlocks(blocks);
        var heading = string.IsNullOrWhiteSpace(title) ? string.Empty : "# " + title.Trim() + "\n";
        if (body.Length == 0)
        {
            return heading;
        }

        return heading.Length == 0 ? body : heading + "\n" + body;
    }

    /// <summary>Renders blocks (no title).</summary>
    /// <param name="blocks">The blocks with their children.</param>
    /// <returns>The Markdown, ending with one newline (empty when there is nothing to show).</returns>
    public static string RenderBlocks(IReadOnlyList<NotionBlock> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var chunks = RenderSequence(blocks);
        return chunks.Count == 0 ? string.Empty : string.Join("\n\n", chunks) + "\n";
    }

    /// <summary>Collects the ids of child pages and child databases, at any depth.</summary>
    /// <param name="blocks">The blocks.</param>
    /// <returns>The ids, in document order.</returns>
    public static IReadOnlyList<string> ChildPageIds(IEnumerable<NotionBlock> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var ids = new List<string>();
        foreach (var block in blocks)
        {
            if (block.Type == "child_page")
            {
                ids.Add(block.Id);
            }

            ids.AddRange(ChildPageIds(block.Children));
        }

        return ids;
    }

    /// <summary>Renders a rich-text array with its annotations, links, mentions and equations.</summary>
    /// <param name="richText">The rich-text array.</param>
    /// <returns>Inline Markdown.</returns>
    public static string RenderRichText(JsonElement richText)
    {
        if (richText.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        var builder = new StringBuilder();
        foreach (var item in richText.EnumerateArray())
        {
            var type = item.Str("type");
            var plain = item.Str("plain_text") ?? item.Get("text").Str("content") ?? string.Empty;
            if (type == "equation")
            {
                var expression = item.Get("equation").Str("expression") ?? plain;
                builder.Append('$').Append(expression).Append('$');
                continue;
            }

            var href = item.Str("href") ?? item.Get("text").Get("link").Str("url");
            var annotations = item.Get("annotations");
            builder.Append(Decorate(plain, annotations.Bool("bold") == true, annotations.Bool("italic") == true, annotations.Bool("strikethrough") == true, annotations.Bool("code") == true, href));
        }

        return builder.ToString();
    }

    private static string Decorate(string text, bool bold, bool italic, bool strikethrough, bool code, string? href)
    {
        if (text.Length == 0)
        {
            return text;
        }

        // Markers must touch the text: keep outer whitespace outside them.
        var core = text.Trim();
        if (core.Length == 0)
        {
            return text;
        }

        var lead = text[..text.IndexOf(core[0], StringComparison.Ordinal)];
        var trail = text[(lead.Length + core.Length)..];
        if (code)
        {
            var fence = core.Contains('`', StringComparison.Ordinal) ? "``" : "`";
            core = fence + (fence.Length > 1 ? " " + core + " " : core) + fence;
        }

        if (strikethrough)
        {
            core = "~~" + core + "~~";
        }

        if (italic)
        {
            core = "*" + core + "*";
        }

        if (bold)
        {
            core = "**" + core + "**";
        }

        if (href is { Length: > 0 })
        {
            core = $"[{core}]({Link(href)})";
        }

        return lead + core + trail;
    }

    private static string Link(string url) => url.Replace(" ", "%20", StringComparison.Ordinal).Replace(")", "%29", StringComparison.Ordinal).Replace("(", "%28", StringComparison.Ordinal);

    private static List<string> RenderSequence(IReadOnlyList<NotionBlock> blocks)
    {
        var chunks = new List<string>();
        var number = 0;
        string? previousType = null;
        foreach (var block in blocks)
        {
            number = block.Type == "numbered_list_item" ? (previousType == "numbered_list_item" ? number + 1 : 1) : 0;
            var rendered = Render(block, number);
            var isListItem = block.Type is "bulleted_list_item" or "numbered_list_item" or "to_do";
            if (rendered.Length > 0)
            {
                // Consecutive items of one list stay together (a tight list).
                if (isListItem && previousType == block.Type && chunks.Count > 0)
                {
                    chunks[^1] += "\n" + rendered;
                }
                else
                {
                    chunks.Add(rendered);
                }
            }

            previousType = block.Type;
        }

        return chunks;
    }

    private static string Render(NotionBlock block, int number)
    {
        var body = block.Body;
        var text = RenderRichText(body.Get("rich_text"));
        switch (block.Type)
        {
            case "paragraph":
                return WithIndentedChildren(text, block, "  ");
            case "heading_1":
            case "heading_2":
            case "heading_3":
                var level = block.Type[^1] - '0' + 1;
                var heading = new string('#', level) + " " + text;
                // Toggleable headings hold children.
                return block.Children.Count == 0 ? heading : heading + "\n\n" + RenderBlocks([.. block.Children]).TrimEnd('\n');
            case "bulleted_list_item":
                return WithIndentedChildren("- " + text, block, "  ");
            case "numbered_list_item":
                var marker = number.ToString(System.Globalization.CultureInfo.InvariantCulture) + ". ";
                return WithIndentedChildren(marker + text, block, new string(' ', marker.Length));
            case "to_do":
                return WithIndentedChildren((body.Bool("checked") == true ? "- [x] " : "- [ ] ") + text, block, "  ");
            case "toggle":
                var inner = block.Children.Count == 0 ? string.Empty : "\n\n" + RenderBlocks([.. block.Children]).TrimEnd('\n');
                return $"<details>\n<summary>{text}</summary>{inner}\n\n</details>";
            case "quote":
                return Quote(text, block);
            case "callout":
                var icon = body.Get("icon");
                var emoji = icon.Str("type") == "emoji" ? icon.Str("emoji") : null;
                return Quote(emoji is null ? text : emoji + " " + text, block);
            case "code":
                var language = body.Str("language");
                var code = NotionText.Plain(body.Get("rich_text"));
                var fence = code.Contains("```", StringComparison.Ordinal) ? "````" : "```";
                var caption = RenderRichText(body.Get("caption"));
                return $"{fence}{(language is null or "plain text" ? string.Empty : language)}\n{code}\n{fence}{(caption.Length > 0 ? "\n\n" + caption : string.Empty)}";
            case "divider":
                return "---";
            case "equation":
                return "$$\n" + (body.Str("expression") ?? string.Empty) + "\n$$";
            case "table":
                return Table(block);
            case "image":
                var imageCaption = RenderRichText(body.Get("caption"));
                return $"![{imageCaption}]({Link(FileUrl(body))})";
            case "file":
            case "pdf":
            case "video":
            case "audio":
                var fileCaption = RenderRichText(body.Get("caption"));
                var name = fileCaption.Length > 0 ? fileCaption : body.Str("name") is { Length: > 0 } n ? n : block.Type;
                return $"[{name}]({Link(FileUrl(body))})";
            case "bookmark":
            case "embed":
            case "link_preview":
                var url = body.Str("url") ?? string.Empty;
                var label = RenderRichText(body.Get("caption"));
                return $"[{(label.Length > 0 ? label : url)}]({Link(url)})";
            case "child_page":
                return $"[{body.Str("title") ?? "Untitled"}]({NotionIds.Url(block.Id)})";
            case "child_database":
                return $"[{body.Str("title") ?? "Untitled database"}]({NotionIds.Url(block.Id)})";
            case "link_to_page":
                var targetType = body.Str("type");
                var target = targetType is null ? null : body.Str(targetType);
                return target is null ? string.Empty : $"[{target}]({NotionIds.Url(target)})";
            case "column_list":
            case "column":
            case "synced_block":
                return RenderBlocks([.. block.Children]).TrimEnd('\n');
            default:
                // table_of_contents, breadcrumb, unsupported…: nothing to show, but keep any children.
                return block.Children.Count == 0 ? string.Empty : RenderBlocks([.. block.Children]).TrimEnd('\n');
        }
    }

    private static string WithIndentedChildren(string first, NotionBlock block, string indent)
    {
        if (block.Children.Count == 0)
        {
            return first;
        }

        var children = RenderBlocks([.. block.Children]).TrimEnd('\n');
        var nested = string.Join('\n', children.Split('\n').Select(line => line.Length == 0 ? line : indent + line));
        // A list's nested list stays tight; other children are separated by a blank line.
        var tight = block.Children[0].Type is "bulleted_list_item" or "numbered_list_item" or "to_do";
        return first + (tight ? "\n" : "\n\n") + nested;
    }

    private static string Quote(string text, NotionBlock block)
    {
        var content = block.Children.Count == 0 ? text : text + "\n\n" + RenderBlocks([.. block.Children]).TrimEnd('\n');
        return string.Join('\n', content.Split('\n').Select(line => line.Length == 0 ? ">" : "> " + line));
    }

    private static string Table(NotionBlock block)
    {
        var rows = block.Children.Where(c => c.Type == "table_row")
            .Select(r => r.Body.Get("cells") is { ValueKind: JsonValueKind.Array } cells
                ? cells.EnumerateArray().Select(c => RenderRichText(c).Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings("<br>")).ToList()
                : [])
            .ToList();
        var width = block.Body.Get("table_width") is { ValueKind: JsonValueKind.Number } w ? w.GetInt32() : rows.Select(r => r.Count).DefaultIfEmpty(1).Max();
        width = Math.Max(width, rows.Select(r => r.Count).DefaultIfEmpty(1).Max());
        if (rows.Count == 0)
        {
            return string.Empty;
        }

        static string Row(IEnumerable<string> cells) => "| " + string.Join(" | ", cells) + " |";
        List<string> Pad(List<string> row) => [.. row, .. Enumerable.Repeat(string.Empty, width - row.Count)];

        var lines = new List<string>();
        var hasHeader = block.Body.Bool("has_column_header") == true;
        lines.Add(Row(hasHeader ? Pad(rows[0]) : Enumerable.Repeat(string.Empty, width)));
        lines.Add(Row(Enumerable.Repeat("---", width)));
        lines.AddRange(rows.Skip(hasHeader ? 1 : 0).Select(r => Row(Pad(r))));
        return string.Join('\n', lines);
    }

    private static string FileUrl(JsonElement body)
    {
        var type = body.Str("type");
        return (type is null ? null : body.Get(type).Str("url")) ?? body.Get("external").Str("url") ?? body.Get("file").Str("url") ?? string.Empty;
    }
}
