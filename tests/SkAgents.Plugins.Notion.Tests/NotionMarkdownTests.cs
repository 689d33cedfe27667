using System.Text.Json.Nodes;
using SkAgents.Testing.Notion;
using static SkAgents.Testing.Notion.FakeNotionServer;

namespace SkAgents.Plugins.Notion.Tests;

/// <summary>Reading pages as Markdown: every supported block type, nesting and pagination at every level.</summary>
public sealed class NotionMarkdownTests : NotionTestBase
{
    [Fact]
    public async Task Every_supported_block_type_renders_to_known_markdown_across_paginated_nested_children()
    {
        Server.PageSizeCap = 2;
        var page = Server.AddPage("Handbook");
        var mention = new JsonObject
        {
            ["type"] = "mention",
            ["mention"] = new JsonObject { ["type"] = "page", ["page"] = new JsonObject { ["id"] = "abc" } },
            ["plain_text"] = "Roadmap",
            ["href"] = "https://www.notion.so/abc",
        };
        var equation = new JsonObject { ["type"] = "equation", ["equation"] = new JsonObject { ["expression"] = "E=mc^2" } };
        Server.AddBlocks(
            page,
            TextBlock("heading_1", "Overview"),
            RichBlock("paragraph", Text("Plain "), Text("bold", bold: true), Text(" "), Text("italic", italic: true), Text(" "), Text("gone", strikethrough: true), Text(" "), Text("x = 1", code: true), Text(" "), Text("docs", link: "https://example.com/docs"), Text(" "), equation, Text(" and "), mention),
            TextBlock("heading_2", "Lists"),
            TextBlock("bulleted_list_item", "One", TextBlock("bulleted_list_item", "One.a", TextBlock("bulleted_list_item", "One.a.i", TextBlock("bulleted_list_item", "Deep")))),
            TextBlock("bulleted_list_item", "Two"),
            TextBlock("numbered_list_item", "First"),
            TextBlock("numbered_list_item", "Second", TextBlock("numbered_list_item", "Second.1")),
            Block("to_do", new JsonObject { ["rich_text"] = new JsonArray(Text("Buy milk")), ["checked"] = false }),
            Block("to_do", new JsonObject { ["rich_text"] = new JsonArray(Text("Ship it")), ["checked"] = true }),
            TextBlock("heading_3", "Details"),
            TextBlock("toggle", "More", TextBlock("paragraph", "Hidden text")),
            TextBlock("quote", "Wise words"),
            Block("callout", new JsonObject { ["rich_text"] = new JsonArray(Text("Remember this")), ["icon"] = new JsonObject { ["type"] = "emoji", ["emoji"] = "💡" }, ["color"] = "gray_background" }),
            Block("code", new JsonObject { ["rich_text"] = new JsonArray(Text("print('hi')")), ["language"] = "python", ["caption"] = new JsonArray() }),
            Block("divider"),
            Block("equation", new JsonObject { ["expression"] = "a^2+b^2=c^2" }),
            Block("table", new JsonObject { ["table_width"] = 2, ["has_column_header"] = true, ["has_row_header"] = false },
                Row("Name", "Role"), Row("Ada", "Engineer"), Row("Linus", "Kernel | dev")),
            Block("image", new JsonObject { ["type"] = "external", ["external"] = new JsonObject { ["url"] = "https://example.com/cat.png" }, ["caption"] = new JsonArray(Text("A cat")) }),
            Block("file", new JsonObject { ["type"] = "file", ["file"] = new JsonObject { ["url"] = "https://files.example.com/report.pdf", ["expiry_time"] = "2026-01-01T01:00:00.000Z" }, ["caption"] = new JsonArray(), ["name"] = "report.pdf" }),
            Block("pdf", new JsonObject { ["type"] = "external", ["external"] = new JsonObject { ["url"] = "https://example.com/spec.pdf" }, ["caption"] = new JsonArray(Text("Spec")) }),
            Block("video", new JsonObject { ["type"] = "external", ["external"] = new JsonObject { ["url"] = "https://example.com/v.mp4" } }),
            Block("bookmark", new JsonObject { ["url"] = "https://example.com/article", ["caption"] = new JsonArray() }),
            Block("embed", new JsonObject { ["url"] = "https://example.com/embed" }),
            Block("link_preview", new JsonObject { ["url"] = "https://github.com/org/repo/pull/1" }),
            Block("column_list", new JsonObject(), Block("column", new JsonObject(), TextBlock("paragraph", "Left")), Block("column", new JsonObject(), TextBlock("paragraph", "Right"))),
            Block("synced_block", new JsonObject { ["synced_from"] = null }, TextBlock("paragraph", "Synced")));
        var child = Server.AddPage("Child", page);
        Server.AddBlocks(child, TextBlock("paragraph", "Inside the child"));
        var (database, _) = Server.AddDatabase("Tasks", page);
        Server.AddBlocks(page, Block("table_of_contents", new JsonObject { ["color"] = "default" }));
        using var client = Client();

        var content = await client.ReadPageAsMarkdownAsync("https://www.notion.so/acme/Handbook-" + page.Replace("-", ""));

        var expected = $$"""
            # Handbook

            ## Overview

            Plain **bold** *italic* ~~gone~~ `x = 1` [docs](https://example.com/docs) $E=mc^2$ and [Roadmap](https://www.notion.so/abc)

            ### Lists

            - One
              - One.a
                - One.a.i
                  - Deep
            - Two

            1. First
            2. Second
               1. Second.1

            - [ ] Buy milk
            - [x] Ship it

            #### Details

            <details>
            <summary>More</summary>

            Hidden text

            </details>

            > Wise words

            > 💡 Remember this

            ```python
            print('hi')
            ```

            ---

            $$
            a^2+b^2=c^2
            $$

            | Name | Role |
            | --- | --- |
            | Ada | Engineer |
            | Linus | Kernel \| dev |

            ![A cat](https://example.com/cat.png)

            [report.pdf](https://files.example.com/report.pdf)

            [Spec](https://example.com/spec.pdf)

            [video](https://example.com/v.mp4)

            [https://example.com/article](https://example.com/article)

            [https://example.com/embed](https://example.com/embed)

            [https://github.com/org/repo/pull/1](https://github.com/org/repo/pull/1)

            Left

            Right

            Synced

            [Child](https://www.notion.so/{{child.Replace("-", "")}})

            [Tasks](https://www.notion.so/{{database.Replace("-", "")}})

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), content.Markdown);
        Assert.Equal("Handbook", content.Page.Title);
        Assert.Equal([child], content.ChildPages);
        Assert.DoesNotContain("Inside the child", content.Markdown, StringComparison.Ordinal);

        // Pagination happened at the top level and inside nested blocks, and child pages were not descended into.
        var childRequests = Server.Requests.Where(r => r.Path.EndsWith("/children", StringComparison.Ordinal)).ToList();
        Assert.True(childRequests.Count(r => r.Path.Contains(page, StringComparison.Ordinal)) >= 14, "the page's 29 blocks take 15 pages of 2");
        Assert.Contains(childRequests, r => !r.Path.Contains(page, StringComparison.Ordinal) && r.Query.Contains("start_cursor", StringComparison.Ordinal));
        Assert.DoesNotContain(childRequests, r => r.Path.Contains(child, StringComparison.Ordinal));
        Assert.All(childRequests, r => Assert.Contains("page_size=100", r.Query, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Table_without_header_and_numbering_restarts_after_other_blocks()
    {
        var page = Server.AddPage("Numbers");
        Server.AddBlocks(
            page,
            TextBlock("numbered_list_item", "a"),
            TextBlock("numbered_list_item", "b"),
            TextBlock("paragraph", "break"),
            TextBlock("numbered_list_item", "c"),
            Block("table", new JsonObject { ["table_width"] = 2, ["has_column_header"] = false }, Row("1", "2")));
        using var client = Client();

        var content = await client.ReadPageAsMarkdownAsync(page);

        Assert.Equal("# Numbers\n\n1. a\n2. b\n\nbreak\n\n1. c\n\n|  |  |\n| --- | --- |\n| 1 | 2 |\n", content.Markdown);
    }

    [Fact]
    public async Task Created_markdown_reads_back_the_same()
    {
        var parent = Server.AddPage("Parent");
        using var client = Client();
        const string body = """
            ## Plan

            Some **bold** and *italic* text with `code`, ~~old~~ and a [link](https://example.com/).

            - Item one
              - Nested item
            - Item two

            1. Step one
            2. Step two

            - [ ] Open task
            - [x] Done task

            > A quote

            ```csharp
            var x = 1;
            ```

            ---

            | A | B |
            | --- | --- |
            | 1 | 2 |

            """;

        var created = await client.CreatePageFromMarkdownAsync(new NotionParent(NotionParentKind.Page, parent), "Roundtrip", body);
        var content = await client.ReadPageAsMarkdownAsync(created.PageId);

        var expected = "# Roundtrip\n\n" + body.ReplaceLineEndings("\n")
            .Replace("## Plan", "### Plan", StringComparison.Ordinal)
            .Replace("```csharp", "```c#", StringComparison.Ordinal);
        Assert.Equal(expected, content.Markdown);
    }

    private static JsonObject Row(params string[] cells) =>
        Block("table_row", new JsonObject { ["cells"] = new JsonArray([.. cells.Select(c => (JsonNode)new JsonArray(Text(c)))]) });
}
