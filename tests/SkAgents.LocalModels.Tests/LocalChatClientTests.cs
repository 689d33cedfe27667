using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Agents;
using SkAgents.LocalModels.ChatFormats;
using SkAgents.LocalModels.Generation;
using SkAgents.Tokenizers;

namespace SkAgents.LocalModels.Tests;

public class LocalChatClientTests
{
    // A word-level tokenizer with ChatML's markers: enough to render prompts and spell answers word by word.
    private const string TokenizerJson = """
        {
          "version": "1.0",
          "added_tokens": [
            { "id": 0, "content": "<|im_start|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true },
            { "id": 1, "content": "<|im_end|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true },
            { "id": 2, "content": "<tool_call>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": false },
            { "id": 3, "content": "</tool_call>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": false }
          ],
          "normalizer": null,
          "pre_tokenizer": { "type": "WhitespaceSplit" },
          "post_processor": null,
          "decoder": null,
          "model": { "type": "WordLevel", "unk_token": "[UNK]", "vocab": {
            "[UNK]": 4, "Hello": 5, "world": 6, "{\"name\":": 7, "\"weather_now\",": 8, "\"arguments\":": 9, "{\"city\":": 10,
            "\"Rome\"}}": 11, "It": 12, "is": 13, "sunny": 14, "in": 15, "Rome.": 16, "user": 17, "assistant": 18, "STOP": 19 } }
        }
        """;

    private static readonly Tokenizer Words = Tokenizer.FromJson(TokenizerJson);
    private const int Vocabulary = 20;
    private static readonly int[] ToolCall = [2, 7, 8, 9, 10, 11, 3, 1];
    private static readonly int[] SunnyAnswer = [12, 13, 14, 15, 16, 1];

    private static LocalChatClient Client(ScriptedDecoderModel model, GenerationSettings? settings = null) =>
        new(model, Words, ChatMlChatFormat.Instance, new LocalChatClientOptions { ModelId = "tiny", DefaultSettings = settings ?? new GenerationSettings() });

    [Fact]
    public async Task Streams_text_word_by_word_and_reports_usage_and_finish()
    {
        var model = new ScriptedDecoderModel(Vocabulary).Then(5, 6, 1);
        using var client = Client(model);
        var updates = new List<ChatResponseUpdate>();

        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hello")]))
        {
            updates.Add(update);
        }

        var texts = updates.Select(u => u.Text).Where(t => t.Length > 0).ToList();
        Assert.True(texts.Count >= 2, string.Join("|", texts));
        Assert.Equal("Hello world", string.Concat(texts).Trim());
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single().Details;
        Assert.Equal(model.Prompts[0].Length, usage.InputTokenCount);
        Assert.Equal(3, usage.OutputTokenCount);
        Assert.Equal("tiny", updates[0].ModelId);
    }

    [Fact]
    public async Task The_prompt_is_the_formats_rendering_tokenized()
    {
        var model = new ScriptedDecoderModel(Vocabulary).Then(1);
        using var client = Client(model);
        ChatMessage[] messages = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hello world")];

        await client.GetResponseAsync(messages, new ChatOptions { Instructions = "Answer in English." });

        var expected = Words.Encode(ChatMlChatFormat.Instance.Render(messages, new ChatOptions { Instructions = "Answer in English." }));
        Assert.Equal(expected, model.Prompts.Single());
        // ChatML: <|im_start|> system … <|im_end|> <|im_start|> user Hello world <|im_end|> <|im_start|> assistant
        Assert.Equal([0, 17, 5, 6, 1, 0, 18], model.Prompts.Single()[^7..]);
    }

    [Fact]
    public async Task Tool_calls_become_function_call_content_and_never_show_as_text()
    {
        var model = new ScriptedDecoderModel(Vocabulary).Then(ToolCall);
        using var client = Client(model);
        var weather = AIFunctionFactory.Create((string city) => "sunny", "weather_now", "Weather.");
        var updates = new List<ChatResponseUpdate>();

        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Weather in Rome?")], new ChatOptions { Tools = [weather] }))
        {
            updates.Add(update);
        }

        Assert.DoesNotContain(updates, u => u.Text.Contains("tool_call", StringComparison.Ordinal) || u.Text.Contains("name", StringComparison.Ordinal));
        var call = updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>().Single();
        Assert.Equal("weather_now", call.Name);
        Assert.Equal("Rome", ((JsonElement)call.Arguments!["city"]!).GetString());
        Assert.Equal(ChatFinishReason.ToolCalls, updates[^1].FinishReason);
        // The tools were declared in the prompt: it is the rendering with tools, which is longer than without.
        var withTools = Words.Encode(ChatMlChatFormat.Instance.Render([new ChatMessage(ChatRole.User, "Weather in Rome?")], new ChatOptions { Tools = [weather] }));
        var withoutTools = Words.Encode(ChatMlChatFormat.Instance.Render([new ChatMessage(ChatRole.User, "Weather in Rome?")]));
        Assert.Equal(withTools, model.Prompts[0]);
        Assert.True(withTools.Count > withoutTools.Count + 20);
    }

    [Fact]
    public async Task Max_output_tokens_ends_with_length()
    {
        var model = new ScriptedDecoderModel(Vocabulary).Then(5, 5, 5, 5, 5, 5);
        using var client = Client(model);

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello")], new ChatOptions { MaxOutputTokens = 3 });

        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal("Hello Hello Hello", response.Text);
        Assert.Equal(3, response.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Stop_sequences_end_the_answer_before_them()
    {
        var model = new ScriptedDecoderModel(Vocabulary).Then(5, 6, 19, 5, 5, 1);
        using var client = Client(model);

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello")], new ChatOptions { StopSequences = ["STOP"] });

        Assert.Equal("Hello world", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(3, response.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Cancellation_stops_generation_and_frees_the_model()
    {
        var model = new ScriptedDecoderModel(Vocabulary).Then(Enumerable.Repeat(5, 400).ToArray()).Then(1);
        model.StepDelay = TimeSpan.FromMilliseconds(5);
        using var client = Client(model);
        using var cts = new CancellationTokenSource();
        var seen = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hello")], cancellationToken: cts.Token))
            {
                if (update.Text.Length > 0 && ++seen == 3)
                {
                    await cts.CancelAsync();
                }
            }
        });

        Assert.Equal(0, model.ActiveSequences);
        // The client is usable again.
        Assert.Equal(ChatFinishReason.Stop, (await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello")])).FinishReason);
    }

    [Fact]
    public async Task Concurrent_requests_take_turns()
    {
        var model = new ScriptedDecoderModel(Vocabulary).Then(5, 1).Then(6, 1).Then(5, 6, 1);
        model.StepDelay = TimeSpan.FromMilliseconds(2);
        using var client = Client(model);

        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello")])));

        Assert.Equal(3, answers.Length);
        Assert.Equal(1, model.MaxActiveSequences);
        Assert.Equal(["Hello", "Hello world", "world"], answers.Select(a => a.Text).Order());
    }

    [Fact]
    public async Task The_agent_runs_unchanged_on_a_local_model()
    {
        var model = new ScriptedDecoderModel(Vocabulary).Then(ToolCall).Then(SunnyAnswer);
        using var client = Client(model);
        var calls = new List<string>();
        var weather = AIFunctionFactory.Create((string city) => { calls.Add(city); return "sunny"; }, "weather_now", "Gets the weather in a city.");
        var agent = new Agent(client, [weather]);

        var result = await agent.RunAsync("What is the weather in Rome?");

        Assert.Equal(["Rome"], calls);
        Assert.Equal("It is sunny in Rome.", result.Text);
        Assert.Equal(AgentStopReason.Completed, result.StopReason);
        // The second prompt carried the assistant's tool call (ids 2 … 3) back in ChatML/Hermes form.
        var second = model.Prompts[1];
        var open = Array.LastIndexOf(second, 2);
        Assert.True(open > 0);
        Assert.Equal([2, 7, 8, 9, 10, 11, 3], second[open..(open + 7)]);
    }

    [Fact]
    public void Options_map_to_generation_settings()
    {
        using var client = Client(new ScriptedDecoderModel(Vocabulary), new GenerationSettings { TopK = 40 });

        var greedy = client.CreateSettings(new ChatOptions { MaxOutputTokens = 7 });
        Assert.False(greedy.DoSample);
        Assert.Equal(7, greedy.MaxNewTokens);

        var sampled = client.CreateSettings(new ChatOptions { Temperature = 0.7f, TopP = 0.9f, Seed = 3, PresencePenalty = 1.1f, StopSequences = ["x"] });
        Assert.True(sampled.DoSample);
        Assert.Equal(0.7f, sampled.Temperature);
        Assert.Equal(0.9f, sampled.TopP);
        Assert.Equal(40, sampled.TopK);
        Assert.Equal(3, sampled.Seed);
        Assert.Equal(1.1f, sampled.RepetitionPenalty);
        Assert.Equal(["x"], sampled.StopSequences);

        var fromProperties = client.CreateSettings(new ChatOptions { AdditionalProperties = new() { ["do_sample"] = true, ["repetition_penalty"] = 1.3 } });
        Assert.True(fromProperties.DoSample);
        Assert.Equal(1.3f, fromProperties.RepetitionPenalty, 5);
    }

    [Fact]
    public void Metadata_and_disposal()
    {
        var model = new ScriptedDecoderModel(Vocabulary);
        var client = Client(model);
        var metadata = client.GetService<ChatClientMetadata>()!;
        Assert.Equal("onnxruntime", metadata.ProviderName);
        Assert.Equal("tiny", metadata.DefaultModelId);
        Assert.Same(ChatMlChatFormat.Instance, client.GetService<ChatFormat>());

        client.Dispose();
        Assert.True(model.Disposed);
        client.Dispose();
    }
}
