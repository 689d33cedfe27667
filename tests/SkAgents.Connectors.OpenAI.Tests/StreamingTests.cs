using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Connectors.OpenAI;
using SkAgents.Testing;
using static SkAgents.Connectors.OpenAI.Tests.TestHelpers;

namespace SkAgents.Connectors.OpenAI.Tests;

public sealed class StreamingTests : IAsyncLifetime
{
    private OpenAICompatibleServer _server = null!;

    public async Task InitializeAsync() => _server = await OpenAICompatibleServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Text_deltas_arrive_in_order_and_assemble()
    {
        const string text = "The quick brown fox jumps over the lazy dog.";
        _server.Enqueue(ScriptedResponse.Text(text, promptTokens: 7, completionTokens: 9));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        List<ChatResponseUpdate> updates = await CollectAsync(client.GetStreamingResponseAsync(UserSays("fox?")));

        string[] deltas = [.. updates.SelectMany(u => u.Contents).OfType<TextContent>().Select(t => t.Text)];
        Assert.True(deltas.Length >= 5, $"expected several deltas, got {deltas.Length}");
        Assert.Equal(text, string.Concat(deltas));
        Assert.All(updates, u => Assert.Equal(ChatRole.Assistant, u.Role));
        Assert.All(updates, u => Assert.StartsWith("chatcmpl-", u.ResponseId, StringComparison.Ordinal));
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
        Assert.All(updates, u => Assert.Equal("test-model", u.ModelId));
        Assert.Equal(ChatFinishReason.Stop, Assert.Single(updates, u => u.FinishReason is not null).FinishReason);

        UsageContent usage = Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
        Assert.Equal(7, usage.Details.InputTokenCount);
        Assert.Equal(9, usage.Details.OutputTokenCount);
        Assert.Equal(16, usage.Details.TotalTokenCount);

        ChatResponse assembled = updates.ToChatResponse();
        Assert.Equal(text, assembled.Text);
        Assert.Equal(ChatFinishReason.Stop, assembled.FinishReason);
        Assert.Equal(16, assembled.Usage!.TotalTokenCount);

        RecordedRequest request = Assert.Single(_server.Requests);
        Assert.True(request.IsStreaming);
        Assert.True(request.Json!.Value.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public async Task Tool_call_fragments_assemble_into_complete_FunctionCallContent()
    {
        _server.Enqueue(ScriptedResponse.ToolCalls(
                new ScriptedToolCall("call_a", "get_weather", """{"city":"Rome","unit":"celsius","days":5}"""),
                new ScriptedToolCall("call_b", "get_news", """{"topic":"sports","limit":3}"""))
            .WithText("Checking."));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        List<ChatResponseUpdate> updates = await CollectAsync(client.GetStreamingResponseAsync(UserSays("weather and news")));

        // Arguments arrived as several fragments, but only complete calls are surfaced, once, with the finish reason.
        var raw = updates.Select(u => u.RawRepresentation).OfType<global::OpenAI.Chat.StreamingChatCompletionUpdate>().ToList();
        Assert.True(raw.Sum(r => r.ToolCallUpdates.Count) >= 6, "expected the arguments to be streamed in fragments");

        ChatResponseUpdate finish = Assert.Single(updates, u => u.FinishReason is not null);
        Assert.Equal(ChatFinishReason.ToolCalls, finish.FinishReason);
        FunctionCallContent[] calls = [.. updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>()];
        Assert.Equal(2, calls.Length);
        Assert.All(calls, c => Assert.Contains(c, finish.Contents));
        Assert.Equal(("call_a", "get_weather"), (calls[0].CallId, calls[0].Name));
        Assert.Equal("Rome", calls[0].Arguments!["city"]!.ToString());
        Assert.Equal(5, ((JsonElement)calls[0].Arguments!["days"]!).GetInt32());
        Assert.Equal(("call_b", "get_news"), (calls[1].CallId, calls[1].Name));
        Assert.Equal(3, ((JsonElement)calls[1].Arguments!["limit"]!).GetInt32());
        Assert.All(calls, c => Assert.Null(c.Exception));

        ChatResponse assembled = updates.ToChatResponse();
        Assert.Equal("Checking.", assembled.Text);
        Assert.Equal(2, assembled.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Count());
    }

    [Fact]
    public async Task Streamed_malformed_tool_arguments_set_Exception_instead_of_throwing()
    {
        _server.Enqueue(ScriptedResponse.ToolCalls(new ScriptedToolCall("call_x", "f", """{"a": [1, 2""")));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        List<ChatResponseUpdate> updates = await CollectAsync(client.GetStreamingResponseAsync(UserSays("x")));

        FunctionCallContent call = Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>());
        Assert.Equal("call_x", call.CallId);
        Assert.NotNull(call.Exception);
    }

    [Fact]
    public async Task Length_finish_reason_is_reported_on_stream()
    {
        _server.Enqueue(ScriptedResponse.Text("partial answer", finishReason: "length"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        List<ChatResponseUpdate> updates = await CollectAsync(client.GetStreamingResponseAsync(UserSays("x")));

        Assert.Equal(ChatFinishReason.Length, updates.ToChatResponse().FinishReason);
    }

    [Fact]
    public async Task Tool_calls_without_finish_reason_are_flushed_at_stream_end()
    {
        // A minimal server that never sends finish_reason.
        string sse =
            "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_q\",\"type\":\"function\",\"function\":{\"name\":\"q\",\"arguments\":\"{\\\"k\\\":\"}}]},\"finish_reason\":null}]}\n\n" +
            "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]},\"finish_reason\":null}]}\n\n" +
            "data: [DONE]\n\n";
        _server.Enqueue(ScriptedResponse.Raw(200, "text/event-stream", sse));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        List<ChatResponseUpdate> updates = await CollectAsync(client.GetStreamingResponseAsync(UserSays("x")));

        FunctionCallContent call = Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>());
        Assert.Equal("call_q", call.CallId);
        Assert.Equal(1, ((JsonElement)call.Arguments!["k"]!).GetInt32());
    }

    [Fact]
    public async Task Malformed_SSE_chunk_throws_ModelResponseFormatException()
    {
        string sse =
            "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n" +
            "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"delta\":{\"content\": oops not json\n\n" +
            "data: [DONE]\n\n";
        _server.Enqueue(ScriptedResponse.Raw(200, "text/event-stream", sse));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));
        var received = new List<string>();

        var ex = await Assert.ThrowsAsync<ModelResponseFormatException>(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(UserSays("x")))
            {
                received.Add(update.Text);
            }
        });

        Assert.Equal(["Hel"], received);
        Assert.Contains("streamed chunk", ex.Message, StringComparison.Ordinal);
        Assert.Contains(_server.BaseUri.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_mid_stream_stops_promptly_with_OperationCanceledException()
    {
        string longText = string.Join(' ', Enumerable.Range(1, 200).Select(i => $"word{i}"));
        _server.Enqueue(ScriptedResponse.Text(longText).WithStreamChunkDelay(TimeSpan.FromMilliseconds(100)));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));
        using var cts = new CancellationTokenSource();
        int received = 0;
        var watch = new Stopwatch();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(UserSays("talk"), cancellationToken: cts.Token))
            {
                if (++received == 3)
                {
                    watch.Start();
                    await cts.CancelAsync();
                }
            }
        });

        watch.Stop();
        Assert.Equal(3, received);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"cancellation took {watch.Elapsed}");
    }

    [Fact]
    public async Task Connection_dropped_mid_stream_surfaces_as_ModelServiceException()
    {
        _server.Enqueue(ScriptedResponse.Text("one two three four five six").WithStreamAbortAfter(3));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        var received = new List<string>();

        var ex = await Assert.ThrowsAnyAsync<ModelServiceException>(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(UserSays("x")))
            {
                received.Add(update.Text);
            }
        });

        Assert.Contains(_server.BaseUri.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Equal("one two ", string.Concat(received));
        Assert.Single(_server.Requests); // a stream that already started is not retried
    }

    [Fact]
    public async Task Streaming_error_status_maps_like_non_streaming()
    {
        _server.Enqueue(ScriptedResponse.Error(404, "The model `nope` does not exist or you do not have access to it.", code: "model_not_found"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        var ex = await Assert.ThrowsAsync<ModelNotFoundException>(async () => await CollectAsync(client.GetStreamingResponseAsync(UserSays("x"))));

        Assert.Equal(404, ex.StatusCode);
        Assert.Equal("model_not_found", ex.ErrorCode);
    }
}
