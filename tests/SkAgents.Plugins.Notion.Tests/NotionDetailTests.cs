using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using SkAgents.Testing;
using SkAgents.Testing.Notion;
using static SkAgents.Testing.Notion.FakeNotionServer;

namespace SkAgents.Plugins.Notion.Tests;

/// <summary>Rich-text details, query pagination, logging without secrets, and plugin argument checks.</summary>
public sealed class NotionDetailTests : NotionTestBase
{
    [Fact]
    public void Rich_text_annotations_combine_and_keep_whitespace_outside_markers()
    {
        var items = new JsonArray(
            Normalize(Text(" both ", bold: true, italic: true)),
            Normalize(Text("a `tick`", code: true)),
            Normalize(Text(" ")),
            Normalize(Text("strong link", bold: true, link: "https://example.com/a (b)")));
        using var document = JsonDocument.Parse(items.ToJsonString());

        var markdown = NotionMarkdownRenderer.RenderRichText(document.RootElement);

        Assert.Equal(" ***both*** `` a `tick` `` [**strong link**](https://example.com/a%20%28b%29)", markdown);
    }

    [Fact]
    public async Task Queries_follow_cursors_and_return_properties_as_text()
    {
        Server.PageSizeCap = 2;
        var (_, source) = Server.AddDatabase("Books");
        for (var i = 1; i <= 5; i++)
        {
            Server.AddRow(source, $"Book {i}", new JsonObject
            {
                ["Pages"] = new JsonObject { ["type"] = "number", ["number"] = i * 100 },
                ["Read"] = new JsonObject { ["type"] = "checkbox", ["checkbox"] = i % 2 == 0 },
                ["Tags"] = new JsonObject { ["type"] = "multi_select", ["multi_select"] = new JsonArray(new JsonObject { ["name"] = "fiction" }, new JsonObject { ["name"] = "classic" }) },
            });
        }

        using var client = Client();
        var rows = await client.QueryDataSourceAsync(source);

        Assert.Equal(["Book 1", "Book 2", "Book 3", "Book 4", "Book 5"], rows.Select(r => r.Title));
        Assert.Equal("300", rows[2].Properties["Pages"]);
        Assert.Equal("true", rows[3].Properties["Read"]);
        Assert.Equal("fiction, classic", rows[0].Properties["Tags"]);
        var queries = RequestsTo("POST", "/query");
        Assert.Equal(3, queries.Count);
        Assert.Equal(rows[2].Id, queries[1].Json!["start_cursor"]!.GetValue<string>());
    }

    [Fact]
    public async Task Logs_never_contain_the_token()
    {
        var page = Server.AddPage("Plan");
        Server.EnqueueFault(new NotionFault("GET", "/v1/pages/", 429, "rate_limited", "Slow down.", RetryAfterSeconds: 1));
        Server.EnqueueFault(new NotionFault("GET", "/v1/pages/", 503, "service_unavailable", "Unavailable."));
        using var logs = new RecordingLoggerFactory();
        using var client = new NotionClient(
            new NotionClientOptions { Token = Server.Token, BaseUrl = Server.BaseUrl, TimeProvider = Time },
            logger: logs.CreateLogger<NotionClient>() as ILogger<NotionClient> ?? new Logger<NotionClient>(logs));

        await client.RetrievePageAsync(page);
        await Assert.ThrowsAsync<NotionObjectNotFoundException>(() => client.RetrievePageAsync("ffffffffffffffffffffffffffffffff"));

        Assert.NotEmpty(logs.Entries);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("rate limited", StringComparison.Ordinal));
        Assert.All(logs.Entries, e => Assert.DoesNotContain(Server.Token, e.Message + e.Exception, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Plugin_checks_its_arguments()
    {
        using var client = Client();
        var plugin = new NotionPlugin(client);

        var badFilter = await Assert.ThrowsAsync<ArgumentException>(() => plugin.QueryAsync("0f3a6b2c9d8e4f1a2b3c4d5e6f708192", "{not json"));
        Assert.Contains("filter is not valid JSON", badFilter.Message, StringComparison.Ordinal);
        var badType = await Assert.ThrowsAsync<ArgumentException>(() => plugin.SearchAsync("x", "comment"));
        Assert.Contains("'comment'", badType.Message, StringComparison.Ordinal);
        var noMemory = await Assert.ThrowsAsync<InvalidOperationException>(() => plugin.ImportAsync(["0f3a6b2c9d8e4f1a2b3c4d5e6f708192"]));
        Assert.Contains("needs memory", noMemory.Message, StringComparison.Ordinal);
        Assert.Empty(Server.Requests);
    }

    [Fact]
    public async Task Create_page_through_the_tool_returns_the_new_page()
    {
        var parent = Server.AddPage("Parent");
        using var client = Client();
        var tool = SkAgents.Plugins.AgentPlugin.FromObject(new NotionPlugin(client)).Functions.Single(f => f.Name == "notion_create_page");

        var result = await tool.InvokeAsync(new AIFunctionArguments { ["parent"] = parent, ["title"] = "From the agent", ["markdown"] = "# Hello\n\n- a\n- b" });

        var created = Assert.Single(Server.PagesTitled("From the agent"));
        Assert.Contains(created, result!.ToString(), StringComparison.Ordinal);
        Assert.Equal(["heading_1", "bulleted_list_item", "bulleted_list_item"], Server.ChildrenOf(created).Select(b => b["type"]!.GetValue<string>()));
    }

    private static JsonObject Normalize(JsonObject item)
    {
        item["plain_text"] = item["text"]!["content"]!.GetValue<string>();
        item["href"] = item["text"]!["link"]?["url"]?.GetValue<string>();
        return item;
    }
}
