using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Agents;
using SkAgents.LocalModels.GenAI;
using SkAgents.ModelFactory.Models;

namespace SkAgents.LocalModels.Tests;

/// <summary>Local model folders written by the factory, end to end on ONNX Runtime: folder → chat client → agent.</summary>
public sealed class LocalModelTests : IDisposable
{
    private const string ToolCallText = "<tool_call>\n{\"name\": \"weather_now\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call>";
    private const string Answer = "It is sunny in Rome.";
    private readonly DecoderTempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_spelling_model_answers_through_the_chat_client(bool gqa)
    {
        var folder = gqa
            ? GqaDecoderFactory.WriteSpelling(_temp.Sub("m"), TinyChatStyle.Qwen, "Hello from a local model.")
            : TinyDecoderFactory.WriteSpelling(_temp.Sub("m"), TinyChatStyle.Qwen, "Hello from a local model.");
        using var client = LocalModel.LoadChatClient(folder.Directory);

        Assert.Equal("chatml", client.Format.Name);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Say hello")]);

        Assert.Equal("Hello from a local model.", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.True(response.Usage!.InputTokenCount > 10);
        // The answer's characters plus the end token.
        Assert.Equal("Hello from a local model.".Length + 1, response.Usage.OutputTokenCount);
        Assert.Equal("m", response.ModelId);
    }

    [Fact]
    public async Task Streaming_yields_the_answer_in_pieces()
    {
        var folder = GqaDecoderFactory.WriteSpelling(_temp.Sub("m"), TinyChatStyle.Qwen, "one two three");
        using var client = LocalModel.LoadChatClient(folder.Directory);
        var pieces = new List<string>();

        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Count")]))
        {
            if (update.Text.Length > 0)
            {
                pieces.Add(update.Text);
            }
        }

        Assert.True(pieces.Count > 3);
        Assert.Equal("one two three", string.Concat(pieces));
    }

    public static TheoryData<bool, TinyChatStyle, string, int> ToolRoundTrips => new()
    {
        { false, TinyChatStyle.Qwen, ToolCallText, 4 },
        { true, TinyChatStyle.Qwen, ToolCallText, 4 },
        { true, TinyChatStyle.Phi4Mini, "<|tool_call|>[{\"name\": \"weather_now\", \"arguments\": {\"city\": \"Rome\"}}]<|/tool_call|>", 2 },
    };

    [Theory]
    [MemberData(nameof(ToolRoundTrips))]
    public async Task The_agent_calls_a_tool_on_a_local_model_and_answers(bool gqa, TinyChatStyle style, string toolCall, int secondRoundAnchors)
    {
        var vocabulary = TinyVocabulary.For(style);
        var script = DecoderScript.ForChat(vocabulary).Reply(0, toolCall).Reply(secondRoundAnchors, Answer);
        var options = new TinyDecoderOptions { Style = style, Script = script };
        var folder = gqa ? GqaDecoderFactory.Write(_temp.Sub("m"), options) : TinyDecoderFactory.Write(_temp.Sub("m"), options);
        using var client = LocalModel.LoadChatClient(folder.Directory);
        var cities = new List<string>();
        var weather = AIFunctionFactory.Create((string city) => { cities.Add(city); return "sunny"; }, "weather_now", "Gets the weather in a city.");
        var agent = new Agent(client, [weather], new AgentOptions { Instructions = "Use tools." });

        var result = await agent.RunAsync("What is the weather in Rome?");

        Assert.Equal(AgentStopReason.Completed, result.StopReason);
        Assert.Equal(["Rome"], cities);
        Assert.Equal(Answer, result.Text);
        Assert.Equal(2, result.Rounds);
        var call = Assert.Single(result.ToolCalls);
        Assert.Equal(ToolCallStatus.Succeeded, call.Status);
        Assert.Equal("Rome", ((JsonElement)call.Arguments!["city"]!).GetString());
    }

    [Fact]
    public void Inspect_describes_the_folder()
    {
        var folder = GqaDecoderFactory.Write(_temp.Sub("m"), new TinyDecoderOptions { Layers = 2, ContextLength = 1024 });

        var info = LocalModel.Inspect(folder.Directory);

        Assert.Equal("qwen2", info.ModelType);
        Assert.Equal("chatml", info.ChatFormat);
        Assert.Equal(2, info.Layers);
        Assert.Equal("SharedBuffer", info.KvCacheMode);
        Assert.Equal(1024, info.DefaultMaxLength);
        Assert.Equal(2L * info.Layers * info.KeyValueHeads * info.HeadSize * info.DefaultMaxLength * sizeof(float), info.KvCacheBytes);
        Assert.Contains(info.Inputs, i => i.StartsWith("past_key_values.0.key", StringComparison.Ordinal));
        Assert.Contains(info.Outputs, o => o.StartsWith("logits", StringComparison.Ordinal));
        Assert.True(info.FileBytes > 0);
    }

    [Fact]
    public void Bad_folders_and_formats_get_clear_errors()
    {
        var missing = Assert.Throws<ModelFolderException>(() => LocalModel.LoadChatClient(_temp.Sub("nope")));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);

        var folder = TinyDecoderFactory.Write(_temp.Sub("m"), new TinyDecoderOptions { Layers = 1 });
        var format = Assert.Throws<ArgumentException>(() => LocalModel.LoadChatClient(folder.Directory, new LocalModelOptions { ChatFormat = "mistral" }));
        Assert.Contains("mistral", format.Message, StringComparison.Ordinal);

        using var phi3 = LocalModel.LoadChatClient(folder.Directory, new LocalModelOptions { ChatFormat = "phi3" });
        Assert.Equal("phi3", phi3.Format.Name);
    }
}
