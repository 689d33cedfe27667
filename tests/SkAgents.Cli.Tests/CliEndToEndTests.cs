using System.Text.Json;
using SkAgents.Testing;

namespace SkAgents.Cli.Tests;

/// <summary>
/// Runs the real skagents executable as a separate process against an OpenAI-compatible server on 127.0.0.1.
/// </summary>
public sealed class CliEndToEndTests : IAsyncLifetime, IDisposable
{
    private const string ApiKey = "sk-test-4f1c9e0b7d2a43d6";
    private readonly TempDirectory _work = new();
    private OpenAICompatibleServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await OpenAICompatibleServer.StartAsync(new OpenAICompatibleServerOptions { RequiredApiKey = ApiKey, Model = "test-model" });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _work.Dispose();

    private Dictionary<string, string> Environment(string? model = "test-model") => new()
    {
        ["SKAGENTS_ENDPOINT"] = _server.BaseUri.ToString(),
        ["SKAGENTS_API_KEY"] = ApiKey,
        ["SKAGENTS_MODEL"] = model ?? string.Empty,
    };

    private Task<CliResult> Run(params string[] args) => CliProcess.RunAsync(_work.Path, Environment(), null, args);

    private static string? ToolMessageContent(RecordedRequest request, string callId) =>
        request.Messages.Where(m => m.GetProperty("role").GetString() == "tool" && m.GetProperty("tool_call_id").GetString() == callId)
            .Select(m => m.GetProperty("content").ValueKind == JsonValueKind.String ? m.GetProperty("content").GetString() : m.GetProperty("content").GetRawText())
            .SingleOrDefault();

    /// <summary>A model that asks for one tool call, then answers with what the tool returned.</summary>
    private void ModelCallsToolThenAnswers(string tool, string argumentsJson)
    {
        _server.ChatHandler = request =>
        {
            var result = ToolMessageContent(request, "call_1");
            return result is null
                ? ScriptedResponse.ToolCalls(new ScriptedToolCall("call_1", tool, argumentsJson)).WithUsage(10, 5)
                : ScriptedResponse.Text("Tool said: " + result, promptTokens: 40, completionTokens: 12);
        };
    }

    [Fact]
    public async Task Run_makes_the_requested_tool_call_sends_the_result_back_and_prints_the_answer()
    {
        _work.Write("notes/todo.txt", "buy milk\ncall Ada\n");
        ModelCallsToolThenAnswers("files_read", """{"path":"notes/todo.txt"}""");

        var result = await Run("run", "What is on my todo list?");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.StartsWith("Tool said: ", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("buy milk", result.StdOut, StringComparison.Ordinal);
        Assert.Equal(2, _server.ChatRequests.Count);

        var first = _server.ChatRequests[0];
        Assert.Equal("test-model", first.Model);
        Assert.Equal("What is on my todo list?", first.LastUserText);
        Assert.Equal("system", first.Messages[0].GetProperty("role").GetString());
        var toolNames = first.Tools.Select(t => t.GetProperty("function").GetProperty("name").GetString()).ToList();
        Assert.Contains("files_read", toolNames);
        Assert.Contains("time_now", toolNames);
        Assert.Equal($"Bearer {ApiKey}", first.Headers["Authorization"]);

        var sentResult = ToolMessageContent(_server.ChatRequests[1], "call_1");
        Assert.Contains("call Ada", sentResult, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_json_reports_answer_tool_calls_and_usage()
    {
        ModelCallsToolThenAnswers("time_now", """{"timeZone":"Asia/Tokyo"}""");

        var result = await Run("run", "What time is it in Tokyo?", "--json");

        Assert.True(result.ExitCode == 0, result.StdErr);
        using var json = JsonDocument.Parse(result.StdOut);
        var root = json.RootElement;
        Assert.StartsWith("Tool said: ", root.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Equal("Completed", root.GetProperty("stopReason").GetString());
        Assert.Equal(2, root.GetProperty("rounds").GetInt32());
        var call = Assert.Single(root.GetProperty("toolCalls").EnumerateArray());
        Assert.Equal("time_now", call.GetProperty("name").GetString());
        Assert.Equal("Succeeded", call.GetProperty("status").GetString());
        Assert.Equal("Asia/Tokyo", call.GetProperty("arguments").GetProperty("timeZone").GetString());
        Assert.Equal("Asia/Tokyo", call.GetProperty("result").GetProperty("timeZone").GetString());
        Assert.EndsWith("+09:00", call.GetProperty("result").GetProperty("dateTime").GetString(), StringComparison.Ordinal);
        // Usage sums both model calls: 10+40 input, 5+12 output.
        Assert.Equal(50, root.GetProperty("usage").GetProperty("inputTokens").GetInt32());
        Assert.Equal(17, root.GetProperty("usage").GetProperty("outputTokens").GetInt32());
    }

    [Fact]
    public async Task Side_effects_are_denied_when_non_interactive_and_approved_with_yes()
    {
        ModelCallsToolThenAnswers("files_write", """{"path":"out.txt","content":"hello"}""");

        var denied = await Run("run", "Write hello to out.txt");

        Assert.True(denied.ExitCode == 0, denied.StdErr);
        Assert.False(File.Exists(Path.Combine(_work.Path, "out.txt")));
        Assert.Contains("did not approve", ToolMessageContent(_server.ChatRequests[1], "call_1"), StringComparison.Ordinal);

        var approved = await Run("run", "Write hello to out.txt", "--yes");

        Assert.True(approved.ExitCode == 0, approved.StdErr);
        Assert.Equal("hello", File.ReadAllText(Path.Combine(_work.Path, "out.txt")));
    }

    [Fact]
    public async Task Plugins_list_json_describes_every_tool()
    {
        var result = await Run("plugins", "list", "--json");

        Assert.True(result.ExitCode == 0, result.StdErr);
        using var json = JsonDocument.Parse(result.StdOut);
        var tools = json.RootElement.EnumerateArray().ToList();
        var names = tools.Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Contains("time_now", names);
        Assert.Contains("files_read", names);
        Assert.Contains("files_write", names);
        Assert.Contains("prompts_summarize", names);
        Assert.Contains("memory_search", names);
        Assert.All(tools, t =>
        {
            Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("description").GetString()));
            Assert.Equal("object", t.GetProperty("parameters").GetProperty("type").GetString());
        });
        var write = tools.Single(t => t.GetProperty("name").GetString() == "files_write");
        Assert.True(write.GetProperty("requiresApproval").GetBoolean());
        Assert.Equal(["path", "content"], write.GetProperty("parameters").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        // Listing needs no model call.
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Plugins_list_prints_a_table()
    {
        var result = await Run("plugins", "list");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("files_write", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("required", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("time_convert", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_api_key_fails_with_one_line_error_that_does_not_leak_the_key()
    {
        const string wrongKey = "sk-wrong-9a8b7c6d5e4f3a2b";
        var environment = Environment();
        environment["SKAGENTS_API_KEY"] = wrongKey;

        var result = await CliProcess.RunAsync(_work.Path, environment, null, "run", "hello");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(string.Empty, result.StdOut);
        var line = Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error:", line, StringComparison.Ordinal);
        Assert.Contains("401", line, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey[..12], result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_model_name_is_a_usage_error_naming_the_setting()
    {
        var result = await CliProcess.RunAsync(_work.Path, Environment(model: null), null, "run", "hello");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("SkAgents:Model:Name is not set", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Flags_override_environment_and_invalid_settings_are_named()
    {
        var environment = Environment(model: "env-model");
        _server.Enqueue(ScriptedResponse.Text("from flag model"));

        var result = await CliProcess.RunAsync(_work.Path, environment, null, "run", "hi", "--model", "flag-model");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Equal("from flag model", result.StdOut.Trim());
        Assert.Equal("flag-model", _server.ChatRequests.Single().Model);

        _work.Write("skagents.json", """{ "SkAgents": { "Agent": { "MaxRounds": 0 } } }""");
        var invalid = await CliProcess.RunAsync(_work.Path, environment, null, "run", "hi");
        Assert.Equal(2, invalid.ExitCode);
        Assert.Contains("SkAgents:Agent:MaxRounds is 0", invalid.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_that_never_finishes_exits_with_code_3()
    {
        _work.Write("skagents.json", """{ "SkAgents": { "Agent": { "MaxRounds": 2 } } }""");
        _server.ChatHandler = _ => ScriptedResponse.ToolCalls(new ScriptedToolCall("call_" + Guid.NewGuid().ToString("N")[..6], "time_now", "{}"));

        var result = await Run("run", "loop forever");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("stopped after 2 model calls", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(2, _server.ChatRequests.Count);
    }

    [Fact]
    public async Task Api_key_from_user_secrets_and_settings_from_config_file_are_used()
    {
        // dotnet user-secrets stores secrets in ~/.microsoft/usersecrets/<id>/secrets.json; CliProcess gives each run its own HOME.
        _work.Write(".home/.microsoft/usersecrets/skagents-cli/secrets.json", $$"""{ "SkAgents:Model:ApiKey": "{{ApiKey}}" }""");
        var settings = _work.Write("custom/settings.json", $$"""{ "SkAgents": { "Model": { "Endpoint": "{{_server.BaseUri}}", "Name": "file-model" } } }""");
        _server.Enqueue(ScriptedResponse.Text("configured"));

        var result = await CliProcess.RunAsync(_work.Path, new Dictionary<string, string>(), null, "run", "hi", "--config", settings);

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Equal("configured", result.StdOut.Trim());
        var request = _server.ChatRequests.Single();
        Assert.Equal("file-model", request.Model);
        Assert.Equal($"Bearer {ApiKey}", request.Headers["Authorization"]);

        var missing = await CliProcess.RunAsync(_work.Path, new Dictionary<string, string>(), null, "config", "show", "--config", "nope.json");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.json", missing.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_show_redacts_secrets()
    {
        var result = await Run("config", "show");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.DoesNotContain(ApiKey, result.StdOut, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(result.StdOut);
        var model = json.RootElement.GetProperty("SkAgents").GetProperty("Model");
        Assert.Equal("***", model.GetProperty("ApiKey").GetString());
        Assert.Equal("test-model", model.GetProperty("Name").GetString());
        Assert.Equal(_server.BaseUri.ToString(), model.GetProperty("Endpoint").GetString());
    }

    [Fact]
    public async Task Prompts_list_and_run()
    {
        var list = await Run("prompts", "list", "--json");
        Assert.True(list.ExitCode == 0, list.StdErr);
        using (var json = JsonDocument.Parse(list.StdOut))
        {
            var names = json.RootElement.EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
            Assert.Contains("summarize", names);
            Assert.Contains("answer-from-sources", names);
            Assert.Contains("write-in-style", names);
            Assert.Contains("social-caption", names);
        }

        _server.Enqueue(ScriptedResponse.Text("A short summary."));
        var run = await Run("prompts", "run", "summarize", "--var", "input=The quick brown fox jumps over the lazy dog.");

        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Equal("A short summary.", run.StdOut.Trim());
        var request = _server.ChatRequests.Single();
        Assert.Contains(request.Messages, m => m.GetProperty("content").ToString().Contains("The quick brown fox", StringComparison.Ordinal));

        var missing = await Run("prompts", "run", "no-such-prompt");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("No prompt named 'no-such-prompt'", missing.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_streams_answers_and_keeps_history()
    {
        _server.Enqueue(ScriptedResponse.Text("Hello Ada, nice to meet you."), ScriptedResponse.Text("Your name is Ada."));

        var result = await CliProcess.RunAsync(_work.Path, Environment(), "My name is Ada\nWhat is my name?\n/exit\n", "chat");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Equal(["Hello Ada, nice to meet you.", "Your name is Ada."], result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.All(_server.ChatRequests, r => Assert.True(r.IsStreaming));
        var second = _server.ChatRequests[1].Messages.Where(m => m.GetProperty("role").GetString() != "system").ToList();
        Assert.Equal(["My name is Ada", "Hello Ada, nice to meet you.", "What is my name?"], second.Select(m => m.GetProperty("content").ToString()));
    }

    [Fact]
    public async Task Chat_reports_a_failed_turn_and_goes_on()
    {
        _server.Enqueue(ScriptedResponse.Error(400, "This model's maximum context length is 8192 tokens.", "invalid_request_error", "context_length_exceeded"), ScriptedResponse.Text("Recovered."));

        var result = await CliProcess.RunAsync(_work.Path, Environment(), "first try\nsecond try\n", "chat");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("error:", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("maximum context length", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("Recovered.", result.StdOut.Trim());
        // The failed turn is not kept in the history.
        var second = _server.ChatRequests[1].Messages.Where(m => m.GetProperty("role").GetString() == "user").Select(m => m.GetProperty("content").ToString());
        Assert.Equal(["second try"], second);
    }

    [Fact]
    public async Task Version_and_usage_errors()
    {
        var version = await Run("--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.StdOut.Trim());

        var unknown = await Run("frobnicate");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("frobnicate", unknown.StdErr, StringComparison.Ordinal);
    }
}
