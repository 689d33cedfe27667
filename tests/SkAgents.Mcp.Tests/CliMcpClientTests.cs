using System.Text.Json;
using System.Text.Json.Nodes;
using SkAgents.Cli.Tests;
using SkAgents.Testing;

namespace SkAgents.Mcp.Tests;

/// <summary>
/// External MCP servers configured in skagents.json: their tools appear in <c>skagents plugins list</c> and work in
/// <c>skagents run</c>. The external server is another real <c>skagents mcp serve</c> process, started by the first.
/// </summary>
public sealed class CliMcpClientTests : IAsyncLifetime, IDisposable
{
    private const string ApiKey = "sk-test-mcp-51c0";
    private readonly TempDirectory _work = new();
    private OpenAICompatibleServer _model = null!;

    public async Task InitializeAsync() =>
        _model = await OpenAICompatibleServer.StartAsync(new OpenAICompatibleServerOptions { RequiredApiKey = ApiKey, Model = "test-model" });

    public async Task DisposeAsync() => await _model.DisposeAsync();

    public void Dispose() => _work.Dispose();

    private Dictionary<string, string> Environment() => new()
    {
        ["SKAGENTS_ENDPOINT"] = _model.BaseUri.ToString(),
        ["SKAGENTS_API_KEY"] = ApiKey,
        ["SKAGENTS_MODEL"] = "test-model",
    };

    /// <summary>Writes skagents.json with the given MCP servers; "ext" is a nested skagents server over stdio.</summary>
    private void Configure(params (string Name, JsonObject Settings)[] servers)
    {
        var json = new JsonObject();
        foreach (var (name, settings) in servers)
        {
            json[name] = settings;
        }

        _work.Write("skagents.json", new JsonObject { ["SkAgents"] = new JsonObject { ["Mcp"] = new JsonObject { ["Servers"] = json } } }.ToJsonString());
    }

    private JsonObject NestedSkAgents(string approval = "UnlessReadOnly")
    {
        // Its own folder, so the nested server does not read this skagents.json (and start itself again).
        var folder = Path.Combine(_work.Path, "ext");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "secret.txt"), "the nested server's file");
        return new JsonObject
        {
            ["Command"] = "dotnet",
            ["Arguments"] = new JsonArray(SkAgentsMcpProcess.AppPath, "mcp", "serve"),
            ["WorkingDirectory"] = folder,
            ["Approval"] = approval,
            ["Environment"] = new JsonObject { ["EXT_API_TOKEN"] = "tok-should-be-redacted" },
        };
    }

    private Task<CliResult> Run(params string[] args) => CliProcess.RunAsync(_work.Path, Environment(), null, args);

    [Fact]
    public async Task An_external_servers_tools_appear_in_plugins_list()
    {
        Configure(("ext", NestedSkAgents()));

        var result = await Run("plugins", "list", "--json");

        Assert.True(result.ExitCode == 0, result.StdErr);
        var tools = JsonNode.Parse(result.StdOut)!.AsArray();
        var now = tools.Single(t => t!["name"]!.GetValue<string>() == "ext_time_now")!;
        Assert.Equal("ext", now["plugin"]!.GetValue<string>());
        // Read-only on the nested server (readOnlyHint), so no approval; its file writer needs one.
        Assert.False(now["requiresApproval"]!.GetValue<bool>());
        Assert.True(tools.Single(t => t!["name"]!.GetValue<string>() == "ext_files_write")!["requiresApproval"]!.GetValue<bool>());
        // The built-in tools are still there, next to the external ones.
        Assert.Contains(tools, t => t!["name"]!.GetValue<string>() == "time_now");
        Assert.Contains(tools, t => t!["name"]!.GetValue<string>() == "ext_files_read");
    }

    [Fact]
    public async Task An_external_tool_works_in_skagents_run()
    {
        Configure(("ext", NestedSkAgents(approval: "Never")));
        _model.ChatHandler = request =>
        {
            var toolResult = request.ToolResults.Select(r => r.Content).SingleOrDefault();
            return toolResult is null
                ? ScriptedResponse.ToolCalls(new ScriptedToolCall("call_1", "ext_files_read", """{"path":"secret.txt"}"""))
                : ScriptedResponse.Text("The file says: " + toolResult);
        };

        var result = await Run("run", "What does the nested server's file say?");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("the nested server's file", result.StdOut, StringComparison.Ordinal);
        // The model was offered the external tool under its catalog name.
        var offered = _model.ChatRequests[0].Tools.Select(t => t.GetProperty("function").GetProperty("name").GetString());
        Assert.Contains("ext_files_read", offered);
    }

    [Fact]
    public async Task An_external_tool_that_needs_approval_is_not_run_without_it()
    {
        Configure(("ext", NestedSkAgents()));
        _model.ChatHandler = request =>
        {
            var toolResult = request.ToolResults.Select(r => r.Content).SingleOrDefault();
            return toolResult is null
                ? ScriptedResponse.ToolCalls(new ScriptedToolCall("call_1", "ext_files_write", """{"path":"written.txt","content":"should not exist"}"""))
                : ScriptedResponse.Text("Tool answered: " + toolResult);
        };

        var result = await Run("run", "Write the file.");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("Tool answered:", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("denied", result.StdOut, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(Path.Combine(_work.Path, "ext", "written.txt")));
    }

    [Fact]
    public async Task With_yes_an_external_tool_that_needs_approval_runs_and_its_servers_question_is_confirmed()
    {
        _model.ChatHandler = request =>
        {
            var toolResult = request.ToolResults.Select(r => r.Content).SingleOrDefault();
            return toolResult is null
                ? ScriptedResponse.ToolCalls(new ScriptedToolCall("call_1", "ext_files_write", """{"path":"written.txt","content":"approved"}"""))
                : ScriptedResponse.Text("Done: " + toolResult);
        };

        // Two approvals happen: ours (--yes approves the call) and the nested server's, which asks its client (us)
        // through elicitation; with --yes our client confirms that too. The nested server itself runs without --yes.
        Configure(("ext", NestedSkAgents()));
        var result = await Run("run", "--yes", "Write the file.");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Equal("approved", await File.ReadAllTextAsync(Path.Combine(_work.Path, "ext", "written.txt")));
    }

    [Fact]
    public async Task An_unreachable_server_is_left_out_with_a_warning()
    {
        Configure(("ext", NestedSkAgents()), ("broken", new JsonObject { ["Command"] = "skagents-no-such-program-9c2e" }));

        var result = await Run("plugins", "list", "--json");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("broken", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("skagents-no-such-program-9c2e", result.StdErr, StringComparison.Ordinal);
        var names = JsonNode.Parse(result.StdOut)!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("ext_time_now", names);
        Assert.DoesNotContain(names, n => n.StartsWith("broken_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreachable_required_server_stops_the_command_with_its_name()
    {
        Configure(("broken", new JsonObject { ["Command"] = "skagents-no-such-program-9c2e", ["Required"] = true }));

        var result = await Run("plugins", "list");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("'broken'", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("Required", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_server_settings_are_reported_by_their_configuration_key()
    {
        Configure(("both", new JsonObject { ["Command"] = "npx", ["Url"] = "http://127.0.0.1:9/mcp" }));

        var result = await Run("plugins", "list");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("SkAgents:Mcp:Servers:both", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_show_redacts_mcp_secrets()
    {
        var remote = new JsonObject { ["Url"] = "http://127.0.0.1:9/mcp", ["BearerToken"] = "bearer-should-be-redacted", ["Headers"] = new JsonObject { ["Authorization"] = "Basic should-be-redacted" } };
        Configure(("ext", NestedSkAgents()), ("remote", remote));

        var result = await Run("config", "show");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.DoesNotContain("should-be-redacted", result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-should-be-redacted", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("EXT_API_TOKEN", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:9/mcp", result.StdOut, StringComparison.Ordinal);
    }
}
