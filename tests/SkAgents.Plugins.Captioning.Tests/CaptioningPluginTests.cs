using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Connectors.OpenAI;
using SkAgents.Imaging;
using SkAgents.Plugins.Captioning;
using SkAgents.Prompts;
using SkAgents.Testing;
using SkAgents.Web;

namespace SkAgents.Plugins.Captioning.Tests;

public sealed class CaptioningPluginTests : IDisposable
{
    /// <summary>A valid 1×1 red PNG.</summary>
    private static readonly byte[] RedPixelPng =
    [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
        0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0x00,
        0x00, 0x03, 0x01, 0x01, 0x00, 0xC9, 0xFE, 0x92, 0xEF, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "skagents-caption-" + Guid.NewGuid().ToString("N"));

    public CaptioningPluginTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteFile(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static IChatClient Chat(OpenAICompatibleServer server) =>
        new OpenAICompatibleClientOptions { Endpoint = server.BaseUri, Model = "vision-model", ApiKey = "test", MaxRetries = 0 }.CreateChatClient();

    [Fact]
    public async Task The_chat_path_sends_the_image_as_a_data_url_and_returns_the_description()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(ScriptedResponse.Text("A single red pixel on a white background."));
        using var chat = Chat(server);
        var plugin = AgentPlugin.FromObject(new CaptioningPlugin(new ChatImageCaptioner(chat), new ImageLoader()));
        Assert.Equal(["caption_image", "caption_social_post"], plugin.Functions.Select(f => f.Name).Order());

        var result = (JsonElement)(await plugin.Functions.Single(f => f.Name == "caption_image")
            .InvokeAsync(new AIFunctionArguments { ["image"] = WriteFile("red.png", RedPixelPng) }))!;

        Assert.Equal("A single red pixel on a white background.", result.GetProperty("caption").GetString());
        var body = JsonDocument.Parse(Assert.Single(server.ChatRequests).Body).RootElement;
        var parts = body.GetProperty("messages")[1].GetProperty("content");
        var image = parts.EnumerateArray().Single(p => p.GetProperty("type").GetString() == "image_url");
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(RedPixelPng), image.GetProperty("image_url").GetProperty("url").GetString());
        Assert.Contains("alt text", body.GetProperty("messages")[0].GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Social_posts_use_the_social_caption_prompt_with_the_options_and_never_post()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(
            ScriptedResponse.Text("A red dot on white."),
            ScriptedResponse.Text("Red and bright, a dot of light 🔴 #Minimal #Red"));
        using var chat = Chat(server);
        var plugin = new CaptioningPlugin(new ChatImageCaptioner(chat), new ImageLoader(), PromptCatalog.LoadDefault(chatClient: null), chat);

        var post = await plugin.WriteSocialPostAsync(WriteFile("dot.png", RedPixelPng), platform: "Bluesky", hashtags: 2, rhyme: true);

        Assert.Equal("A red dot on white.", post.Caption);
        Assert.Equal("Red and bright, a dot of light 🔴 #Minimal #Red", post.Post);
        Assert.Equal("Bluesky", post.Platform);
        var prompt = server.ChatRequests[1];
        var system = JsonDocument.Parse(prompt.Body).RootElement.GetProperty("messages")[0].GetProperty("content").GetString();
        Assert.Contains("Platform: Bluesky.", system, StringComparison.Ordinal);
        Assert.Contains("Rhyme: yes", system, StringComparison.Ordinal);
        Assert.Contains("Emoji: yes", system, StringComparison.Ordinal);
        Assert.Contains("exactly 2 relevant hashtags", system, StringComparison.Ordinal);
        Assert.EndsWith("A red dot on white.", prompt.LastUserText, StringComparison.Ordinal);
        Assert.Equal(2, server.ChatRequests.Count);
    }

    [Fact]
    public async Task A_post_in_a_mastodon_voice_goes_through_the_mastodon_drafting_tool()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(ScriptedResponse.Text("A red dot on white."));
        using var chat = Chat(server);
        var plugin = new CaptioningPlugin(new ChatImageCaptioner(chat), new ImageLoader(), PromptCatalog.LoadDefault(chatClient: null), chat);
        string? seenAccount = null, seenTopic = null;
        var draft = AIFunctionFactory.Create(
            (string account, string topic) => { seenAccount = account; seenTopic = topic; return "so red. so dot. #art"; },
            new AIFunctionFactoryOptions { Name = CaptioningPlugin.MastodonDraftTool });
        var catalog = new PluginCatalog([AgentPlugin.FromFunctions("mastodon", "Mastodon (test double of the drafting tool)", [draft])]);
        var services = new CatalogServices(catalog);

        var post = await plugin.WriteSocialPostAsync(WriteFile("dot.png", RedPixelPng), mastodonAccount: "ada@example.social", services: services);

        Assert.Equal("so red. so dot. #art", post.Post);
        Assert.Equal("ada@example.social", post.Voice);
        Assert.Equal("ada@example.social", seenAccount);
        Assert.Contains("A red dot on white.", seenTopic, StringComparison.Ordinal);

        // Without the Mastodon plugin the request is refused with what to configure.
        server.Enqueue(ScriptedResponse.Text("A red dot on white."));
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            plugin.WriteSocialPostAsync(WriteFile("dot2.png", RedPixelPng), mastodonAccount: "ada@example.social", services: new CatalogServices(new PluginCatalog([]))));
        Assert.Contains("SkAgents:Plugins:Mastodon", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Images_load_from_files_and_guarded_urls_and_non_images_are_named()
    {
        var loader = new ImageLoader();
        var png = await loader.LoadAsync(WriteFile("ok.png", RedPixelPng));
        Assert.Equal("image/png", png.MediaType);
        var jpeg = await loader.LoadAsync(WriteFile("photo.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]));
        Assert.Equal("image/jpeg", jpeg.MediaType);

        var text = await Assert.ThrowsAsync<UnsupportedImageFormatException>(() => loader.LoadAsync(WriteFile("notes.png", "just some notes"u8.ToArray())));
        Assert.Contains("looks like text", text.Message, StringComparison.Ordinal);
        var gif = await Assert.ThrowsAsync<UnsupportedImageFormatException>(() => loader.LoadAsync(WriteFile("anim.gif", "GIF89a...."u8.ToArray())));
        Assert.Contains("GIF", gif.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<FileNotFoundException>(() => loader.LoadAsync(Path.Combine(_folder, "missing.png")));
        var big = new ImageLoader(maxBytes: 10);
        Assert.Contains("over the limit", (await Assert.ThrowsAsync<ImageDecodingException>(() => big.LoadAsync(WriteFile("big.png", RedPixelPng)))).Message, StringComparison.Ordinal);

        await using var site = await LoopbackWebSite.StartAsync();
        var url = site.Serve("/red.png", RedPixelPng, "image/png");
        site.Serve("/page.html", "<p>not an image</p>");
        using var fetcher = new WebFetcher(ImageLoader.ImageFetcherOptions(["127.0.0.1/32"]));
        var remote = await new ImageLoader(fetcher).LoadAsync(url.AbsoluteUri);
        Assert.Equal(RedPixelPng, remote.Bytes.ToArray());
        await Assert.ThrowsAsync<UnsupportedContentTypeException>(() => new ImageLoader(fetcher).LoadAsync(new Uri(site.BaseUri, "/page.html").AbsoluteUri));

        // The default guard refuses loopback before connecting; no fetcher means no URLs at all.
        var before = site.Requests.Count;
        using var guarded = new WebFetcher(ImageLoader.ImageFetcherOptions());
        await Assert.ThrowsAsync<BlockedAddressException>(() => new ImageLoader(guarded).LoadAsync(url.AbsoluteUri));
        Assert.Equal(before, site.Requests.Count);
        await Assert.ThrowsAsync<InvalidOperationException>(() => loader.LoadAsync(url.AbsoluteUri));
    }

    private sealed class CatalogServices(PluginCatalog catalog) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(PluginCatalog) ? catalog : null;
    }
}
