using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Connectors.OpenAI;
using SkAgents.Testing;
using static SkAgents.Connectors.OpenAI.Tests.TestHelpers;

namespace SkAgents.Connectors.OpenAI.Tests;

public sealed class ChatClientTests : IAsyncLifetime
{
    private OpenAICompatibleServer _server = null!;

    public async Task InitializeAsync() => _server = await OpenAICompatibleServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task NonStreaming_text_maps_message_ids_usage_and_finish_reason()
    {
        _server.Enqueue(ScriptedResponse.Text("Hello there, friend.", promptTokens: 12, completionTokens: 4));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        ChatResponse response = await client.GetResponseAsync(UserSays("Hi"));

        Assert.Equal("Hello there, friend.", response.Text);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.StartsWith("chatcmpl-", response.ResponseId, StringComparison.Ordinal);
        Assert.Equal("test-model", response.ModelId);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.NotNull(response.CreatedAt);
        Assert.InRange(response.CreatedAt!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(12, response.Usage!.InputTokenCount);
        Assert.Equal(4, response.Usage.OutputTokenCount);
        Assert.Equal(16, response.Usage.TotalTokenCount);
        Assert.IsType<global::OpenAI.Chat.ChatCompletion>(response.RawRepresentation);

        RecordedRequest request = Assert.Single(_server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.False(request.IsStreaming);
        Assert.Equal("test-model", request.Model);
    }

    [Fact]
    public async Task NonStreaming_length_finish_reason_is_mapped()
    {
        _server.Enqueue(ScriptedResponse.Text("cut sho", finishReason: "length"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        ChatResponse response = await client.GetResponseAsync(UserSays("Tell me a long story"));

        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal("cut sho", response.Text);
    }

    [Fact]
    public async Task NonStreaming_content_filter_finish_reason_is_mapped()
    {
        _server.Enqueue(ScriptedResponse.Text(string.Empty, finishReason: "content_filter"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        ChatResponse response = await client.GetResponseAsync(UserSays("something"));

        Assert.Equal(ChatFinishReason.ContentFilter, response.FinishReason);
    }

    [Fact]
    public async Task NonStreaming_tool_calls_are_parsed_into_FunctionCallContent()
    {
        _server.Enqueue(ScriptedResponse.ToolCalls(
            new ScriptedToolCall("call_1", "get_weather", """{"city":"Paris","days":3}"""),
            new ScriptedToolCall("call_2", "get_time", """{"zone":"CET"}""")));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        ChatResponse response = await client.GetResponseAsync(UserSays("Weather and time in Paris?"));

        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        FunctionCallContent[] calls = [.. response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()];
        Assert.Equal(2, calls.Length);
        Assert.Equal("call_1", calls[0].CallId);
        Assert.Equal("get_weather", calls[0].Name);
        Assert.Null(calls[0].Exception);
        Assert.Equal("Paris", ((JsonElement)calls[0].Arguments!["city"]!).GetString());
        Assert.Equal(3, ((JsonElement)calls[0].Arguments!["days"]!).GetInt32());
        Assert.Equal("call_2", calls[1].CallId);
        Assert.Equal("CET", calls[1].Arguments!["zone"]!.ToString());
    }

    [Fact]
    public async Task Malformed_tool_arguments_do_not_throw_and_set_Exception()
    {
        _server.Enqueue(ScriptedResponse.ToolCalls(new ScriptedToolCall("call_bad", "search", """{"query": "unterminated""")));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        ChatResponse response = await client.GetResponseAsync(UserSays("search"));

        FunctionCallContent call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("call_bad", call.CallId);
        Assert.Equal("search", call.Name);
        Assert.NotNull(call.Exception);
    }

    [Fact]
    public async Task Empty_tool_arguments_parse_as_empty_dictionary()
    {
        _server.Enqueue(ScriptedResponse.ToolCalls(new ScriptedToolCall("call_0", "now", string.Empty)));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        ChatResponse response = await client.GetResponseAsync(UserSays("time?"));

        FunctionCallContent call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Null(call.Exception);
        Assert.NotNull(call.Arguments);
        Assert.Empty(call.Arguments);
    }

    [Fact]
    public async Task Request_maps_messages_including_tool_calls_and_results()
    {
        _server.Enqueue(ScriptedResponse.Text("It is sunny."));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        ChatMessage[] history =
        [
            new(ChatRole.System, "You are terse."),
            new(ChatRole.User, "Weather in Paris?"),
            new(ChatRole.Assistant,
            [
                new TextContent("Let me check."),
                new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris" }),
                new FunctionCallContent("call_2", "get_temp", new Dictionary<string, object?> { ["city"] = "Paris", ["unit"] = "C" }),
            ]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", "sunny")]),
            new(ChatRole.Tool, [new FunctionResultContent("call_2", new { celsius = 21, feels = "warm" })]),
        ];

        ChatResponse response = await client.GetResponseAsync(history, new ChatOptions { Instructions = "Answer in English." });
        Assert.Equal("It is sunny.", response.Text);

        RecordedRequest request = Assert.Single(_server.Requests);
        IReadOnlyList<JsonElement> messages = request.Messages;
        Assert.Equal(6, messages.Count);

        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal("Answer in English.", RecordedRequest.ContentText(messages[0]));
        Assert.Equal("system", messages[1].GetProperty("role").GetString());
        Assert.Equal("You are terse.", RecordedRequest.ContentText(messages[1]));
        Assert.Equal("user", messages[2].GetProperty("role").GetString());
        Assert.Equal("Weather in Paris?", RecordedRequest.ContentText(messages[2]));

        JsonElement assistant = messages[3];
        Assert.Equal("assistant", assistant.GetProperty("role").GetString());
        Assert.Equal("Let me check.", RecordedRequest.ContentText(assistant));
        JsonElement[] toolCalls = [.. assistant.GetProperty("tool_calls").EnumerateArray()];
        Assert.Equal(2, toolCalls.Length);
        Assert.Equal("call_1", toolCalls[0].GetProperty("id").GetString());
        Assert.Equal("function", toolCalls[0].GetProperty("type").GetString());
        Assert.Equal("get_weather", toolCalls[0].GetProperty("function").GetProperty("name").GetString());
        using (JsonDocument args = JsonDocument.Parse(toolCalls[0].GetProperty("function").GetProperty("arguments").GetString()!))
        {
            Assert.Equal("Paris", args.RootElement.GetProperty("city").GetString());
        }

        Assert.Equal("tool", messages[4].GetProperty("role").GetString());
        Assert.Equal("call_1", messages[4].GetProperty("tool_call_id").GetString());
        Assert.Equal("sunny", RecordedRequest.ContentText(messages[4]));

        (string id, string content) = request.ToolResults[1];
        Assert.Equal("call_2", id);
        using JsonDocument result = JsonDocument.Parse(content);
        Assert.Equal(21, result.RootElement.GetProperty("celsius").GetInt32());
        Assert.Equal("warm", result.RootElement.GetProperty("feels").GetString());
    }

    [Fact]
    public async Task Request_maps_options_and_tools()
    {
        _server.Enqueue(ScriptedResponse.Text("ok"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server, provider: OpenAICompatibleProvider.OpenAI));

        AIFunction weather = AIFunctionFactory.Create(
            (string city, int days) => $"{city}:{days}",
            name: "get_weather",
            description: "Gets the weather forecast.");

        var options = new ChatOptions
        {
            Temperature = 0.25f,
            TopP = 0.5f,
            MaxOutputTokens = 123,
            Seed = 42,
            StopSequences = ["END", "STOP"],
            FrequencyPenalty = 0.1f,
            PresencePenalty = 0.2f,
            ToolMode = ChatToolMode.RequireSpecific("get_weather"),
            AllowMultipleToolCalls = false,
            Tools = [weather],
        };

        await client.GetResponseAsync(UserSays("plan a trip"), options);

        JsonElement body = Assert.Single(_server.Requests).Json!.Value;
        Assert.Equal(0.25, body.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(0.5, body.GetProperty("top_p").GetDouble(), 3);
        Assert.Equal(123, body.GetProperty("max_completion_tokens").GetInt32());
        Assert.False(body.TryGetProperty("max_tokens", out _));
        Assert.Equal(42, body.GetProperty("seed").GetInt64());
        Assert.Equal(["END", "STOP"], body.GetProperty("stop").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0.1, body.GetProperty("frequency_penalty").GetDouble(), 3);
        Assert.Equal(0.2, body.GetProperty("presence_penalty").GetDouble(), 3);
        Assert.False(body.GetProperty("parallel_tool_calls").GetBoolean());

        JsonElement choice = body.GetProperty("tool_choice");
        Assert.Equal("function", choice.GetProperty("type").GetString());
        Assert.Equal("get_weather", choice.GetProperty("function").GetProperty("name").GetString());

        JsonElement tool = Assert.Single(body.GetProperty("tools").EnumerateArray());
        Assert.Equal("function", tool.GetProperty("type").GetString());
        JsonElement function = tool.GetProperty("function");
        Assert.Equal("get_weather", function.GetProperty("name").GetString());
        Assert.Equal("Gets the weather forecast.", function.GetProperty("description").GetString());
        JsonElement parameters = function.GetProperty("parameters");
        Assert.Equal("object", parameters.GetProperty("type").GetString());
        Assert.Equal("string", parameters.GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        Assert.Equal("integer", parameters.GetProperty("properties").GetProperty("days").GetProperty("type").GetString());
        Assert.Equal(["city", "days"], parameters.GetProperty("required").EnumerateArray().Select(e => e.GetString()).Order());
    }

    [Theory]
    [InlineData("auto", "auto")]
    [InlineData("none", "none")]
    [InlineData("required", "required")]
    public async Task Tool_modes_map_to_tool_choice(string mode, string expected)
    {
        _server.Enqueue(ScriptedResponse.Text("ok"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));
        ChatToolMode toolMode = mode switch
        {
            "auto" => ChatToolMode.Auto,
            "none" => ChatToolMode.None,
            _ => ChatToolMode.RequireAny,
        };

        await client.GetResponseAsync(UserSays("x"), new ChatOptions
        {
            ToolMode = toolMode,
            Tools = [AIFunctionFactory.Create(() => 1, name: "one")],
        });

        JsonElement body = Assert.Single(_server.Requests).Json!.Value;
        Assert.Equal(expected, body.GetProperty("tool_choice").GetString());
    }

    [Fact]
    public async Task No_tools_means_no_tool_choice_or_parallel_flag()
    {
        _server.Enqueue(ScriptedResponse.Text("ok"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        await client.GetResponseAsync(UserSays("x"), new ChatOptions { ToolMode = ChatToolMode.Auto, AllowMultipleToolCalls = true });

        JsonElement body = Assert.Single(_server.Requests).Json!.Value;
        Assert.False(body.TryGetProperty("tools", out _));
        Assert.False(body.TryGetProperty("tool_choice", out _));
        Assert.False(body.TryGetProperty("parallel_tool_calls", out _));
    }

    [Fact]
    public async Task Local_providers_send_max_tokens_and_top_k()
    {
        _server.Enqueue(ScriptedResponse.Text("ok"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server, provider: OpenAICompatibleProvider.Ollama));

        await client.GetResponseAsync(UserSays("x"), new ChatOptions { MaxOutputTokens = 64, TopK = 40 });

        JsonElement body = Assert.Single(_server.Requests).Json!.Value;
        Assert.Equal(64, body.GetProperty("max_tokens").GetInt32());
        Assert.False(body.TryGetProperty("max_completion_tokens", out _));
        Assert.Equal(40, body.GetProperty("top_k").GetInt32());
    }

    [Fact]
    public async Task Response_formats_map_to_text_json_object_and_json_schema()
    {
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));
        using JsonDocument schema = JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}""");

        _server.Enqueue(ScriptedResponse.Text("plain"));
        _server.Enqueue(ScriptedResponse.Text("{}"));
        _server.Enqueue(ScriptedResponse.Text("""{"name":"x"}"""));
        await client.GetResponseAsync(UserSays("a"), new ChatOptions { ResponseFormat = ChatResponseFormat.Text });
        await client.GetResponseAsync(UserSays("b"), new ChatOptions { ResponseFormat = ChatResponseFormat.Json });
        await client.GetResponseAsync(UserSays("c"), new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement, "person", "A person.") });

        IReadOnlyList<RecordedRequest> requests = _server.Requests;
        Assert.Equal("text", requests[0].Json!.Value.GetProperty("response_format").GetProperty("type").GetString());
        Assert.Equal("json_object", requests[1].Json!.Value.GetProperty("response_format").GetProperty("type").GetString());
        JsonElement format = requests[2].Json!.Value.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("person", format.GetProperty("json_schema").GetProperty("name").GetString());
        Assert.Equal("A person.", format.GetProperty("json_schema").GetProperty("description").GetString());
        Assert.Equal("string", format.GetProperty("json_schema").GetProperty("schema").GetProperty("properties").GetProperty("name").GetProperty("type").GetString());
    }

    [Fact]
    public async Task ModelId_option_overrides_the_default_model()
    {
        _server.Enqueue(ScriptedResponse.Text("a"), ScriptedResponse.Text("b"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        ChatResponse overridden = await client.GetResponseAsync(UserSays("x"), new ChatOptions { ModelId = "other-model" });
        await client.GetResponseAsync(UserSays("y"));

        Assert.Equal("other-model", overridden.ModelId);
        Assert.Equal(["other-model", "test-model"], _server.Requests.Select(r => r.Model));
    }

    [Fact]
    public async Task User_images_are_sent_as_image_url_parts()
    {
        _server.Enqueue(ScriptedResponse.Text("a cat"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3];

        await client.GetResponseAsync(
        [
            new ChatMessage(ChatRole.User,
            [
                new TextContent("What is in these?"),
                new DataContent(png, "image/png"),
                new UriContent(new Uri("https://example.invalid/cat.jpg"), "image/jpeg"),
            ]),
        ]);

        JsonElement[] parts = [.. Assert.Single(_server.Requests).Messages[0].GetProperty("content").EnumerateArray()];
        Assert.Equal(3, parts.Length);
        Assert.Equal("text", parts[0].GetProperty("type").GetString());
        Assert.Equal("image_url", parts[1].GetProperty("type").GetString());
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(png), parts[1].GetProperty("image_url").GetProperty("url").GetString());
        Assert.Equal("https://example.invalid/cat.jpg", parts[2].GetProperty("image_url").GetProperty("url").GetString());
    }

    [Fact]
    public async Task Unsupported_data_content_fails_clearly_before_sending()
    {
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        var ex = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1 }, "application/x-thing")])]));

        Assert.Contains("application/x-thing", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task GetService_returns_metadata_sdk_client_and_self()
    {
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server, provider: OpenAICompatibleProvider.Vllm));

        ChatClientMetadata metadata = Assert.IsType<ChatClientMetadata>(client.GetService(typeof(ChatClientMetadata)));
        Assert.Equal("vllm", metadata.ProviderName);
        Assert.Equal(_server.BaseUri, metadata.ProviderUri);
        Assert.Equal("test-model", metadata.DefaultModelId);
        Assert.IsType<global::OpenAI.Chat.ChatClient>(client.GetService(typeof(global::OpenAI.Chat.ChatClient)));
        Assert.Same(client, client.GetService(typeof(IChatClient)));
        Assert.Null(client.GetService(typeof(ChatClientMetadata), "some-key"));
        Assert.Null(client.GetService(typeof(string)));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Disposed_client_throws_ObjectDisposedException()
    {
        var client = new OpenAICompatibleChatClient(OptionsFor(_server));
        client.Dispose();
        client.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetResponseAsync(UserSays("x")));
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Factory_on_options_builds_working_clients()
    {
        _server.Enqueue(ScriptedResponse.Text("from factory"));
        OpenAICompatibleClientOptions options = OptionsFor(_server);

        using IChatClient chat = options.CreateChatClient();
        using IEmbeddingGenerator<string, Embedding<float>> embeddings = options.CreateEmbeddingGenerator();

        Assert.Equal("from factory", (await chat.GetResponseAsync(UserSays("x"))).Text);
        Assert.Single(await embeddings.GenerateAsync(["x"]));
    }

    [Fact]
    public async Task Default_server_echo_is_used_when_nothing_is_scripted()
    {
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        ChatResponse response = await client.GetResponseAsync(UserSays("ping"));

        Assert.Equal("Echo: ping", response.Text);
    }

    [Fact]
    public async Task ChatHandler_reacts_to_tool_results()
    {
        _server.Enqueue(ScriptedResponse.ToolCalls(new ScriptedToolCall("call_9", "lookup", """{"q":"x"}""")));
        _server.ChatHandler = request => ScriptedResponse.Text("Tool said: " + request.ToolResults.Single().Content);
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        ChatResponse first = await client.GetResponseAsync(UserSays("look it up"));
        FunctionCallContent call = Assert.Single(first.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        List<ChatMessage> history = [.. UserSays("look it up"), .. first.Messages, new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, "42")])];
        ChatResponse second = await client.GetResponseAsync(history);

        Assert.Equal("Tool said: 42", second.Text);
    }
}
