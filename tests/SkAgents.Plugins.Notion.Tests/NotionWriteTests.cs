using System.Text;
using System.Text.Json.Nodes;
using SkAgents.Testing.Notion;

namespace SkAgents.Plugins.Notion.Tests;

/// <summary>Creating pages and appending blocks within Notion's limits, and never duplicating a write.</summary>
public sealed class NotionWriteTests : NotionTestBase
{
    [Fact]
    public async Task A_250_block_page_is_one_create_and_two_appends_in_order()
    {
        var parent = Server.AddPage("Parent");
        using var client = Client();
        var markdown = string.Join("\n\n", Enumerable.Range(1, 250).Select(i => $"Paragraph {i}"));

        var result = await client.CreatePageFromMarkdownAsync(new NotionParent(NotionParentKind.Page, parent), "Long page", markdown);

        Assert.Equal(250, result.BlocksWritten);
        Assert.Equal(3, result.Requests);
        Assert.Equal(["POST /v1/pages", $"PATCH /v1/blocks/{result.PageId}/children", $"PATCH /v1/blocks/{result.PageId}/children"], Server.Requests.Select(r => $"{r.Method} {r.Path}"));
        var sent = Server.Requests.Select(r => ((JsonArray)r.Json!["children"]!).Select(Text).ToList()).ToList();
        Assert.Equal([100, 100, 50], sent.Select(s => s.Count));
        Assert.Equal(Enumerable.Range(1, 250).Select(i => $"Paragraph {i}"), sent.SelectMany(s => s));
        var create = Server.Requests[0].Json!;
        Assert.Equal(parent, create["parent"]!["page_id"]!.GetValue<string>());
        Assert.Equal("Long page", create["properties"]!["title"]!["title"]![0]!["text"]!["content"]!.GetValue<string>());
        Assert.Equal(Enumerable.Range(1, 250).Select(i => $"Paragraph {i}"), Server.ChildrenOf(result.PageId).Select(Text));
    }

    [Fact]
    public async Task A_5000_character_paragraph_becomes_three_rich_text_items()
    {
        var parent = Server.AddPage("Parent");
        using var client = Client();
        var text = string.Concat(Enumerable.Range(0, 5000).Select(i => (char)('a' + (i % 26))));

        await client.CreatePageFromMarkdownAsync(new NotionParent(NotionParentKind.Page, parent), "Long text", text);

        var richText = (JsonArray)Server.Requests.Single().Json!["children"]![0]!["paragraph"]!["rich_text"]!;
        Assert.Equal([2000, 2000, 1000], richText.Select(r => r!["text"]!["content"]!.GetValue<string>().Length));
        Assert.Equal(text, string.Concat(richText.Select(r => r!["text"]!["content"]!.GetValue<string>())));
    }

    [Fact]
    public void Splitting_never_separates_a_surrogate_pair()
    {
        var text = new string('a', 1999) + "😀" + new string('b', 10);
        var pieces = NotionBlockBuilder.SplitText(text).ToList();
        Assert.Equal([1999, 12], pieces.Select(p => p.Length));
        Assert.Equal(text, string.Concat(pieces));
        Assert.All(pieces, p => Assert.False(char.IsHighSurrogate(p[^1])));
        Assert.Equal(2, NotionBlockBuilder.RichText(text).Count);
    }

    [Fact]
    public async Task More_than_100_rich_text_items_continue_in_further_paragraphs()
    {
        var parent = Server.AddPage("Parent");
        using var client = Client();
        var text = new string('x', 2000 * 101 + 5);

        var result = await client.CreatePageFromMarkdownAsync(new NotionParent(NotionParentKind.Page, parent), "Huge", text);

        Assert.Equal(2, result.BlocksWritten);
        var children = (JsonArray)Server.Requests.Single().Json!["children"]!;
        Assert.Equal([100, 2], children.Select(c => ((JsonArray)c!["paragraph"]!["rich_text"]!).Count));
    }

    [Fact]
    public async Task Deep_markdown_nesting_is_flattened_to_two_levels_and_accepted()
    {
        var parent = Server.AddPage("Parent");
        using var client = Client();
        const string markdown = "- a\n  - b\n    - c\n      - d\n        - e\n";

        await client.CreatePageFromMarkdownAsync(new NotionParent(NotionParentKind.Page, parent), "Deep", markdown);

        var a = Server.Requests.Single().Json!["children"]![0]!;
        var b = a["bulleted_list_item"]!["children"]![0]!;
        var level2 = (JsonArray)b["bulleted_list_item"]!["children"]!;
        Assert.Equal(["c", "d", "e"], level2.Select(Text));
        Assert.All(level2, c => Assert.Null(c!["bulleted_list_item"]!["children"]));
    }

    [Fact]
    public async Task A_table_of_250_rows_becomes_three_tables_that_repeat_the_header()
    {
        var parent = Server.AddPage("Parent");
        using var client = Client();
        var markdown = "| N | Square |\n| --- | --- |\n" + string.Concat(Enumerable.Range(1, 250).Select(i => $"| {i} | {i * i} |\n"));

        var result = await client.CreatePageFromMarkdownAsync(new NotionParent(NotionParentKind.Page, parent), "Squares", markdown);
        var content = await client.ReadPageAsMarkdownAsync(result.PageId);

        var tables = Server.ChildrenOf(result.PageId);
        Assert.Equal(3, tables.Count);
        Assert.All(tables, t => Assert.Equal("table", t["type"]!.GetValue<string>()));
        Assert.Equal(3, content.Markdown.Split("| N | Square |").Length - 1);
        Assert.Contains("| 250 | 62500 |", content.Markdown, StringComparison.Ordinal);
        Assert.Equal(250, content.Markdown.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| N ", StringComparison.Ordinal) && !l.StartsWith("| --", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Append_splits_into_batches_of_100()
    {
        var page = Server.AddPage("Log");
        using var client = Client();
        var markdown = string.Join("\n\n", Enumerable.Range(1, 150).Select(i => $"Entry {i}"));

        var result = await client.AppendMarkdownAsync(page, markdown);

        Assert.Equal(150, result.BlocksWritten);
        Assert.Equal(2, result.Requests);
        Assert.All(Server.Requests, r => Assert.Equal("PATCH", r.Method));
        Assert.Equal(Enumerable.Range(1, 150).Select(i => $"Entry {i}"), Server.ChildrenOf(page).Select(Text));
    }

    [Fact]
    public async Task A_write_hit_by_500_is_not_retried_and_says_it_may_have_happened()
    {
        var parent = Server.AddPage("Parent");
        // The write lands, but the answer is a 500: a retry would duplicate the page.
        Server.EnqueueFault(new NotionFault("POST", "/v1/pages", 500, "internal_server_error", "Unexpected error.", ApplyThenFail: true));
        using var client = Client();

        var ex = await Assert.ThrowsAsync<NotionWriteOutcomeUnknownException>(() =>
            client.CreatePageFromMarkdownAsync(new NotionParent(NotionParentKind.Page, parent), "Minutes", "Hello"));

        Assert.Single(Server.Requests);
        Assert.Equal(500, ex.Status);
        Assert.Equal(NotionErrorKind.WriteOutcomeUnknown, ex.Kind);
        Assert.Contains("may or may not have happened", ex.Message, StringComparison.Ordinal);
        Assert.Single(Server.PagesTitled("Minutes"));
    }

    [Fact]
    public async Task An_append_hit_by_504_is_not_retried()
    {
        var page = Server.AddPage("Log");
        Server.EnqueueFault(new NotionFault("PATCH", "/children", 504, "gateway_timeout", "Gateway timeout."));
        using var client = Client();

        await Assert.ThrowsAsync<NotionWriteOutcomeUnknownException>(() => client.AppendMarkdownAsync(page, "one line"));

        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task A_write_whose_connection_drops_is_not_retried_but_a_read_is()
    {
        var page = Server.AddPage("Log");
        Server.EnqueueFault(new NotionFault("PATCH", "/children", 0, string.Empty, string.Empty, ApplyThenFail: true, DropConnection: true));
        using var client = Client();

        var ex = await Assert.ThrowsAsync<NotionWriteOutcomeUnknownException>(() => client.AppendMarkdownAsync(page, "Only once"));

        Assert.Contains("may or may not have happened", ex.Message, StringComparison.Ordinal);
        Assert.Single(Server.Requests);
        Assert.Equal(["Only once"], Server.ChildrenOf(page).Select(Text));

        Server.EnqueueFault(new NotionFault("GET", "/v1/pages/", 0, string.Empty, string.Empty, DropConnection: true));
        var read = await client.RetrievePageAsync(page);
        Assert.Equal("Log", read.Title);
        Assert.Equal(2, RequestsTo("GET", "/v1/pages/").Count);
    }

    [Fact]
    public async Task A_write_hit_by_429_is_retried_after_retry_after()
    {
        var parent = Server.AddPage("Parent");
        Server.EnqueueFault(new NotionFault("POST", "/v1/pages", 429, "rate_limited", "You have been rate limited.", RetryAfterSeconds: 3));
        using var client = Client();

        var result = await client.CreatePageFromMarkdownAsync(new NotionParent(NotionParentKind.Page, parent), "Minutes", "Hello");

        Assert.Equal(2, Server.Requests.Count);
        Assert.Contains(TimeSpan.FromSeconds(3), Time.Delays);
        Assert.Equal([result.PageId], Server.PagesTitled("Minutes"));
    }

    [Fact]
    public async Task A_failed_later_append_reports_how_much_was_written()
    {
        var parent = Server.AddPage("Parent");
        Server.EnqueueFault(new NotionFault("PATCH", "/children", 400, "validation_error", "body failed validation: something."));
        using var client = Client();
        var markdown = string.Join("\n\n", Enumerable.Range(1, 130).Select(i => $"P {i}"));

        var ex = await Assert.ThrowsAsync<NotionWriteIncompleteException>(() =>
            client.CreatePageFromMarkdownAsync(new NotionParent(NotionParentKind.Page, parent), "Partial", markdown));

        Assert.Equal(100, ex.BlocksWritten);
        Assert.Equal(130, ex.BlocksTotal);
        Assert.IsType<NotionValidationException>(ex.InnerException);
        Assert.Equal(Server.PagesTitled("Partial").Single(), ex.PageId);
        Assert.Equal(2, Server.Requests.Count);
    }

    [Fact]
    public async Task A_row_is_created_in_a_data_source_or_database_depending_on_the_version()
    {
        var (database, source) = Server.AddDatabase("Tasks");
        using (var client = Client())
        {
            await client.CreatePageFromMarkdownAsync(new NotionParent(NotionParentKind.DataSource, source), "New task", "Details");
        }

        using (var old = Client(NotionVersions.Databases20220628))
        {
            await old.CreatePageFromMarkdownAsync(new NotionParent(NotionParentKind.DataSource, database), "Old task", "Details");
        }

        Assert.Equal(source, Server.Requests[0].Json!["parent"]!["data_source_id"]!.GetValue<string>());
        Assert.Equal(database, Server.Requests[1].Json!["parent"]!["database_id"]!.GetValue<string>());
        Assert.Single(Server.PagesTitled("New task"));
        Assert.Single(Server.PagesTitled("Old task"));
    }

    [Fact]
    public void Markdown_converts_to_the_expected_blocks()
    {
        var blocks = NotionBlockBuilder.FromMarkdown("""
            # Title
            #### Deep heading
            Text with **bold**, *it*, `c`, ~~s~~ and [a link](https://example.com) and $x^2$.

            - [x] done
            1. first

            ```js
            let a;
            ```

            ![alt](https://example.com/p.png)
            """);

        Assert.Equal(["heading_1", "heading_3", "paragraph", "to_do", "numbered_list_item", "code", "image"], blocks.Select(b => b["type"]!.GetValue<string>()));
        var rich = (JsonArray)blocks[2]["paragraph"]!["rich_text"]!;
        Assert.Contains(rich, r => r!["text"]?["content"]?.GetValue<string>() == "bold" && r["annotations"]!["bold"]!.GetValue<bool>());
        Assert.Contains(rich, r => r!["text"]?["content"]?.GetValue<string>() == "it" && r["annotations"]!["italic"]!.GetValue<bool>());
        Assert.Contains(rich, r => r!["text"]?["content"]?.GetValue<string>() == "c" && r["annotations"]!["code"]!.GetValue<bool>());
        Assert.Contains(rich, r => r!["text"]?["content"]?.GetValue<string>() == "s" && r["annotations"]!["strikethrough"]!.GetValue<bool>());
        Assert.Contains(rich, r => r!["text"]?["link"]?["url"]?.GetValue<string>() == "https://example.com");
        Assert.Contains(rich, r => r!["type"]!.GetValue<string>() == "equation" && r["equation"]!["expression"]!.GetValue<string>() == "x^2");
        Assert.True(blocks[3]["to_do"]!["checked"]!.GetValue<bool>());
        Assert.Equal("javascript", blocks[5]["code"]!["language"]!.GetValue<string>());
        Assert.Equal("https://example.com/p.png", blocks[6]["image"]!["external"]!["url"]!.GetValue<string>());
    }

    private static string Text(JsonNode? block)
    {
        var type = block!["type"]!.GetValue<string>();
        var builder = new StringBuilder();
        foreach (var item in (JsonArray)block[type]!["rich_text"]!)
        {
            builder.Append(item!["text"]!["content"]!.GetValue<string>());
        }

        return builder.ToString();
    }
}
