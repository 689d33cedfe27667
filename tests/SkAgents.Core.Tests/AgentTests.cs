using System.ComponentModel;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Agents;
using SkAgents.Plugins;
using static SkAgents.Core.Tests.ScriptedChatClient;

namespace SkAgents.Core.Tests;

public class AgentTests
{
    private static AIFunction Tool(string name, Func<string, string> body) =>
        AIFunctionFactory.Create((string input) => body(input), name, $"Tool {name}.");

    private static string ToolResultText(ChatMessage message, string callId)
    {
        var result = message.Contents.OfType<FunctionResultContent>().Single(r => r.CallId == callId).Result;
        return result is JsonElement { ValueKind: JsonValueKind.String } e ? e.GetString()! : result?.ToString() ?? string.Empty;
    }

    [Fact]
    public async Task Multi_round_run_invokes_tools_sends_results_back_and_returns_answer()
    {
        var client = new ScriptedChatClient()
            .ThenCalls(Call("c1", "upper", new { input = "abc" }))
            .ThenCalls(Call("c2", "reverse", new { input = "ABC" }))
            .Then(messages => Response(new ChatMessage(ChatRole.Assistant, "Final: " + ToolResultText(messages[^1], "c2"))));
        var agent = new Agent(client, [Tool("upper", s => s.ToUpperInvariant()), Tool("reverse", s => new string(s.Reverse().ToArray()))],
            new AgentOptions { Instructions = "Be brief." });

        var result = await agent.RunAsync("transform abc");

        Assert.Equal("Final: CBA", result.Text);
        Assert.Equal(AgentStopReason.Completed, result.StopReason);
        Assert.Equal(3, result.Rounds);
        Assert.Equal(["upper", "reverse"], result.ToolCalls.Select(c => c.Name));
        Assert.All(result.ToolCalls, c => Assert.Equal(ToolCallStatus.Succeeded, c.Status));
        Assert.Equal(30, result.Usage.InputTokenCount);
        Assert.Equal(9, result.Usage.OutputTokenCount);

        // The second model call saw the first tool's result, and every call carried instructions and tools.
        Assert.Equal("ABC", ToolResultText(client.Calls[1].Messages[^1], "c1"));
        Assert.All(client.Calls, c => Assert.Equal("Be brief.", c.Options!.Instructions));
        Assert.All(client.Calls, c => Assert.Equal(["upper", "reverse"], c.Options!.Tools!.Select(t => t.Name)));
        // Result messages: assistant(call), tool, assistant(call), tool, assistant(answer).
        Assert.Equal([ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant], result.Messages.Select(m => m.Role));
    }

    [Fact]
    public async Task Several_calls_in_one_turn_run_concurrently()
    {
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        async Task<string> Wait(string input)
        {
            if (Interlocked.Increment(ref started) == 2)
            {
                bothStarted.SetResult();
            }

            // Each call waits until the other has started: only concurrent invocation can finish.
            await bothStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
            return input;
        }

        var client = new ScriptedChatClient()
            .ThenCalls(Call("a", "wait", new { input = "one" }), Call("b", "wait", new { input = "two" }))
            .ThenText("done");
        var agent = new Agent(client, [AIFunctionFactory.Create(Wait, "wait", "Waits.")]);

        var result = await agent.RunAsync("go");

        Assert.Equal("done", result.Text);
        Assert.Equal(2, started);
        var toolMessage = client.Calls[1].Messages[^1];
        Assert.Equal(ChatRole.Tool, toolMessage.Role);
        Assert.Equal(["a", "b"], toolMessage.Contents.OfType<FunctionResultContent>().Select(r => r.CallId));
        Assert.Equal("one", ToolResultText(toolMessage, "a"));
        Assert.Equal("two", ToolResultText(toolMessage, "b"));
    }

    [Fact]
    public async Task Concurrency_can_be_switched_off()
    {
        var running = 0;
        var maxRunning = 0;
        async Task<string> Work(string input)
        {
            var now = Interlocked.Increment(ref running);
            maxRunning = Math.Max(maxRunning, now);
            await Task.Delay(20);
            Interlocked.Decrement(ref running);
            return input;
        }

        var client = new ScriptedChatClient()
            .ThenCalls(Call("a", "work", new { input = "1" }), Call("b", "work", new { input = "2" }), Call("c", "work", new { input = "3" }))
            .ThenText("ok");
        var agent = new Agent(client, [AIFunctionFactory.Create(Work, "work", "Works.")], new AgentOptions { AllowConcurrentToolCalls = false });

        var result = await agent.RunAsync("go");

        Assert.Equal(3, result.ToolCalls.Count);
        Assert.Equal(1, maxRunning);
        Assert.False(client.Calls[0].Options!.AllowMultipleToolCalls);
    }

    [Fact]
    public async Task Tool_exception_becomes_error_result_and_the_model_can_recover()
    {
        var client = new ScriptedChatClient()
            .ThenCalls(Call("c1", "fragile", new { input = "x" }))
            .Then(messages => Response(new ChatMessage(ChatRole.Assistant, "Recovered after: " + ToolResultText(messages[^1], "c1"))));
        var agent = new Agent(client, [Tool("fragile", _ => throw new InvalidOperationException("disk is full"))]);

        var result = await agent.RunAsync("try");

        Assert.True(result.IsCompleted);
        var call = Assert.Single(result.ToolCalls);
        Assert.Equal(ToolCallStatus.Failed, call.Status);
        Assert.Contains("disk is full", call.Error, StringComparison.Ordinal);
        Assert.Equal("Recovered after: Error: The tool 'fragile' failed: disk is full", result.Text);
    }

    [Fact]
    public async Task Tool_error_details_can_be_hidden_from_the_model()
    {
        var client = new ScriptedChatClient().ThenCalls(Call("c1", "fragile", new { input = "x" })).ThenText("ok");
        var agent = new Agent(client, [Tool("fragile", _ => throw new InvalidOperationException("secret path /etc/x"))], new AgentOptions { IncludeToolErrorDetails = false });

        await agent.RunAsync("try");

        var sent = ToolResultText(client.Calls[1].Messages[^1], "c1");
        Assert.Equal("Error: The tool 'fragile' failed.", sent);
    }

    [Fact]
    public async Task Consecutive_tool_errors_stop_the_run()
    {
        var client = new ScriptedChatClient();
        for (var i = 0; i < 5; i++)
        {
            client.ThenCalls(Call("c" + i, "fragile", new { input = "x" }));
        }

        var invocations = 0;
        var agent = new Agent(client, [Tool("fragile", _ => { invocations++; throw new IOException("nope"); })], new AgentOptions { MaxConsecutiveToolErrors = 2 });

        var result = await agent.RunAsync("try");

        Assert.Equal(AgentStopReason.TooManyToolErrors, result.StopReason);
        Assert.False(result.IsCompleted);
        Assert.Equal(2, invocations);
        Assert.Equal(2, result.Rounds);
    }

    [Fact]
    public async Task A_successful_round_resets_the_error_count()
    {
        var client = new ScriptedChatClient()
            .ThenCalls(Call("1", "fail", new { input = "x" }))
            .ThenCalls(Call("2", "ok", new { input = "x" }))
            .ThenCalls(Call("3", "fail", new { input = "x" }))
            .ThenText("finished");
        var agent = new Agent(client, [Tool("fail", _ => throw new IOException("bad")), Tool("ok", s => s)], new AgentOptions { MaxConsecutiveToolErrors = 2 });

        var result = await agent.RunAsync("go");

        Assert.Equal(AgentStopReason.Completed, result.StopReason);
        Assert.Equal("finished", result.Text);
    }

    [Fact]
    public async Task Unknown_tool_gets_an_error_result_listing_available_tools()
    {
        var client = new ScriptedChatClient()
            .ThenCalls(Call("c1", "does_not_exist", new { input = "x" }))
            .Then(messages => Response(new ChatMessage(ChatRole.Assistant, ToolResultText(messages[^1], "c1"))));
        var agent = new Agent(client, [Tool("echo", s => s)]);

        var result = await agent.RunAsync("go");

        var call = Assert.Single(result.ToolCalls);
        Assert.Equal(ToolCallStatus.UnknownTool, call.Status);
        Assert.Equal("Error: There is no tool named 'does_not_exist'. Available tools: echo.", result.Text);
    }

    [Fact]
    public async Task Malformed_arguments_are_reported_without_invoking_the_tool()
    {
        var invoked = false;
        var bad = FunctionCallContent.CreateFromParsedArguments("{not json", "c1", "echo",
            s => JsonSerializer.Deserialize<Dictionary<string, object?>>(s)!);
        Assert.NotNull(bad.Exception);
        var client = new ScriptedChatClient()
            .Then(_ => Response(new ChatMessage(ChatRole.Assistant, [bad])))
            .ThenText("ok");
        var agent = new Agent(client, [Tool("echo", s => { invoked = true; return s; })]);

        var result = await agent.RunAsync("go");

        Assert.False(invoked);
        Assert.Equal(ToolCallStatus.Failed, result.ToolCalls[0].Status);
        Assert.Contains("could not be read", result.ToolCalls[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Max_rounds_stops_a_model_that_keeps_calling_tools()
    {
        var client = new ScriptedChatClient();
        for (var i = 0; i < 10; i++)
        {
            client.ThenCalls(Call("c" + i, "echo", new { input = "again" }));
        }

        var agent = new Agent(client, [Tool("echo", s => s)], new AgentOptions { MaxRounds = 3 });

        var result = await agent.RunAsync("loop");

        Assert.Equal(AgentStopReason.MaxRoundsReached, result.StopReason);
        Assert.Equal(3, result.Rounds);
        Assert.Equal(3, client.Calls.Count);
        Assert.Equal(2, result.ToolCalls.Count);
    }

    [Plugins.Plugin("fs")]
    public sealed class WritePlugin
    {
        public List<string> Written { get; } = [];

        [Description("Writes a file.")]
        [SideEffect("Writes to disk.")]
        public string Write(string path)
        {
            Written.Add(path);
            return "written " + path;
        }
    }

    private sealed class RecordingApprover(bool approve) : IToolApprover
    {
        public List<ToolApprovalRequest> Requests { get; } = [];

        public ValueTask<ToolApprovalDecision> ApproveAsync(ToolApprovalRequest request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return ValueTask.FromResult(approve ? ToolApprovalDecision.Approve : ToolApprovalDecision.Deny("Not today."));
        }
    }

    [Fact]
    public async Task Approved_side_effect_runs()
    {
        var plugin = new WritePlugin();
        var approver = new RecordingApprover(approve: true);
        var client = new ScriptedChatClient().ThenCalls(Call("c1", "fs_write", new { path = "a.txt" })).ThenText("done");
        var agent = new Agent(client, AgentPlugin.FromObject(plugin).Functions, approver: approver);

        var result = await agent.RunAsync("write");

        Assert.Equal(["a.txt"], plugin.Written);
        var request = Assert.Single(approver.Requests);
        Assert.Equal("fs_write", request.Call.Name);
        Assert.Equal("Writes to disk.", request.SideEffect);
        Assert.Equal(ToolCallStatus.Succeeded, result.ToolCalls[0].Status);
    }

    [Fact]
    public async Task Denied_side_effect_does_not_run_and_the_model_is_told()
    {
        var plugin = new WritePlugin();
        var client = new ScriptedChatClient()
            .ThenCalls(Call("c1", "fs_write", new { path = "a.txt" }))
            .Then(messages => Response(new ChatMessage(ChatRole.Assistant, ToolResultText(messages[^1], "c1"))));
        var agent = new Agent(client, AgentPlugin.FromObject(plugin).Functions, approver: new RecordingApprover(approve: false));

        var result = await agent.RunAsync("write");

        Assert.Empty(plugin.Written);
        Assert.Equal(ToolCallStatus.Denied, result.ToolCalls[0].Status);
        Assert.Equal("Error: The user did not approve this call to 'fs_write', so it was not run. Not today.", result.Text);
    }

    [Fact]
    public async Task Without_an_approver_side_effects_are_denied_by_default()
    {
        var plugin = new WritePlugin();
        var client = new ScriptedChatClient().ThenCalls(Call("c1", "fs_write", new { path = "a.txt" })).ThenText("ok");
        var agent = new Agent(client, AgentPlugin.FromObject(plugin).Functions);

        var result = await agent.RunAsync("write");

        Assert.Empty(plugin.Written);
        Assert.Equal(ToolCallStatus.Denied, result.ToolCalls[0].Status);
        Assert.Contains("--yes", result.ToolCalls[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_during_a_tool_call_stops_the_run()
    {
        using var cts = new CancellationTokenSource();
        var toolStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<string> Slow(string input, CancellationToken ct)
        {
            toolStarted.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return input;
        }

        var client = new ScriptedChatClient().ThenCalls(Call("c1", "slow", new { input = "x" })).ThenText("never");
        var agent = new Agent(client, [AIFunctionFactory.Create(Slow, "slow", "Slow.")]);

        var run = agent.RunAsync("go", cts.Token);
        await toolStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Single(client.Calls);
    }

    [Fact]
    public async Task Cancellation_during_streaming_stops_the_stream()
    {
        using var cts = new CancellationTokenSource();
        var client = new ScriptedChatClient().ThenText("one two three four five six seven");
        var agent = new Agent(client);
        var deltas = new List<string>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in agent.RunStreamingAsync([new ChatMessage(ChatRole.User, "go")], cts.Token))
            {
                if (update is AgentTextDelta delta)
                {
                    deltas.Add(delta.Text);
                    if (deltas.Count == 2)
                    {
                        await cts.CancelAsync();
                    }
                }
            }
        });

        Assert.Equal(2, deltas.Count);
    }

    [Fact]
    public async Task Streaming_emits_text_deltas_tool_events_and_the_result()
    {
        var client = new ScriptedChatClient()
            .ThenCalls(Call("c1", "echo", new { input = "hi" }))
            .ThenText("The tool said hi back");
        var agent = new Agent(client, [Tool("echo", s => s)]);
        var events = new List<AgentEvent>();

        await foreach (var update in agent.RunStreamingAsync([new ChatMessage(ChatRole.User, "go")]))
        {
            events.Add(update);
        }

        var requested = Assert.Single(events.OfType<AgentToolCallRequested>());
        Assert.Equal("echo", requested.Call.Name);
        Assert.False(requested.RequiresApproval);
        var completed = Assert.Single(events.OfType<AgentToolCallCompleted>());
        Assert.Equal(ToolCallStatus.Succeeded, completed.Record.Status);
        Assert.True(events.IndexOf(requested) < events.IndexOf(completed));
        var deltas = events.OfType<AgentTextDelta>().Select(d => d.Text).ToList();
        Assert.True(deltas.Count > 1);
        Assert.Equal("The tool said hi back", string.Concat(deltas));
        Assert.Equal(2, events.OfType<AgentRoundCompleted>().Count());
        var done = Assert.IsType<AgentRunCompleted>(events[^1]);
        Assert.Equal("The tool said hi back", done.Result.Text);
        Assert.Equal(2, done.Result.Rounds);
    }

    [Fact]
    public async Task Conversation_history_is_sent_and_result_messages_continue_it()
    {
        var client = new ScriptedChatClient().ThenText("first answer").ThenText("second answer");
        var agent = new Agent(client);
        var history = new List<ChatMessage> { new(ChatRole.User, "q1") };

        var first = await agent.RunAsync(history);
        history.AddRange(first.Messages);
        history.Add(new ChatMessage(ChatRole.User, "q2"));
        var second = await agent.RunAsync(history);

        Assert.Equal("second answer", second.Text);
        Assert.Equal(["q1", "first answer", "q2"], client.Calls[1].Messages.Select(m => m.Text));
        Assert.Null(client.Calls[0].Options!.Tools);
    }

    [Fact]
    public async Task Invalid_options_and_duplicate_tools_are_rejected()
    {
        var client = new ScriptedChatClient();
        Assert.Throws<ArgumentOutOfRangeException>(() => new Agent(client, options: new AgentOptions { MaxRounds = 0 }));
        var duplicate = Assert.Throws<ArgumentException>(() => new Agent(client, [Tool("x", s => s), Tool("x", s => s)]));
        Assert.Contains("'x'", duplicate.Message, StringComparison.Ordinal);
        var empty = await Assert.ThrowsAsync<ArgumentException>(() => new Agent(client).RunAsync(Array.Empty<ChatMessage>()));
        Assert.Contains("conversation is empty", empty.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_are_traced_with_gen_ai_spans_and_metrics()
    {
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == AgentTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (activities) { activities.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        var tokens = new List<(long Value, string? Type)>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == AgentTelemetry.SourceName && instrument.Name == "gen_ai.client.token.usage")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meterListener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? type = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "gen_ai.token.type")
                {
                    type = tag.Value as string;
                }
            }

            lock (tokens)
            {
                tokens.Add((value, type));
            }
        });
        meterListener.Start();

        var agentName = "traced-" + Guid.NewGuid().ToString("N")[..6];
        var client = new ScriptedChatClient()
            .ThenCalls(Call("c1", "fragile", new { input = "x" }))
            .ThenText("ok", inputTokens: 17, outputTokens: 4);
        var agent = new Agent(client, [Tool("fragile", _ => throw new InvalidOperationException("boom"))], new AgentOptions { Name = agentName });

        await agent.RunAsync("go");

        List<Activity> mine;
        lock (activities)
        {
            var root = activities.Single(a => a.DisplayName == $"invoke_agent {agentName}");
            mine = activities.Where(a => a.TraceId == root.TraceId).ToList();
        }

        var run = mine.Single(a => a.DisplayName.StartsWith("invoke_agent", StringComparison.Ordinal));
        Assert.Equal("invoke_agent", run.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(agentName, run.GetTagItem("gen_ai.agent.name"));
        Assert.Equal("scripted", run.GetTagItem("gen_ai.provider.name"));
        Assert.Equal(27L, run.GetTagItem("gen_ai.usage.input_tokens"));

        var chats = mine.Where(a => a.DisplayName == "chat scripted-model").ToList();
        Assert.Equal(2, chats.Count);
        Assert.All(chats, c => Assert.Equal("chat", c.GetTagItem("gen_ai.operation.name")));
        Assert.All(chats, c => Assert.Equal(ActivityKind.Client, c.Kind));
        Assert.All(chats, c => Assert.Equal(run.SpanId, c.ParentSpanId));

        var tool = mine.Single(a => a.DisplayName == "execute_tool fragile");
        Assert.Equal("fragile", tool.GetTagItem("gen_ai.tool.name"));
        Assert.Equal("c1", tool.GetTagItem("gen_ai.tool.call.id"));
        Assert.Equal(typeof(InvalidOperationException).FullName, tool.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, tool.Status);

        lock (tokens)
        {
            Assert.Contains((17L, "input"), tokens);
            Assert.Contains((4L, "output"), tokens);
        }
    }
}
