using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SkAgents.Cli.Tests;

namespace SkAgents.Mcp.Tests;

/// <summary>The MCP SDK's client against <c>skagents mcp serve</c> over stdio, started as a separate process.</summary>
public sealed class StdioServerTests : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Lists_the_catalog_tools_with_their_json_schemas()
    {
        await using var client = await SkAgentsMcpProcess.ConnectStdioAsync(_work.Path);

        var tools = await client.ListToolsAsync();
        var names = tools.Select(t => t.Name).ToHashSet();

        Assert.Equal("skagents", client.ServerInfo?.Name);
        Assert.Contains("time_now", names);
        Assert.Contains("files_read", names);
        Assert.Contains("files_write", names);

        // Object/array argument types survive: the prompt tool takes an array of sources.
        var answer = tools.Single(t => t.Name == "prompts_answer-from-sources");
        var sources = answer.JsonSchema.GetProperty("properties").GetProperty("sources");
        Assert.Equal("array", sources.GetProperty("type").GetString());
        var write = tools.Single(t => t.Name == "files_write");
        Assert.Equal("boolean", write.JsonSchema.GetProperty("properties").GetProperty("overwrite").GetProperty("type").GetString());
        Assert.True(write.ProtocolTool.Annotations?.DestructiveHint);
        Assert.Contains("approval", write.Description, StringComparison.OrdinalIgnoreCase);
        Assert.Null(tools.Single(t => t.Name == "files_read").ProtocolTool.Annotations?.DestructiveHint);
        Assert.True(tools.Single(t => t.Name == "files_read").ProtocolTool.Annotations?.ReadOnlyHint);
        Assert.True(tools.Single(t => t.Name == "time_now").ProtocolTool.Annotations?.ReadOnlyHint);
        // Saving to memory changes the store: neither read-only nor approval-gated, so no hint is claimed.
        Assert.Null(tools.Single(t => t.Name == "memory_save_text").ProtocolTool.Annotations?.ReadOnlyHint);
    }

    [Fact]
    public async Task Calls_a_tool_and_returns_its_result()
    {
        _work.Write("notes/todo.txt", "buy milk\ncall Ada\n");
        await using var client = await SkAgentsMcpProcess.ConnectStdioAsync(_work.Path);

        var read = await client.CallToolAsync("files_read", new Dictionary<string, object?> { ["path"] = "notes/todo.txt" });
        var now = await client.CallToolAsync("time_now", new Dictionary<string, object?> { ["timeZone"] = "UTC" });

        Assert.NotEqual(true, read.IsError);
        Assert.Contains("call Ada", SkAgentsMcpProcess.Text(read), StringComparison.Ordinal);
        Assert.NotEqual(true, now.IsError);
        Assert.Contains(DateTime.UtcNow.Year.ToString(System.Globalization.CultureInfo.InvariantCulture), SkAgentsMcpProcess.Text(now), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_tool_returns_an_error_result_that_names_the_problem()
    {
        await using var client = await SkAgentsMcpProcess.ConnectStdioAsync(_work.Path);

        var result = await client.CallToolAsync("files_read", new Dictionary<string, object?> { ["path"] = "missing.txt" });

        Assert.True(result.IsError);
        Assert.Contains("missing.txt", SkAgentsMcpProcess.Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_approval_required_tool_is_refused_when_the_client_cannot_ask_its_user()
    {
        await using var client = await SkAgentsMcpProcess.ConnectStdioAsync(_work.Path);

        var result = await client.CallToolAsync("files_write", new Dictionary<string, object?> { ["path"] = "out.txt", ["content"] = "hello" });

        Assert.True(result.IsError);
        Assert.Contains("needs approval", SkAgentsMcpProcess.Text(result), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_work.Path, "out.txt")));
    }

    [Fact]
    public async Task An_approval_required_tool_runs_when_the_user_approves_through_elicitation()
    {
        var questions = new List<string>();
        await using var client = await SkAgentsMcpProcess.ConnectStdioAsync(_work.Path, SkAgentsMcpProcess.Approving(true, questions));

        var result = await client.CallToolAsync("files_write", new Dictionary<string, object?> { ["path"] = "out.txt", ["content"] = "hello" });

        Assert.NotEqual(true, result.IsError);
        Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(_work.Path, "out.txt")));
        var question = Assert.Single(questions);
        Assert.Contains("files_write", question, StringComparison.Ordinal);
        Assert.Contains("out.txt", question, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_approval_required_tool_is_not_run_when_the_user_declines()
    {
        var questions = new List<string>();
        await using var client = await SkAgentsMcpProcess.ConnectStdioAsync(_work.Path, SkAgentsMcpProcess.Approving(false, questions));

        var result = await client.CallToolAsync("files_write", new Dictionary<string, object?> { ["path"] = "out.txt", ["content"] = "hello" });

        Assert.True(result.IsError);
        Assert.Contains("did not approve", SkAgentsMcpProcess.Text(result), StringComparison.Ordinal);
        Assert.Single(questions);
        Assert.False(File.Exists(Path.Combine(_work.Path, "out.txt")));
    }

    [Fact]
    public async Task With_yes_an_approval_required_tool_runs_without_asking()
    {
        var questions = new List<string>();
        await using var client = await SkAgentsMcpProcess.ConnectStdioAsync(_work.Path, SkAgentsMcpProcess.Approving(false, questions), "--yes");

        var result = await client.CallToolAsync("files_write", new Dictionary<string, object?> { ["path"] = "out.txt", ["content"] = "hello" });

        Assert.NotEqual(true, result.IsError);
        Assert.Empty(questions);
        Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(_work.Path, "out.txt")));
    }

    [Fact]
    public async Task Prompts_are_offered_as_mcp_prompts_and_rendered_without_a_model()
    {
        await using var client = await SkAgentsMcpProcess.ConnectStdioAsync(_work.Path);

        var prompts = await client.ListPromptsAsync();
        var summarize = prompts.Single(p => p.Name == "summarize");
        var input = summarize.ProtocolPrompt.Arguments!.Single(a => a.Name == "input");
        Assert.True(input.Required);

        var rendered = await client.GetPromptAsync("summarize", new Dictionary<string, object?> { ["input"] = "The quick brown fox jumps over the lazy dog.", ["max_words"] = 7 });

        Assert.NotEmpty(rendered.Messages);
        var text = string.Join("\n", rendered.Messages.Select(m => ((TextContentBlock)m.Content).Text));
        Assert.Contains("The quick brown fox jumps over the lazy dog.", text, StringComparison.Ordinal);
        Assert.Contains("7", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prompt_without_its_required_argument_is_an_invalid_params_error()
    {
        await using var client = await SkAgentsMcpProcess.ConnectStdioAsync(_work.Path);

        var error = await Assert.ThrowsAsync<McpProtocolException>(async () => await client.GetPromptAsync("summarize", new Dictionary<string, object?>()));

        Assert.Equal(McpErrorCode.InvalidParams, error.ErrorCode);
        Assert.Contains("input", error.Message, StringComparison.Ordinal);
    }
}
