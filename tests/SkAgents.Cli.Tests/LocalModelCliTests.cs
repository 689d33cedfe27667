using System.Text.Json;
using SkAgents.ModelFactory.Models;

namespace SkAgents.Cli.Tests;

/// <summary>The CLI on local ONNX models written by the model factory, as a separate process.</summary>
public sealed class LocalModelCliTests : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Models_inspect_describes_the_folder()
    {
        var folder = GqaDecoderFactory.Write(Path.Combine(_work.Path, "qwen"), new TinyDecoderOptions { Layers = 2, ContextLength = 2048 });

        var result = await CliProcess.RunAsync(_work.Path, null, null, "models", "inspect", folder.Directory, "--json");

        Assert.True(result.ExitCode == 0, result.StdErr);
        var info = JsonDocument.Parse(result.StdOut).RootElement;
        Assert.Equal("qwen2", info.GetProperty("modelType").GetString());
        Assert.Equal("chatml", info.GetProperty("chatFormat").GetString());
        Assert.Equal(2, info.GetProperty("layers").GetInt32());
        Assert.Equal("SharedBuffer", info.GetProperty("kvCacheMode").GetString());
        Assert.True(info.GetProperty("kvCacheBytes").GetInt64() > 0);

        var table = await CliProcess.RunAsync(_work.Path, null, null, "models", "inspect", folder.Directory);
        Assert.Contains("KV cache", table.StdOut, StringComparison.Ordinal);

        var missing = await CliProcess.RunAsync(_work.Path, null, null, "models", "inspect", Path.Combine(_work.Path, "nope"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_run_streams_text_and_prints_ids()
    {
        var folder = TinyDecoderFactory.WriteSpelling(Path.Combine(_work.Path, "m"), TinyChatStyle.Qwen, "Hi there!");

        var text = await CliProcess.RunAsync(_work.Path, null, null, "models", "run", "--model", folder.Directory, "--prompt", "Say hi", "--greedy");

        Assert.True(text.ExitCode == 0, text.StdErr);
        Assert.Equal("Hi there!", text.StdOut.Trim());
        Assert.Contains("EndOfSequence", text.StdErr, StringComparison.Ordinal);

        var ids = await CliProcess.RunAsync(_work.Path, null, null, "models", "run", "--model", folder.Directory, "--prompt", "Say hi", "--ids", "--max-tokens", "3");

        Assert.True(ids.ExitCode == 0, ids.StdErr);
        Assert.Equal(folder.Vocabulary.Encode("Hi "), JsonSerializer.Deserialize<int[]>(ids.StdOut));
        Assert.Contains("MaxNewTokens", ids.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_a_local_model_makes_the_tool_call_and_answers()
    {
        var vocabulary = TinyVocabulary.For(TinyChatStyle.Qwen);
        var script = DecoderScript.ForChat(vocabulary)
            .Reply(0, "<tool_call>\n{\"name\": \"time_now\", \"arguments\": {\"timeZone\": \"Asia/Tokyo\"}}\n</tool_call>")
            .Reply(4, "It is evening in Tokyo.");
        var folder = GqaDecoderFactory.Write(Path.Combine(_work.Path, "agent-model"), new TinyDecoderOptions { Script = script, ContextLength = 8192 });

        // The factory's tokenizer spends one token per byte, so keep the tool list short: the time plugin only.
        var environment = new Dictionary<string, string>
        {
            ["SkAgents__Plugins__Files__Enabled"] = "false",
            ["SkAgents__Prompts__ExposeAsTools"] = "false",
            ["SkAgents__Plugins__Memory__Enabled"] = "false",
        };

        var result = await CliProcess.RunAsync(_work.Path, environment, null, "run", "What time is it in Tokyo?", "--model-dir", folder.Directory, "--json");

        Assert.True(result.ExitCode == 0, result.StdErr);
        var json = JsonDocument.Parse(result.StdOut).RootElement;
        Assert.Equal("It is evening in Tokyo.", json.GetProperty("answer").GetString());
        var call = Assert.Single(json.GetProperty("toolCalls").EnumerateArray());
        Assert.Equal("time_now", call.GetProperty("name").GetString());
        Assert.Equal("Succeeded", call.GetProperty("status").GetString());
        Assert.EndsWith("+09:00", call.GetProperty("result").GetProperty("dateTime").GetString(), StringComparison.Ordinal);
        Assert.True(json.GetProperty("usage").GetProperty("inputTokens").GetInt32() > 100);
    }
}
