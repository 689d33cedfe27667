using Microsoft.Extensions.AI;
using SkAgents.Memory;
using SkAgents.Memory.Sqlite;
using SkAgents.Memory.Storage;
using SkAgents.Plugins;
using static SkAgents.Testing.Notion.FakeNotionServer;

namespace SkAgents.Plugins.Notion.Tests;

/// <summary>Importing pages into a real (SQLite, keyword-only) memory, and the plugin's tools.</summary>
public sealed class NotionImportTests : NotionTestBase, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "skagents-notion-" + Guid.NewGuid().ToString("N"));

    public NotionImportTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Import_then_search_finds_the_page_and_reimport_is_unchanged_until_the_page_changes()
    {
        Server.PageSizeCap = 3;
        var page = Server.AddPage("Travel policy");
        Server.AddBlocks(page,
            TextBlock("heading_1", "Flights"),
            TextBlock("paragraph", "Economy class is required for flights shorter than six hours."),
            TextBlock("bulleted_list_item", "Book through the travel desk", TextBlock("bulleted_list_item", "Receipts go to finance within thirty days")));
        var child = Server.AddPage("Per diem", page);
        Server.AddBlocks(child, TextBlock("paragraph", "The daily meal allowance is forty euros."));
        await using var store = new SqliteMemoryStore(new SqliteMemoryStoreOptions { DatabasePath = Path.Combine(_directory, "memory.db") });
        var memory = new MemoryService(store);
        using var client = Client();
        var importer = new NotionImporter(client, memory);

        var first = await importer.ImportAsync([page.Replace("-", "")]);

        var result = Assert.Single(first);
        Assert.Equal("imported", result.Status);
        Assert.Equal("notion-" + page.Replace("-", ""), result.DocumentId);
        Assert.Equal("Travel policy", result.Title);
        var hits = await memory.SearchAsync("economy flights");
        var citation = Assert.Single(hits.Results);
        Assert.Equal(result.DocumentId, citation.DocumentId);
        Assert.Equal(result.Url, citation.SourceName);
        Assert.Equal(["notion"], citation.Tags["source"]);
        Assert.Contains("Economy class is required", citation.Partitions[0].Text, StringComparison.Ordinal);
        var nested = await memory.SearchAsync("receipts finance");
        Assert.Contains("thirty days", Assert.Single(nested.Results).Partitions[0].Text, StringComparison.Ordinal);

        var again = await importer.ImportAsync(["https://www.notion.so/acme/Travel-policy-" + page.Replace("-", "")]);
        Assert.Equal("unchanged", Assert.Single(again).Status);

        Server.ReplaceContent(page, TextBlock("paragraph", "Business class is allowed for flights longer than six hours."));
        var changed = await importer.ImportAsync([page]);
        Assert.Equal("imported", Assert.Single(changed).Status);
        var after = await memory.SearchAsync("business class");
        Assert.Contains("Business class is allowed", Assert.Single(after.Results).Partitions[0].Text, StringComparison.Ordinal);
        Assert.True((await memory.SearchAsync("economy")).NoResult, "the changed page replaced the old document");

        var withChildren = await importer.ImportAsync([page], new NotionImportOptions { IncludeChildPages = true });
        Assert.Equal(["unchanged", "imported"], withChildren.Select(r => r.Status));
        Assert.Equal("Per diem", withChildren[1].Title);
        var allowance = await memory.SearchAsync("meal allowance", filters: [MemoryFilter.ByTag("source", "notion")]);
        Assert.Equal("notion-" + child.Replace("-", ""), Assert.Single(allowance.Results).DocumentId);
    }

    [Fact]
    public async Task A_page_not_shared_is_reported_and_the_others_import()
    {
        var page = Server.AddPage("Shared page");
        Server.AddBlocks(page, TextBlock("paragraph", "Visible text."));
        await using var store = new SqliteMemoryStore(new SqliteMemoryStoreOptions { DatabasePath = Path.Combine(_directory, "memory.db") });
        using var client = Client();
        var importer = new NotionImporter(client, new MemoryService(store));

        var results = await importer.ImportAsync(["ffffffffffffffffffffffffffffffff", page]);

        Assert.Equal(["failed", "imported"], results.Select(r => r.Status));
        Assert.Contains("Connections", results[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plugin_exposes_the_tools_with_approval_for_writes()
    {
        var page = Server.AddPage("Team wiki");
        Server.AddBlocks(page, TextBlock("paragraph", "Stand-up is at nine."));
        await using var store = new SqliteMemoryStore(new SqliteMemoryStoreOptions { DatabasePath = Path.Combine(_directory, "memory.db") });
        using var client = Client();
        var plugin = AgentPlugin.FromObject(new NotionPlugin(client, new MemoryService(store)));

        Assert.Equal("notion", plugin.Name);
        Assert.Equal(
            ["notion_append", "notion_create_page", "notion_import", "notion_query", "notion_read_page", "notion_search"],
            plugin.Functions.Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["notion_append", "notion_create_page"], plugin.Functions.Where(f => f.RequiresApproval()).Select(f => f.Name).Order(StringComparer.Ordinal));

        var read = plugin.Functions.Single(f => f.Name == "notion_read_page");
        var result = await read.InvokeAsync(new AIFunctionArguments { ["page"] = "https://www.notion.so/Team-wiki-" + page.Replace("-", "") });
        Assert.Contains("Stand-up is at nine.", result!.ToString(), StringComparison.Ordinal);

        var import = plugin.Functions.Single(f => f.Name == "notion_import");
        var imported = await import.InvokeAsync(new AIFunctionArguments { ["pages"] = new[] { page } });
        Assert.Contains("imported", imported!.ToString(), StringComparison.Ordinal);

        var search = plugin.Functions.Single(f => f.Name == "notion_search");
        var found = await search.InvokeAsync(new AIFunctionArguments { ["query"] = "wiki", ["type"] = "page" });
        Assert.Contains("Team wiki", found!.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0f3a6b2c9d8e4f1a2b3c4d5e6f708192", "0f3a6b2c-9d8e-4f1a-2b3c-4d5e6f708192")]
    [InlineData("0F3A6B2C-9D8E-4F1A-2B3C-4D5E6F708192", "0f3a6b2c-9d8e-4f1a-2b3c-4d5e6f708192")]
    [InlineData("https://www.notion.so/acme/Roadmap-0f3a6b2c9d8e4f1a2b3c4d5e6f708192?pvs=4", "0f3a6b2c-9d8e-4f1a-2b3c-4d5e6f708192")]
    [InlineData("https://www.notion.so/0f3a6b2c9d8e4f1a2b3c4d5e6f708192?v=11111111111111111111111111111111", "0f3a6b2c-9d8e-4f1a-2b3c-4d5e6f708192")]
    [InlineData("https://acme.notion.site/Page-Title-0f3a6b2c9d8e4f1a2b3c4d5e6f708192", "0f3a6b2c-9d8e-4f1a-2b3c-4d5e6f708192")]
    public void Ids_and_urls_are_accepted(string input, string expected) => Assert.Equal(expected, NotionIds.Parse(input));

    [Theory]
    [InlineData("")]
    [InlineData("not-an-id")]
    [InlineData("0f3a6b2c9d8e4f1a2b3c4d5e6f70819")]
    [InlineData("https://www.notion.so/acme/Roadmap")]
    public void Bad_ids_are_refused_with_the_input_named(string input)
    {
        var ex = Assert.Throws<ArgumentException>(() => NotionIds.Parse(input));
        Assert.Contains($"'{input}'", ex.Message, StringComparison.Ordinal);
    }
}
