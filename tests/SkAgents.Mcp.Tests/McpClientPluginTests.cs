using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Server;
using SkAgents.Mcp.AspNetCore;
using SkAgents.Mcp.Client;
using SkAgents.Plugins;

namespace SkAgents.Mcp.Tests;

/// <summary>External MCP servers' tools as catalog plugins, against a real MCP server on 127.0.0.1.</summary>
public sealed class McpClientPluginTests : IAsyncLifetime
{
    private const string Token = "client-test-token";
    private static readonly string LongName = "summarize_the_quarterly_financial_report_for_the_board_with_charts_and_tables";
    private McpHttpServer _server = null!;

    public async Task InitializeAsync()
    {
        var options = new McpHttpServerOptions { Port = 0 };
        options.Http.BearerToken = Token;
        _server = await McpHttpServer.StartAsync(CreateOptions, options);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static ModelContextProtocol.Server.McpServerOptions CreateOptions()
    {
        var tools = new McpServerPrimitiveCollection<McpServerTool>
        {
            McpServerTool.Create((string city) => $"Sunny in {city}", new McpServerToolCreateOptions { Name = "get.weather", Description = "Weather.", ReadOnly = true }),
            McpServerTool.Create(
                (JsonElement note) => $"title={note.GetProperty("title").ValueKind} tags={note.GetProperty("tags").ValueKind} count={note.GetProperty("tags").GetArrayLength()}",
                new McpServerToolCreateOptions { Name = "notes.create", Description = "Creates a note.", Destructive = true }),
            McpServerTool.Create(() => "long", new McpServerToolCreateOptions { Name = LongName, Description = "A tool with a very long name." }),
        };
        return new ModelContextProtocol.Server.McpServerOptions { ServerInfo = new() { Name = "test-server", Version = "1.0" }, ToolCollection = tools };
    }

    private McpServerSettings Remote(McpToolApproval approval = McpToolApproval.UnlessReadOnly, string token = Token) =>
        new() { Url = _server.Endpoint, BearerToken = token, Approval = approval };

    [Fact]
    public async Task Tools_join_as_a_plugin_with_names_sanitized_to_semantic_kernel_rules()
    {
        await using var connection = await McpClientPlugin.ConnectAsync("ext-server", Remote());

        var names = connection.Plugin.Functions.Select(f => f.Name).ToList();

        Assert.Equal("ext_server", connection.Plugin.Name);
        Assert.Contains("ext_server_get_weather", names);
        Assert.Contains("ext_server_notes_create", names);
        var longName = Assert.Single(names, n => n.StartsWith("ext_server_summarize_the", StringComparison.Ordinal));
        Assert.True(longName.Length <= ToolNames.MaxToolNameLength, longName);
        Assert.All(names, n => Assert.True(ToolNames.IsValidFunctionName(n), n));
        Assert.All(connection.Plugin.Functions, f => Assert.Equal("ext_server", f.GetPluginName()));
        Assert.Contains("test-server", connection.Plugin.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task By_default_only_tools_marked_read_only_run_without_approval()
    {
        await using var connection = await McpClientPlugin.ConnectAsync("ext", Remote());
        var byName = connection.Plugin.Functions.ToDictionary(f => f.Name);

        Assert.False(byName["ext_get_weather"].RequiresApproval());
        Assert.True(byName["ext_notes_create"].RequiresApproval());
        Assert.Contains("'ext'", byName["ext_notes_create"].GetSideEffect(), StringComparison.Ordinal);
        Assert.Contains("delete", byName["ext_notes_create"].GetSideEffect(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(McpToolApproval.Always, true, true)]
    [InlineData(McpToolApproval.Never, false, false)]
    public async Task The_approval_policy_decides_for_every_tool(McpToolApproval approval, bool readOnlyNeedsApproval, bool destructiveNeedsApproval)
    {
        await using var connection = await McpClientPlugin.ConnectAsync("ext", Remote(approval));
        var byName = connection.Plugin.Functions.ToDictionary(f => f.Name);

        Assert.Equal(readOnlyNeedsApproval, byName["ext_get_weather"].RequiresApproval());
        Assert.Equal(destructiveNeedsApproval, byName["ext_notes_create"].RequiresApproval());
    }

    [Fact]
    public async Task Calling_a_tool_reaches_the_server_with_object_and_array_arguments_intact()
    {
        await using var connection = await McpClientPlugin.ConnectAsync("ext", Remote());
        var create = connection.Plugin.Functions.Single(f => f.Name == "ext_notes_create");
        var weather = connection.Plugin.Functions.Single(f => f.Name == "ext_get_weather");

        var note = JsonDocument.Parse("""{"title":"Groceries","tags":["home","food"]}""").RootElement;
        var created = await create.InvokeAsync(new AIFunctionArguments { ["note"] = note });
        var sunny = await weather.InvokeAsync(new AIFunctionArguments { ["city"] = "Rome" });

        Assert.Contains("title=String tags=Array count=2", created?.ToString(), StringComparison.Ordinal);
        Assert.Contains("Sunny in Rome", sunny?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_bearer_token_is_a_connection_error_naming_the_server()
    {
        var error = await Assert.ThrowsAsync<McpServerConnectionException>(() => McpClientPlugin.ConnectAsync("remote", Remote(token: "wrong")));

        Assert.Equal("remote", error.ServerName);
        Assert.Contains("'remote'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_that_does_not_exist_is_a_connection_error_naming_it()
    {
        var settings = new McpServerSettings { Command = "skagents-no-such-program-7f3a" };

        var error = await Assert.ThrowsAsync<McpServerConnectionException>(() => McpClientPlugin.ConnectAsync("missing", settings));

        Assert.Contains("'missing'", error.Message, StringComparison.Ordinal);
        Assert.Contains("skagents-no-such-program-7f3a", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_program_that_never_speaks_mcp_times_out_with_a_clear_error()
    {
        var settings = new McpServerSettings { Command = "sleep", ConnectTimeoutSeconds = 1 };
        settings.Arguments.Add("30");

        var error = await Assert.ThrowsAsync<McpServerConnectionException>(() => McpClientPlugin.ConnectAsync("silent", settings));

        Assert.Contains("'silent'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_with_both_a_command_and_a_url_are_rejected()
    {
        var settings = new McpServerSettings { Command = "npx", Url = new Uri("http://127.0.0.1:9/mcp") };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => McpClientPlugin.ConnectAsync("both", settings));

        Assert.Contains("exactly one of Command", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("github", "search_issues", "search_issues")]
    [InlineData("github", "repos.get/file", "repos_get_file")]
    public void Short_tool_names_are_only_sanitized(string plugin, string tool, string expected) =>
        Assert.Equal(expected, McpClientPlugin.FitToolName(plugin, tool));

    [Fact]
    public void Long_tool_names_are_shortened_uniquely_to_fit_the_limit()
    {
        var a = McpClientPlugin.FitToolName("server", LongName);
        var b = McpClientPlugin.FitToolName("server", LongName + "_v2");

        Assert.Equal(ToolNames.MaxToolNameLength, "server_".Length + a.Length);
        Assert.NotEqual(a, b);
        Assert.StartsWith("summarize_the_quarterly", a, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("my-server", "my_server")]
    [InlineData("files.v2", "files_v2")]
    [InlineData("ok_name", "ok_name")]
    public void Server_names_become_valid_plugin_names(string name, string expected) =>
        Assert.Equal(expected, McpClientPlugin.ToPluginName(name));
}

/// <summary>Our client answering an external server's elicitation (the server asks before a side effect).</summary>
public sealed class McpClientElicitationTests : IAsyncLifetime
{
    private McpHttpServer _server = null!;

    public async Task InitializeAsync()
    {
        var catalog = new PluginCatalog([AgentPlugin.FromObject(new TripPlugin())]);
        _server = await McpHttpServer.StartAsync(() => SkAgents.Mcp.Server.SkAgentsMcpServer.CreateServerOptions(catalog), new McpHttpServerOptions { Port = 0 });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private sealed class RecordingHandler(string action, bool approve) : IMcpElicitationHandler
    {
        public List<(string Server, string Message)> Questions { get; } = [];

        public ValueTask<ModelContextProtocol.Protocol.ElicitResult> ElicitAsync(string serverName, ModelContextProtocol.Protocol.ElicitRequestParams request, CancellationToken cancellationToken)
        {
            Questions.Add((serverName, request.Message ?? string.Empty));
            return ValueTask.FromResult(new ModelContextProtocol.Protocol.ElicitResult
            {
                Action = action,
                Content = action == "accept" ? new Dictionary<string, JsonElement> { ["approve"] = JsonSerializer.SerializeToElement(approve) } : null,
            });
        }
    }

    private static AIFunctionArguments Booking() =>
        new() { ["stop"] = JsonDocument.Parse("""{"city":"Rome","nights":1}""").RootElement };

    [Fact]
    public async Task The_handler_answers_the_servers_question_and_the_tool_runs_when_approved()
    {
        var handler = new RecordingHandler("accept", approve: true);
        await using var connection = await McpClientPlugin.ConnectAsync("travel", new McpServerSettings { Url = _server.Endpoint }, null, handler);

        var result = await connection.Plugin.Functions.Single(f => f.Name == "travel_trip_book").InvokeAsync(Booking());

        Assert.Contains("booked Rome", result?.ToString(), StringComparison.Ordinal);
        var (server, message) = Assert.Single(handler.Questions);
        Assert.Equal("travel", server);
        Assert.Contains("trip_book", message, StringComparison.Ordinal);
        Assert.Contains("Books and pays for a hotel", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("accept", false)]
    [InlineData("decline", false)]
    [InlineData("cancel", false)]
    public async Task The_tool_does_not_run_when_the_handler_does_not_approve(string action, bool approve)
    {
        var handler = new RecordingHandler(action, approve);
        await using var connection = await McpClientPlugin.ConnectAsync("travel", new McpServerSettings { Url = _server.Endpoint }, null, handler);

        var result = await connection.Plugin.Functions.Single(f => f.Name == "travel_trip_book").InvokeAsync(Booking());

        Assert.DoesNotContain("booked Rome", result?.ToString(), StringComparison.Ordinal);
        Assert.Contains("not run", result?.ToString(), StringComparison.Ordinal);
        Assert.Single(handler.Questions);
    }

    [Fact]
    public async Task Without_a_handler_the_server_refuses_instead_of_asking()
    {
        await using var connection = await McpClientPlugin.ConnectAsync("travel", new McpServerSettings { Url = _server.Endpoint });

        var result = await connection.Plugin.Functions.Single(f => f.Name == "travel_trip_book").InvokeAsync(Booking());

        Assert.Contains("needs approval", result?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_confirmations_accepts_yes_no_forms_only()
    {
        var handler = ApproveConfirmationsElicitationHandler.Instance;
        var confirmation = new ModelContextProtocol.Protocol.ElicitRequestParams
        {
            Message = "Allow?",
            RequestedSchema = new() { Properties = new Dictionary<string, ModelContextProtocol.Protocol.ElicitRequestParams.PrimitiveSchemaDefinition> { ["approve"] = new ModelContextProtocol.Protocol.ElicitRequestParams.BooleanSchema() } },
        };
        var form = new ModelContextProtocol.Protocol.ElicitRequestParams
        {
            Message = "Your email?",
            RequestedSchema = new()
            {
                Properties = new Dictionary<string, ModelContextProtocol.Protocol.ElicitRequestParams.PrimitiveSchemaDefinition>
                {
                    ["approve"] = new ModelContextProtocol.Protocol.ElicitRequestParams.BooleanSchema(),
                    ["email"] = new ModelContextProtocol.Protocol.ElicitRequestParams.StringSchema(),
                },
            },
        };

        var yes = await handler.ElicitAsync("s", confirmation, CancellationToken.None);
        var no = await handler.ElicitAsync("s", form, CancellationToken.None);

        Assert.Equal("accept", yes.Action);
        Assert.Equal(JsonValueKind.True, yes.Content!["approve"].ValueKind);
        Assert.Equal("decline", no.Action);
    }
}
