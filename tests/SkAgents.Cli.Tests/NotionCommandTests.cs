using System.Text.Json;
using SkAgents.Testing;
using SkAgents.Testing.Notion;
using static SkAgents.Testing.Notion.FakeNotionServer;

namespace SkAgents.Cli.Tests;

/// <summary><c>skagents notion</c> and the Notion settings, as a separate process against a loopback Notion server.</summary>
public sealed class NotionCommandTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _work = new();
    private FakeNotionServer _notion = null!;
    private string _page = null!;
    private string _child = null!;

    public async Task InitializeAsync()
    {
        _notion = await FakeNotionServer.StartAsync();
        _notion.PageSizeCap = 2;
        _page = _notion.AddPage("Engineering handbook");
        _notion.AddBlocks(
            _page,
            TextBlock("heading_1", "On-call"),
            TextBlock("paragraph", "The on-call engineer answers pages within fifteen minutes."),
            TextBlock("bulleted_list_item", "Escalate after thirty minutes", TextBlock("bulleted_list_item", "Call the incident commander")),
            Block("to_do", new System.Text.Json.Nodes.JsonObject { ["rich_text"] = new System.Text.Json.Nodes.JsonArray(Text("Update the runbook")), ["checked"] = true }));
        _child = _notion.AddPage("Deploy checklist", _page);
        _notion.AddBlocks(_child, TextBlock("paragraph", "Deploys are frozen on Fridays after noon."));
    }

    public async Task DisposeAsync() => await _notion.DisposeAsync();

    public void Dispose() => _work.Dispose();

    private Dictionary<string, string> Environment(string? token = null) => new()
    {
        ["NOTION_TOKEN"] = token ?? _notion.Token,
        ["SkAgents__Plugins__Notion__BaseUrl"] = _notion.BaseUrl.AbsoluteUri,
    };

    private Task<CliResult> Run(params string[] args) => CliProcess.RunAsync(_work.Path, Environment(), null, args);

    [Fact]
    public async Task Search_read_and_import_against_the_loopback_server()
    {
        var search = await Run("notion", "search", "handbook", "--json");
        Assert.True(search.ExitCode == 0, search.StdErr);
        var hit = Assert.Single(JsonDocument.Parse(search.StdOut).RootElement.EnumerateArray());
        Assert.Equal("Engineering handbook", hit.GetProperty("title").GetString());
        Assert.Equal("page", hit.GetProperty("type").GetString());

        var read = await Run("notion", "read", "https://www.notion.so/acme/Engineering-handbook-" + _page.Replace("-", ""));
        Assert.True(read.ExitCode == 0, read.StdErr);
        Assert.Equal(
            "# Engineering handbook\n\n## On-call\n\nThe on-call engineer answers pages within fifteen minutes.\n\n- Escalate after thirty minutes\n  - Call the incident commander\n\n- [x] Update the runbook\n\n" +
            $"[Deploy checklist](https://www.notion.so/{_child.Replace("-", "")})\n",
            read.StdOut);

        var import = await Run("notion", "import", _page, "--children", "--db", "memory.db");
        Assert.True(import.ExitCode == 0, import.StdErr);
        Assert.Equal("2 imported, 0 unchanged, 0 failed", import.StdOut.Trim());

        var again = await Run("notion", "import", _page, "--children", "--db", "memory.db");
        Assert.Equal("0 imported, 2 unchanged, 0 failed", again.StdOut.Trim());

        var found = await Run("memory", "search", "frozen on Fridays", "--json", "--db", "memory.db");
        Assert.True(found.ExitCode == 0, found.StdErr);
        var passage = JsonDocument.Parse(found.StdOut).RootElement.EnumerateArray().First();
        Assert.Equal("notion-" + _child.Replace("-", ""), passage.GetProperty("documentId").GetString());
        Assert.StartsWith("https://www.notion.so/", passage.GetProperty("source").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_are_one_line_and_never_show_the_token()
    {
        const string wrong = "ntn_wrong_cli_token_8d1e";
        var unauthorized = await CliProcess.RunAsync(_work.Path, Environment(wrong), null, "notion", "search", "x");
        Assert.Equal(1, unauthorized.ExitCode);
        Assert.StartsWith("error:", unauthorized.StdErr.Trim(), StringComparison.Ordinal);
        Assert.Contains("integration token", unauthorized.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, unauthorized.StdErr + unauthorized.StdOut, StringComparison.Ordinal);

        var missing = await Run("notion", "read", "ffffffffffffffffffffffffffffffff");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("share the page with your integration", missing.StdErr, StringComparison.Ordinal);

        var badId = await Run("notion", "read", "not-a-page");
        Assert.Equal(2, badId.ExitCode);
        Assert.Contains("'not-a-page' is not a Notion id or URL", badId.StdErr, StringComparison.Ordinal);

        var noToken = await CliProcess.RunAsync(_work.Path, new Dictionary<string, string> { ["NOTION_TOKEN"] = string.Empty }, null, "notion", "search", "x");
        Assert.Equal(2, noToken.ExitCode);
        Assert.Contains("SkAgents:Plugins:Notion:Token", noToken.StdErr, StringComparison.Ordinal);
        Assert.Contains("NOTION_TOKEN", noToken.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_show_redacts_the_token_and_plugins_list_has_the_notion_tools()
    {
        var config = await Run("config", "show");
        Assert.True(config.ExitCode == 0, config.StdErr);
        Assert.DoesNotContain(_notion.Token, config.StdOut, StringComparison.Ordinal);
        var notion = JsonDocument.Parse(config.StdOut).RootElement.GetProperty("SkAgents").GetProperty("Plugins").GetProperty("Notion");
        Assert.Equal("***", notion.GetProperty("Token").GetString());
        Assert.Equal("2025-09-03", notion.GetProperty("Version").GetString());

        var plugins = await Run("plugins", "list", "--json");
        Assert.True(plugins.ExitCode == 0, plugins.StdErr);
        var tools = JsonDocument.Parse(plugins.StdOut).RootElement.EnumerateArray()
            .Where(t => t.GetProperty("plugin").GetString() == "notion")
            .ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("requiresApproval").GetBoolean());
        Assert.Equal(6, tools.Count);
        Assert.True(tools["notion_create_page"]);
        Assert.True(tools["notion_append"]);
        Assert.False(tools["notion_read_page"]);

        var without = await CliProcess.RunAsync(_work.Path, new Dictionary<string, string> { ["NOTION_TOKEN"] = string.Empty }, null, "plugins", "list", "--json");
        Assert.True(without.ExitCode == 0, without.StdErr);
        Assert.DoesNotContain(JsonDocument.Parse(without.StdOut).RootElement.EnumerateArray(), t => t.GetProperty("plugin").GetString() == "notion");
    }

    [Fact]
    public async Task An_agent_run_reads_a_page_and_appends_only_with_approval()
    {
        await using var model = await OpenAICompatibleServer.StartAsync();
        var environment = new Dictionary<string, string>(Environment())
        {
            ["SKAGENTS_ENDPOINT"] = model.BaseUri.ToString(),
            ["SKAGENTS_MODEL"] = "test-model",
            ["SKAGENTS_API_KEY"] = "sk-notion-run",
        };
        string? ToolResult(RecordedRequest request) => request.Messages
            .Where(m => m.GetProperty("role").GetString() == "tool")
            .Select(m => m.GetProperty("content").ValueKind == JsonValueKind.String ? m.GetProperty("content").GetString() : m.GetProperty("content").GetRawText())
            .LastOrDefault();
        void ModelCalls(string tool, string arguments) => model.ChatHandler = request => ToolResult(request) is { } result
            ? ScriptedResponse.Text("Tool said: " + result)
            : ScriptedResponse.ToolCalls(new ScriptedToolCall("call_1", tool, arguments));

        ModelCalls("notion_read_page", JsonSerializer.Serialize(new { page = _page }));
        var read = await CliProcess.RunAsync(_work.Path, environment, null, "run", "When must on-call answer?");
        Assert.True(read.ExitCode == 0, read.StdErr);
        Assert.Contains("fifteen minutes", read.StdOut, StringComparison.Ordinal);
        Assert.Contains(model.ChatRequests[0].Tools, t => t.GetProperty("function").GetProperty("name").GetString() == "notion_search");

        model.ClearRequests();
        ModelCalls("notion_append", JsonSerializer.Serialize(new { page = _page, markdown = "Added by the agent." }));
        var denied = await CliProcess.RunAsync(_work.Path, environment, null, "run", "Add a line to the handbook");
        Assert.True(denied.ExitCode == 0, denied.StdErr);
        Assert.Contains("did not approve", ToolResult(model.ChatRequests[^1]), StringComparison.Ordinal);
        Assert.DoesNotContain(_notion.Requests, r => r.Method == "PATCH");

        var approved = await CliProcess.RunAsync(_work.Path, environment, null, "run", "Add a line to the handbook", "--yes");
        Assert.True(approved.ExitCode == 0, approved.StdErr);
        Assert.Single(_notion.Requests, r => r.Method == "PATCH");
        Assert.Contains("Added by the agent.", _notion.ChildrenOf(_page)[^1].ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_version_setting_is_named()
    {
        var result = await CliProcess.RunAsync(_work.Path, new Dictionary<string, string>(Environment()) { ["SkAgents__Plugins__Notion__Version"] = "latest" }, null, "notion", "search", "x");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("SkAgents:Plugins:Notion:Version is 'latest'", result.StdErr, StringComparison.Ordinal);
    }
}
