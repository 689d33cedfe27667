using System.Text.Json;
using SkAgents.ModelFactory.Models;
using SkAgents.Testing;

namespace SkAgents.Cli.Tests;

/// <summary><c>skagents caption</c> as a separate process: a local factory-made captioning model, and a chat model for posts.</summary>
public sealed class CaptionCommandTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _work = new();
    private OpenAICompatibleServer _server = null!;
    private string _model = null!;

    public async Task InitializeAsync()
    {
        _server = await OpenAICompatibleServer.StartAsync(new OpenAICompatibleServerOptions { Model = "test-model" });
        _model = TinyCaptionerFactory.Write(Path.Combine(_work.Path, "captioner"));
        File.WriteAllBytes(Path.Combine(_work.Path, "green.png"), TestImages.SolidPng(40, 30, 20, 200, 40));
        _work.Write("notes.png", "these are notes, not an image");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _work.Dispose();

    private Dictionary<string, string> Environment(bool localModel = true) => new()
    {
        ["SKAGENTS_ENDPOINT"] = _server.BaseUri.ToString(),
        ["SKAGENTS_MODEL"] = "test-model",
        ["SKAGENTS_CAPTION_MODEL_DIR"] = localModel ? _model : string.Empty,
    };

    [Fact]
    public async Task A_local_model_captions_an_image_and_a_chat_model_writes_the_post()
    {
        var caption = await CliProcess.RunAsync(_work.Path, Environment(), null, "caption", "green.png");
        Assert.True(caption.ExitCode == 0, caption.StdErr);
        Assert.Equal("a green square", caption.StdOut.Trim());
        Assert.Empty(_server.ChatRequests);

        _server.Enqueue(ScriptedResponse.Text("Green and serene 🌿 #Green #Minimal"));
        var social = await CliProcess.RunAsync(_work.Path, Environment(), null, "caption", "green.png", "--social", "--rhyme", "--hashtags", "2", "--json");
        Assert.True(social.ExitCode == 0, social.StdErr);
        var post = JsonDocument.Parse(social.StdOut).RootElement;
        Assert.Equal("a green square", post.GetProperty("caption").GetString());
        Assert.Equal("Green and serene 🌿 #Green #Minimal", post.GetProperty("post").GetString());
        var request = Assert.Single(_server.ChatRequests);
        Assert.EndsWith("a green square", request.LastUserText, StringComparison.Ordinal);
        Assert.Contains("Rhyme: yes", request.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_configuration_and_non_images_are_clear_errors()
    {
        var unconfigured = await CliProcess.RunAsync(_work.Path, Environment(localModel: false), null, "caption", "green.png");
        Assert.Equal(2, unconfigured.ExitCode);
        Assert.Contains("SKAGENTS_CAPTION_MODEL_DIR", unconfigured.StdErr, StringComparison.Ordinal);

        var notImage = await CliProcess.RunAsync(_work.Path, Environment(), null, "caption", "notes.png");
        Assert.NotEqual(0, notImage.ExitCode);
        Assert.Contains("not a PNG or JPEG image", notImage.StdErr, StringComparison.Ordinal);

        var missing = await CliProcess.RunAsync(_work.Path, Environment(), null, "caption", "nowhere.png");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nowhere.png", missing.StdErr, StringComparison.Ordinal);
    }
}
