using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.LocalModels.ChatFormats;

namespace SkAgents.LocalModels.Tests;

public class ChatFormatTests
{
    private static readonly AIFunction Weather = AIFunctionFactory.Create(
        (string city) => "sunny in " + city, "weather_now", "Gets the weather in a city.");

    private static List<ChatMessage> ToolRoundTrip() =>
    [
        new(ChatRole.System, "Be brief."),
        new(ChatRole.User, "Weather in Rome?"),
        new(ChatRole.Assistant, [new FunctionCallContent("call_a", "weather_now", new Dictionary<string, object?> { ["city"] = "Rome" })]),
        new(ChatRole.Tool, [new FunctionResultContent("call_a", "sunny")]),
    ];

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public void Phi3_renders_the_documented_layout()
    {
        var prompt = Phi3ChatFormat.Instance.Render([new ChatMessage(ChatRole.System, "You are helpful."), new ChatMessage(ChatRole.User, "Hi"), new ChatMessage(ChatRole.Assistant, "Hello!"), new ChatMessage(ChatRole.User, "How are you?")]);

        Assert.Equal("<|system|>\nYou are helpful.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n<|user|>\nHow are you?<|end|>\n<|assistant|>\n", prompt);
        Assert.Contains("<|end|>", Phi3ChatFormat.Instance.StopSequences);
    }

    [Fact]
    public void Phi3_without_system_message_starts_with_the_user()
    {
        var prompt = Phi3ChatFormat.Instance.Render([new ChatMessage(ChatRole.User, "Hi")]);
        Assert.Equal("<|user|>\nHi<|end|>\n<|assistant|>\n", prompt);
    }

    [Fact]
    public void Instructions_join_the_system_message()
    {
        var prompt = Phi3ChatFormat.Instance.Render([new ChatMessage(ChatRole.System, "A."), new ChatMessage(ChatRole.User, "Hi")], new ChatOptions { Instructions = "B." });
        Assert.StartsWith("<|system|>\nA.\n\nB.<|end|>\n", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void ChatMl_renders_tools_calls_and_results_like_qwen()
    {
        var prompt = ChatMlChatFormat.Instance.Render(ToolRoundTrip(), new ChatOptions { Tools = [Weather] });

        Assert.StartsWith("<|im_start|>system\nBe brief.\n\n# Tools\n\nYou may call one or more functions", prompt, StringComparison.Ordinal);
        var toolsBlock = prompt[(prompt.IndexOf("<tools>\n", StringComparison.Ordinal) + 8)..prompt.IndexOf("\n</tools>", StringComparison.Ordinal)];
        var declaration = Json(toolsBlock);
        Assert.Equal("function", declaration.GetProperty("type").GetString());
        Assert.Equal("weather_now", declaration.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("string", declaration.GetProperty("function").GetProperty("parameters").GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        Assert.EndsWith(
            "<|im_start|>user\nWeather in Rome?<|im_end|>\n" +
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"weather_now\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n" +
            "<|im_start|>assistant\n",
            prompt,
            StringComparison.Ordinal);
    }

    [Fact]
    public void ChatMl_uses_qwens_default_system_message_when_tools_come_without_one()
    {
        var prompt = ChatMlChatFormat.Instance.Render([new ChatMessage(ChatRole.User, "Hi")], new ChatOptions { Tools = [Weather] });
        Assert.StartsWith("<|im_start|>system\n" + ChatMlChatFormat.DefaultSystemMessage + "\n\n# Tools", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void ChatMl_groups_consecutive_tool_results_in_one_user_turn()
    {
        var prompt = ChatMlChatFormat.Instance.Render(
        [
            new ChatMessage(ChatRole.User, "Both?"),
            new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("1", "a"), new FunctionCallContent("2", "b")]),
            new ChatMessage(ChatRole.Tool, [new FunctionResultContent("1", "one")]),
            new ChatMessage(ChatRole.Tool, [new FunctionResultContent("2", JsonSerializer.SerializeToElement(new { n = 2 }))]),
        ]);

        Assert.Contains("<|im_start|>user\n<tool_response>\none\n</tool_response>\n<tool_response>\n{\"n\": 2}\n</tool_response><|im_end|>\n<|im_start|>assistant\n", prompt, StringComparison.Ordinal);
        Assert.Contains("</tool_call>\n<tool_call>", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Qwen25_always_has_a_system_turn_and_qwen3_does_not()
    {
        ChatMessage[] hello = [new(ChatRole.User, "Hi")];
        Assert.Equal(
            "<|im_start|>system\n" + ChatMlChatFormat.DefaultSystemMessage + "<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            ChatMlChatFormat.Instance.Render(hello));
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", ChatMlChatFormat.Qwen3.Render(hello));
        Assert.StartsWith("<|im_start|>system\n" + ChatMlChatFormat.DefaultSystemMessage + "\n\n# Tools", ChatMlChatFormat.Qwen3.Render(hello, new ChatOptions { Tools = [Weather] }), StringComparison.Ordinal);
        Assert.Same(ChatMlChatFormat.Qwen3, ChatFormat.FromName("qwen3"));
    }

    [Fact]
    public void Tool_mode_none_leaves_tools_out()
    {
        var prompt = ChatMlChatFormat.Instance.Render([new ChatMessage(ChatRole.User, "Hi")], new ChatOptions { Tools = [Weather], ToolMode = ChatToolMode.None });
        Assert.DoesNotContain("<tools>", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Phi4Mini_renders_tools_in_the_system_message_without_newlines()
    {
        var prompt = Phi4MiniChatFormat.Instance.Render(ToolRoundTrip(), new ChatOptions { Tools = [Weather] });

        Assert.StartsWith("<|system|>Be brief.<|tool|>[{\"name\": \"weather_now\", \"description\": \"Gets the weather in a city.\", \"parameters\": ", prompt, StringComparison.Ordinal);
        Assert.EndsWith(
            "<|/tool|><|end|><|user|>Weather in Rome?<|end|>" +
            "<|assistant|><|tool_call|>[{\"name\": \"weather_now\", \"arguments\": {\"city\": \"Rome\"}}]<|/tool_call|><|end|>" +
            "<|tool_response|>[{\"name\": \"weather_now\", \"result\": \"sunny\"}]<|end|><|assistant|>",
            prompt,
            StringComparison.Ordinal);
        Assert.DoesNotContain("\n", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Llama3_puts_tools_in_the_first_user_message_and_results_in_ipython_turns()
    {
        var prompt = Llama3ChatFormat.Instance.Render(ToolRoundTrip(), new ChatOptions { Tools = [Weather] });

        Assert.StartsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.\n\nEnvironment: ipython<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the following functions", prompt, StringComparison.Ordinal);
        Assert.Contains("{\"type\": \"function\", \"function\": {\"name\": \"weather_now\"", prompt, StringComparison.Ordinal);
        Assert.EndsWith(
            "Weather in Rome?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"weather_now\", \"parameters\": {\"city\": \"Rome\"}}<|eot_id|>" +
            "<|start_header_id|>ipython<|end_header_id|>\n\nsunny<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            prompt,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Json_is_written_as_hugging_face_templates_write_it()
    {
        var prompt = ChatMlChatFormat.Instance.Render(
            [new ChatMessage(ChatRole.User, "x"), new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("1", "f", new Dictionary<string, object?> { ["city"] = "Zürich", ["days"] = 2, ["tags"] = new[] { "a", "b" } })])]);

        Assert.Contains("{\"name\": \"f\", \"arguments\": {\"city\": \"Zürich\", \"days\": 2, \"tags\": [\"a\", \"b\"]}}", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Images_are_refused_with_a_clear_error()
    {
        var message = new ChatMessage(ChatRole.User, [new TextContent("What is this?"), new DataContent(new byte[] { 1, 2, 3 }, "image/png")]);
        var error = Assert.Throws<NotSupportedException>(() => ChatMlChatFormat.Instance.Render([message]));
        Assert.Contains("image/png", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> SingleCalls => new()
    {
        { "chatml", "Let me check.\n<tool_call>\n{\"name\": \"weather_now\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>" },
        { "phi3", "Let me check.\n<tool_call>\n{\"name\": \"weather_now\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>" },
        { "phi4-mini", "Let me check.<|tool_call|>[{\"name\": \"weather_now\", \"arguments\": {\"city\": \"Oslo\"}}]<|/tool_call|>" },
    };

    [Theory]
    [MemberData(nameof(SingleCalls))]
    public void Tool_calls_are_parsed_with_text_kept(string format, string output)
    {
        var parsed = ChatFormat.FromName(format).ParseOutput(output);

        Assert.Equal("Let me check.", parsed.Text);
        var call = Assert.Single(parsed.Calls);
        Assert.Equal("weather_now", call.Name);
        Assert.Equal("Oslo", ((JsonElement)call.Arguments!["city"]!).GetString());
        Assert.StartsWith("call_", call.CallId, StringComparison.Ordinal);
        Assert.Empty(parsed.Errors);
    }

    [Fact]
    public void Llama3_json_answer_is_a_tool_call_and_prose_is_not()
    {
        var call = Llama3ChatFormat.Instance.ParseOutput("{\"name\": \"weather_now\", \"parameters\": {\"city\": \"Oslo\"}}");
        Assert.Equal("weather_now", Assert.Single(call.Calls).Name);
        Assert.Equal(string.Empty, call.Text);

        var tagged = Llama3ChatFormat.Instance.ParseOutput("<|python_tag|>{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": {\"x\": 1}}");
        Assert.Equal(["a", "b"], tagged.Calls.Select(c => c.Name));

        var prose = Llama3ChatFormat.Instance.ParseOutput("The JSON {\"name\" key holds the name.");
        Assert.Empty(prose.Calls);
        Assert.Equal("The JSON {\"name\" key holds the name.", prose.Text);
    }

    [Fact]
    public void Several_calls_in_one_turn_are_all_read()
    {
        var qwen = ChatMlChatFormat.Instance.ParseOutput(
            "<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {\"n\": 2}}\n</tool_call>");
        Assert.Equal(["a", "b"], qwen.Calls.Select(c => c.Name));
        Assert.NotEqual(qwen.Calls[0].CallId, qwen.Calls[1].CallId);

        var phi = Phi4MiniChatFormat.Instance.ParseOutput("<|tool_call|>[{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"b\", \"arguments\": {\"n\": 2}}]<|/tool_call|>");
        Assert.Equal(["a", "b"], phi.Calls.Select(c => c.Name));
        Assert.Equal(2, ((JsonElement)phi.Calls[1].Arguments!["n"]!).GetInt32());
    }

    [Fact]
    public void Malformed_tool_json_is_reported_not_thrown()
    {
        var parsed = ChatMlChatFormat.Instance.ParseOutput("<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": }\n</tool_call>");

        Assert.Empty(parsed.Calls);
        var error = Assert.Single(parsed.Errors);
        Assert.Contains("not valid JSON", error, StringComparison.Ordinal);
        Assert.Contains(parsed.ToContents(), c => c is ErrorContent);

        var noName = Phi4MiniChatFormat.Instance.ParseOutput("<|tool_call|>[{\"arguments\": {}}]<|/tool_call|>");
        Assert.Contains("without a function name", Assert.Single(noName.Errors), StringComparison.Ordinal);

        var stringArguments = ChatMlChatFormat.Instance.ParseOutput("<tool_call>{\"name\": \"a\", \"arguments\": \"{\\\"x\\\": 1}\"}</tool_call>");
        Assert.Equal(1, ((JsonElement)Assert.Single(stringArguments.Calls).Arguments!["x"]!).GetInt32());

        var badString = ChatMlChatFormat.Instance.ParseOutput("<tool_call>{\"name\": \"a\", \"arguments\": \"not json\"}</tool_call>");
        Assert.NotNull(Assert.Single(badString.Calls).Exception);
    }

    [Fact]
    public void Unclosed_tool_call_at_the_end_is_still_read()
    {
        var parsed = ChatMlChatFormat.Instance.ParseOutput("<tool_call>\n{\"name\": \"a\", \"arguments\": {}}");
        Assert.Equal("a", Assert.Single(parsed.Calls).Name);
    }

    [Fact]
    public void Qwen3_reasoning_is_split_from_the_answer()
    {
        var parsed = ChatMlChatFormat.Instance.ParseOutput("<think>\nThe user wants X.\n</think>\n\nHere is X.");
        Assert.Equal("The user wants X.", parsed.Reasoning);
        Assert.Equal("Here is X.", parsed.Text);
        Assert.IsType<TextReasoningContent>(parsed.ToContents()[0]);

        var promptOpened = ChatMlChatFormat.Instance.ParseOutput("thinking...</think>Answer.");
        Assert.Equal("thinking...", promptOpened.Reasoning);
        Assert.Equal("Answer.", promptOpened.Text);
    }

    [Fact]
    public void Streaming_parser_holds_back_possible_markers_and_never_shows_tool_json()
    {
        var parser = ChatMlChatFormat.Instance.CreateOutputParser();
        var shown = new List<string>();
        foreach (var piece in new[] { "Let me ", "look <", "tool", "_call>\n{\"name\": ", "\"a\", \"arguments\": {}}\n</tool_call>" })
        {
            shown.Add(parser.Append(piece));
        }

        Assert.Equal("Let me look ", string.Concat(shown));
        Assert.Equal("look ", shown[1]);
        Assert.True(parser.InToolCall);
        var result = parser.Complete();
        Assert.Equal("a", Assert.Single(result.Calls).Name);
        Assert.Equal("Let me look", result.Text);
    }

    [Fact]
    public void Streaming_holds_back_a_leading_reasoning_block()
    {
        var parser = ChatMlChatFormat.Qwen3.CreateOutputParser();
        var shown = string.Concat(new[] { "<thi", "nk>\nLet me think", " about it.\n</think>", "\n\n", "The answer", " is 4." }.Select(parser.Append));

        Assert.Equal("The answer is 4.", shown);
        var result = parser.Complete();
        Assert.Equal("Let me think about it.", result.Reasoning);
        Assert.Equal("The answer is 4.", result.Text);

        var plain = ChatMlChatFormat.Qwen3.CreateOutputParser();
        Assert.Equal(string.Empty, plain.Append("<t"));
        Assert.Equal("<table> ok", plain.Append("able> ok"));
    }

    [Fact]
    public void Streaming_parser_releases_text_that_turns_out_not_to_be_a_marker()
    {
        var parser = ChatMlChatFormat.Instance.CreateOutputParser();
        Assert.Equal("a ", parser.Append("a <to"));
        Assert.Equal("<toy> b", parser.Append("y> b"));
        Assert.False(parser.InToolCall);
        Assert.Equal("a <toy> b", parser.Complete().Text);
    }

    [Theory]
    [InlineData("phi3", false, "phi3")]
    [InlineData("phi3", true, "phi4-mini")]
    [InlineData("qwen2", false, "chatml")]
    [InlineData("qwen3", false, "qwen3")]
    public void Format_is_detected_from_model_type_and_tokens(string modelType, bool hasPhi4Tokens, string expected)
    {
        var format = ChatFormat.Detect(modelType, token => hasPhi4Tokens && token == "<|tool_call|>");
        Assert.Equal(expected, format.Name);
    }

    [Fact]
    public void Llama3_is_detected_from_its_header_token_and_unknown_types_fail_clearly()
    {
        Assert.Equal("llama3", ChatFormat.Detect("llama", t => t == "<|start_header_id|>").Name);
        var error = Assert.Throws<NotSupportedException>(() => ChatFormat.Detect("gpt2", _ => false));
        Assert.Contains("'gpt2'", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ChatFormat.FromName("mistral"));
    }
}
