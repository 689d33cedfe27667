using System.Text;
using System.Text.Json.Nodes;
using Markdig;
using Markdig.Extensions.Mathematics;
using Markdig.Extensions.Tables;
using Markdig.Extensions.TaskLists;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace SkAgents.Plugins.Notion;

/// <summary>
/// Converts Markdown to Notion block objects for create-page and append requests, within Notion's limits: text is
/// split into rich-text items of at most <see cref="MaxTextLength"/> characters (never between the two halves of a
/// surrogate pair), a block holds at most <see cref="MaxRichTextItems"/> rich-text items (longer paragraphs become
/// several paragraphs) and at most <see cref="MaxChildren"/> children (longer tables become several tables that repeat
/// the header row; other children beyond 100 follow their parent), and nesting deeper than
/// <see cref="MaxNestingDepth"/> levels below the top is flattened into the deepest allowed level, in order.
/// </summary>
public static class NotionBlockBuilder
{
    /// <summary>Notion's limit on <c>text.content</c> of one rich-text item.</summary>
    public const int MaxTextLength = 2000;

    /// <summary>Notion's limit on the items of one rich-text array.</summary>
    public const int MaxRichTextItems = 100;

    /// <summary>Levels of children below a top-level block that one append or create request may carry.</summary>
    public const int MaxNestingDepth = 2;

    /// <summary>Notion's limit on the children of one block in a request.</summary>
    public const int MaxChildren = 100;

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseTaskLists()
        .UseMathematics()
        .UseEmphasisExtras(Markdig.Extensions.EmphasisExtras.EmphasisExtraOptions.Strikethrough)
        .UseAutoLinks()
        .Build();

    private static readonly HashSet<string> Languages = new(StringComparer.Ordinal)
    {
        "abap", "arduino", "bash", "basic", "c", "clojure", "coffeescript", "c++", "c#", "css", "dart", "diff", "docker",
        "elixir", "elm", "erlang", "flow", "fortran", "f#", "gherkin", "glsl", "go", "graphql", "groovy", "haskell", "html",
        "java", "javascript", "json", "julia", "kotlin", "latex", "less", "lisp", "livescript", "lua", "makefile", "markdown",
        "markup", "matlab", "mermaid", "nix", "objective-c", "ocaml", "pascal", "perl", "php", "plain text", "powershell",
        "prolog", "protobuf", "python", "r", "reason", "ruby", "rust", "sass", "scala", "scheme", "scss", "shell", "solidity",
        "sql", "swift", "typescript", "vb.net", "verilog", "vhdl", "visual basic", "webassembly", "xml", "yaml", "java/c/c++/c#",
    };

    private static readonly Dictionary<string, string> LanguageAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["js"] = "javascript", ["jsx"] = "javascript", ["ts"] = "typescript", ["tsx"] = "typescript", ["py"] = "python",
        ["sh"] = "shell", ["zsh"] = "shell", ["console"] = "shell", ["cs"] = "c#", ["csharp"] = "c#", ["cpp"] = "c++",
        ["cxx"] = "c++", ["fsharp"] = "f#", ["fs"] = "f#", ["yml"] = "yaml", ["md"] = "markdown", ["dockerfile"] = "docker",
        ["ps1"] = "powershell", ["pwsh"] = "powershell", ["rb"] = "ruby", ["rs"] = "rust", ["kt"] = "kotlin",
        ["golang"] = "go", ["text"] = "plain text", ["txt"] = "plain text", ["plaintext"] = "plain text",
        ["jsonc"] = "json", ["tex"] = "latex", ["objc"] = "objective-c", ["vb"] = "visual basic", ["proto"] = "protobuf",
        ["make"] = "makefile", ["htm"] = "html", ["wasm"] = "webassembly", ["hs"] = "haskell",
    };

    /// <summary>Converts Markdown to blocks.</summary>
    /// <param name="markdown">The Markdown (CommonMark with pipe tables, task lists, strikethrough and <c>$math$</c>).</param>
    /// <returns>The top-level blocks, each with its (depth-limited) children.</returns>
    public static IReadOnlyList<JsonObject> FromMarkdown(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var document = Markdown.Parse(markdown.ReplaceLineEndings("\n"), Pipeline);
        var blocks = new List<JsonObject>();
        foreach (var block in document)
        {
            Convert(block, blocks);
        }

        return LimitDepth(blocks, 0);
    }

    /// <summary>Builds a rich-text array for plain text, split into items of at most <see cref="MaxTextLength"/> characters.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The rich-text items.</returns>
    public static JsonArray RichText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ToRichText([new Segment(text, default, null, false)]);
    }

    /// <summary>Splits text into pieces of at most <paramref name="max"/> UTF-16 code units, never inside a surrogate pair.</summary>
    /// <param name="text">The text.</param>
    /// <param name="max">The longest piece.</param>
    /// <returns>The pieces, in order; none for empty text.</returns>
    public static IEnumerable<string> SplitText(string text, int max = MaxTextLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 2);
        var start = 0;
        while (start < text.Length)
        {
            var length = Math.Min(max, text.Length - start);
            if (start + length < text.Length && char.IsHighSurrogate(text[start + length - 1]) && char.IsLowSurrogate(text[start + length]))
            {
                length--;
            }

            yield return text.Substring(start, length);
            start += length;
        }
    }

    /// <summary>Counts a block and all its nested children.</summary>
    /// <param name="block">The block.</param>
    /// <returns>1 plus the count of its descendants.</returns>
    public static int CountElements(JsonObject block)
    {
        ArgumentNullException.ThrowIfNull(block);
        return 1 + Children(block).Sum(c => CountElements((JsonObject)c!));
    }

    /// <summary>Maps a Markdown fence language to one Notion accepts (<c>plain text</c> when unknown).</summary>
    /// <param name="language">The fence's info string.</param>
    /// <returns>A Notion code language.</returns>
    public static string CodeLanguage(string? language)
    {
        var name = (language ?? string.Empty).Trim().Split(' ', 2)[0].ToLowerInvariant();
        if (name.Length == 0)
        {
            return "plain text";
        }

        return Languages.Contains(name) ? name : LanguageAliases.TryGetValue(name, out var mapped) ? mapped : "plain text";
    }

    private static void Convert(Block block, List<JsonObject> output)
    {
        switch (block)
        {
            case HeadingBlock heading:
                output.AddRange(TextBlocks($"heading_{Math.Clamp(heading.Level, 1, 3)}", Inlines(heading.Inline)));
                break;
            case ParagraphBlock paragraph when SingleImage(paragraph) is { } image:
                output.Add(Block("image", new JsonObject { ["type"] = "external", ["external"] = new JsonObject { ["url"] = image.Url } }));
                break;
            case ParagraphBlock paragraph:
                output.AddRange(TextBlocks("paragraph", Inlines(paragraph.Inline)));
                break;
            case ListBlock list:
                foreach (var item in list.OfType<ListItemBlock>())
                {
                    output.Add(ListItem(item, list.IsOrdered));
                }

                break;
            case QuoteBlock quote:
                output.Add(WithLeadText("quote", quote));
                break;
            case MathBlock math:
                output.Add(Block("equation", new JsonObject { ["expression"] = Lines(math).Trim() }));
                break;
            case CodeBlock code:
                var text = Lines(code);
                output.Add(Block("code", new JsonObject
                {
                    ["rich_text"] = ToRichText([new Segment(text, default, null, false)]),
                    ["language"] = CodeLanguage((code as FencedCodeBlock)?.Info),
                }));
                break;
            case ThematicBreakBlock:
                output.Add(Block("divider", new JsonObject()));
                break;
            case Table table:
                output.AddRange(TableBlocks(table));
                break;
            case HtmlBlock html:
                output.AddRange(TextBlocks("paragraph", [new Segment(Lines(html).Trim(), default, null, false)]));
                break;
            case LinkReferenceDefinitionGroup:
                break;
            case ContainerBlock container:
                foreach (var child in container)
                {
                    Convert(child, output);
                }

                break;
            case LeafBlock leaf when leaf.Inline is not null:
                output.AddRange(TextBlocks("paragraph", Inlines(leaf.Inline)));
                break;
        }
    }

    private static JsonObject ListItem(ListItemBlock item, bool ordered)
    {
        var type = ordered ? "numbered_list_item" : "bulleted_list_item";
        bool? isChecked = null;
        if (item.FirstOrDefault() is ParagraphBlock { Inline.FirstChild: TaskList task })
        {
            type = "to_do";
            isChecked = task.Checked;
        }

        var result = WithLeadText(type, item);
        if (isChecked is { } done)
        {
            ((JsonObject)result[type]!)["checked"] = done;
        }

        return result;
    }

    /// <summary>A block whose text is its first paragraph and whose children are the rest (list items, quotes).</summary>
    private static JsonObject WithLeadText(string type, ContainerBlock container)
    {
        var segments = new List<Segment>();
        var rest = new List<JsonObject>();
        var first = true;
        foreach (var child in container)
        {
            if (first && child is ParagraphBlock paragraph && SingleImage(paragraph) is null)
            {
                segments = Inlines(paragraph.Inline);
            }
            else
            {
                Convert(child, rest);
            }

            first = false;
        }

        var richText = ToRichText(segments);
        var body = new JsonObject { ["rich_text"] = Take(richText, MaxRichTextItems) };
        if (richText.Count > 0)
        {
            // Text beyond one block's 100 items continues in paragraphs under it.
            rest.InsertRange(0, Chunks(richText).Select(extra => Block("paragraph", new JsonObject { ["rich_text"] = extra })));
        }

        if (rest.Count > 0)
        {
            body["children"] = new JsonArray([.. rest]);
        }

        return Block(type, body);
    }

    /// <summary>A table, split into several tables of at most 100 rows (a block's children limit), each repeating the header row.</summary>
    private static IEnumerable<JsonObject> TableBlocks(Table table)
    {
        var rows = table.OfType<TableRow>().ToList();
        var width = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Count));
        var header = rows.Count > 0 && rows[0].IsHeader ? rows[0] : null;
        var body = header is null ? rows : rows.Skip(1).ToList();
        var perTable = MaxChildren - (header is null ? 0 : 1);
        for (var start = 0; start == 0 || start < body.Count; start += perTable)
        {
            var part = body.Skip(start).Take(perTable).ToList();
            yield return TableBlock(header is null ? part : [header, .. part], width, header is not null);
        }
    }

    private static JsonObject TableBlock(List<TableRow> rows, int width, bool hasHeader)
    {
        var children = new JsonArray();
        foreach (var row in rows)
        {
            var cells = new JsonArray();
            for (var i = 0; i < width; i++)
            {
                var cell = i < row.Count ? row[i] as TableCell : null;
                var segments = new List<Segment>();
                foreach (var paragraph in cell?.OfType<ParagraphBlock>() ?? [])
                {
                    segments.AddRange(Inlines(paragraph.Inline));
                }

                cells.Add(ToRichText(segments));
            }

            children.Add(Block("table_row", new JsonObject { ["cells"] = cells }));
        }

        return Block("table", new JsonObject
        {
            ["table_width"] = width,
            ["has_column_header"] = hasHeader,
            ["has_row_header"] = false,
            ["children"] = children,
        });
    }

    private static List<JsonObject> TextBlocks(string type, List<Segment> segments)
    {
        var richText = ToRichText(segments);
        var blocks = new List<JsonObject> { Block(type, new JsonObject { ["rich_text"] = Take(richText, MaxRichTextItems) }) };
        foreach (var extra in Chunks(richText))
        {
            blocks.Add(Block(type == "paragraph" || type.StartsWith("heading_", StringComparison.Ordinal) ? "paragraph" : type, new JsonObject { ["rich_text"] = extra }));
        }

        return blocks;
    }

    private static JsonArray Take(JsonArray items, int count) => new([.. items.Take(count).Select(i => i!.DeepClone())]);

    /// <summary>The 100-item chunks after the first.</summary>
    private static IEnumerable<JsonArray> Chunks(JsonArray items)
    {
        for (var start = MaxRichTextItems; start < items.Count; start += MaxRichTextItems)
        {
            yield return new JsonArray([.. items.Skip(start).Take(MaxRichTextItems).Select(i => i!.DeepClone())]);
        }
    }

    private static JsonObject Block(string type, JsonObject body) => new() { ["object"] = "block", ["type"] = type, [type] = body };

    private static JsonArray Children(JsonObject block) =>
        block["type"]?.GetValue<string>() is { } type && block[type] is JsonObject body && body["children"] is JsonArray children ? children : [];

    private static List<JsonObject> LimitDepth(List<JsonObject> blocks, int depth)
    {
        var result = new List<JsonObject>();
        foreach (var block in blocks)
        {
            result.Add(block);
            var type = block["type"]!.GetValue<string>();
            if (block[type] is not JsonObject body || body["children"] is not JsonArray children)
            {
                continue;
            }

            var kids = children.Select(c => (JsonObject)c!).ToList();
            children.Clear();

            if (depth >= MaxNestingDepth)
            {
                // Too deep for one request: the children follow their parent as siblings, in order.
                body.Remove("children");
                result.AddRange(LimitDepth(kids, depth));
            }
            else
            {
                var limited = LimitDepth(kids, depth + 1);
                foreach (var kid in limited.Take(MaxChildren))
                {
                    children.Add(kid);
                }

                // More than a block may hold: the rest follow it as siblings, in order.
                result.AddRange(limited.Skip(MaxChildren));
            }
        }

        return result;
    }

    private static LinkInline? SingleImage(ParagraphBlock paragraph) =>
        paragraph.Inline?.FirstChild is LinkInline { IsImage: true } link && link.NextSibling is null
            && Uri.TryCreate(link.Url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? link
            : null;

    private static string Lines(LeafBlock block)
    {
        var builder = new StringBuilder();
        var lines = block.Lines;
        for (var i = 0; i < lines.Count; i++)
        {
            if (i > 0)
            {
                builder.Append('\n');
            }

            builder.Append(lines.Lines[i].Slice.ToString());
        }

        return builder.ToString();
    }

    private static List<Segment> Inlines(ContainerInline? container)
    {
        var segments = new List<Segment>();
        if (container is not null)
        {
            Walk(container, default, null, segments);
        }

        // Trim the text's outer whitespace (a task list's "[ ]" marker leaves a space behind it).
        if (segments.Count > 0 && !segments[0].Style.Code && !segments[0].Equation)
        {
            segments[0] = segments[0] with { Text = segments[0].Text.TrimStart() };
        }

        if (segments.Count > 0 && !segments[^1].Style.Code && !segments[^1].Equation)
        {
            segments[^1] = segments[^1] with { Text = segments[^1].Text.TrimEnd() };
        }

        return segments;
    }

    private static void Walk(Inline inline, Style style, string? link, List<Segment> output)
    {
        switch (inline)
        {
            case LiteralInline literal:
                output.Add(new Segment(literal.Content.ToString(), style, link, false));
                break;
            case CodeInline code:
                output.Add(new Segment(code.Content, style with { Code = true }, link, false));
                break;
            case MathInline math:
                output.Add(new Segment(math.Content.ToString(), style, null, true));
                break;
            case AutolinkInline auto:
                output.Add(new Segment(auto.Url, style, auto.IsEmail ? "mailto:" + auto.Url : auto.Url, false));
                break;
            case LineBreakInline lineBreak:
                output.Add(new Segment(lineBreak.IsHard ? "\n" : " ", style, link, false));
                break;
            case HtmlEntityInline entity:
                output.Add(new Segment(entity.Transcoded.ToString(), style, link, false));
                break;
            case HtmlInline html:
                output.Add(new Segment(html.Tag, style, link, false));
                break;
            case TaskList:
                break;
            case EmphasisInline emphasis:
                var inner = emphasis.DelimiterChar == '~' ? style with { Strikethrough = true }
                    : emphasis.DelimiterCount >= 2 ? style with { Bold = true }
                    : style with { Italic = true };
                foreach (var child in emphasis)
                {
                    Walk(child, inner, link, output);
                }

                break;
            case LinkInline { IsImage: true } image:
                var alt = new List<Segment>();
                foreach (var child in image)
                {
                    Walk(child, style, image.Url, alt);
                }

                output.Add(new Segment(alt.Count == 0 ? image.Url ?? string.Empty : string.Concat(alt.Select(a => a.Text)), style, image.Url, false));
                break;
            case LinkInline linkInline:
                foreach (var child in linkInline)
                {
                    Walk(child, style, linkInline.Url, output);
                }

                break;
            case ContainerInline container:
                foreach (var child in container)
                {
                    Walk(child, style, link, output);
                }

                break;
        }
    }

    private static JsonArray ToRichText(List<Segment> segments)
    {
        // Merge neighbours with the same style and link, so splitting works on whole runs.
        var merged = new List<Segment>();
        foreach (var segment in segments.Where(s => s.Text.Length > 0))
        {
            if (merged.Count > 0 && merged[^1] is var last && !last.Equation && !segment.Equation && last.Style == segment.Style && last.Link == segment.Link)
            {
                merged[^1] = last with { Text = last.Text + segment.Text };
            }
            else
            {
                merged.Add(segment);
            }
        }

        var items = new JsonArray();
        foreach (var segment in merged)
        {
            if (segment.Equation)
            {
                items.Add(new JsonObject { ["type"] = "equation", ["equation"] = new JsonObject { ["expression"] = segment.Text } });
                continue;
            }

            foreach (var piece in SplitText(segment.Text))
            {
                var item = new JsonObject
                {
                    ["type"] = "text",
                    ["text"] = new JsonObject
                    {
                        ["content"] = piece,
                        ["link"] = segment.Link is { Length: > 0 } url ? new JsonObject { ["url"] = url } : null,
                    },
                };
                if (segment.Style != default)
                {
                    item["annotations"] = new JsonObject
                    {
                        ["bold"] = segment.Style.Bold,
                        ["italic"] = segment.Style.Italic,
                        ["strikethrough"] = segment.Style.Strikethrough,
                        ["underline"] = false,
                        ["code"] = segment.Style.Code,
                        ["color"] = "default",
                    };
                }

                items.Add(item);
            }
        }

        return items;
    }

    private readonly record struct Style(bool Bold, bool Italic, bool Strikethrough, bool Code);

    private sealed record Segment(string Text, Style Style, string? Link, bool Equation);
}
