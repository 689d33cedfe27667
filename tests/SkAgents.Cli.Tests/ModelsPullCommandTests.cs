using SkAgents.Testing;

namespace SkAgents.Cli.Tests;

/// <summary><c>skagents models pull</c> as a separate process against a Hugging-Face-faithful server on 127.0.0.1.</summary>
public sealed class ModelsPullCommandTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _work = new();
    private FakeHuggingFaceHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FakeHuggingFaceHub.StartAsync();

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Pulls_a_subfolder_and_verifies_it()
    {
        var repo = _hub.AddRepo("acme/tiny-onnx");
        repo.Add("README.md", "hello");
        repo.Add("cpu-int4/genai_config.json", "{\"model\": {}}");
        repo.Add("cpu-int4/model.onnx.data", Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray(), lfs: true);
        var output = Path.Combine(_work.Path, "models");

        var result = await CliProcess.RunAsync(_work.Path, new Dictionary<string, string> { ["HF_ENDPOINT"] = _hub.Endpoint.ToString() }, null,
            "models", "pull", "acme/tiny-onnx", "--include", "cpu-int4", "--output", output);

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.True(File.Exists(Path.Combine(output, "cpu-int4", "model.onnx.data")));
        Assert.Equal(300_000, new FileInfo(Path.Combine(output, "cpu-int4", "model.onnx.data")).Length);
        Assert.False(File.Exists(Path.Combine(output, "README.md")));
        Assert.Contains("2", result.StdOut, StringComparison.Ordinal);

        var missing = await CliProcess.RunAsync(_work.Path, new Dictionary<string, string> { ["HF_ENDPOINT"] = _hub.Endpoint.ToString() }, null,
            "models", "pull", "acme/does-not-exist", "--output", output);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("error:", missing.StdErr.Trim(), StringComparison.Ordinal);
    }
}
