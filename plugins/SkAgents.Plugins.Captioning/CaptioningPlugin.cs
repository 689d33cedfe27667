using System.ComponentModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Prompts;

namespace SkAgents.Plugins.Captioning;

/// <summary>
/// Image captioning as tools: describe an image, and write a social-media post for it with the <c>social-caption</c>
/// prompt (emoji, optional rhyme, hashtags on request), optionally in a Mastodon account's voice through the Mastodon
/// plugin's drafting tool when that plugin is loaded.
/// </summary>
[Plugin("caption")]
[Description("Describes images (files or URLs) and writes social-media posts for them.")]
public sealed class CaptioningPlugin
{
    /// <summary>The Mastodon plugin's drafting tool, used for posts in an account's voice when it is in the catalog.</summary>
    public const string MastodonDraftTool = "mastodon_draft_post_in_style";

    private readonly IImageCaptioner _captioner;
    private readonly ImageLoader _loader;
    private readonly IPromptCatalog? _prompts;
    private readonly IChatClient? _chat;

    /// <summary>Creates the plugin.</summary>
    /// <param name="captioner">Describes images.</param>
    /// <param name="loader">Reads images from files and URLs.</param>
    /// <param name="prompts">Holds the <c>social-caption</c> prompt; social posts are refused when null.</param>
    /// <param name="chat">Writes the social posts; social posts are refused when null.</param>
    public CaptioningPlugin(IImageCaptioner captioner, ImageLoader loader, IPromptCatalog? prompts = null, IChatClient? chat = null)
    {
        ArgumentNullException.ThrowIfNull(captioner);
        ArgumentNullException.ThrowIfNull(loader);
        _captioner = captioner;
        _loader = loader;
        _prompts = prompts;
        _chat = chat;
    }

    /// <summary>Describes an image.</summary>
    /// <param name="image">A file path or an http(s) URL of a PNG or JPEG image.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The caption.</returns>
    [PluginFunction("image")]
    [ReadOnlyTool]
    [Description("Describes what a PNG or JPEG image shows, in one sentence (alt text).")]
    public async Task<ImageCaption> CaptionImageAsync(
        [Description("A file path or an http(s) URL of the image.")] string image,
        CancellationToken cancellationToken = default)
    {
        var data = await _loader.LoadAsync(image, cancellationToken).ConfigureAwait(false);
        return new ImageCaption(image, await _captioner.CaptionAsync(data, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Writes a social-media post for an image.</summary>
    /// <param name="image">A file path or an http(s) URL.</param>
    /// <param name="platform">The platform.</param>
    /// <param name="tone">The tone.</param>
    /// <param name="hashtags">How many hashtags.</param>
    /// <param name="emoji">Whether to use emoji.</param>
    /// <param name="rhyme">Whether to include a rhyming phrase.</param>
    /// <param name="mastodonAccount">A Mastodon account (user@instance) whose voice to imitate, through the Mastodon plugin.</param>
    /// <param name="services">The invocation's services (to find the Mastodon plugin in the catalog).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The caption and the post. Nothing is posted.</returns>
    [PluginFunction("social_post")]
    [ReadOnlyTool]
    [Description("Writes a social-media post for an image (caption, then a post with optional emoji, rhyme and hashtags); returns the text, never posts it.")]
    public async Task<SocialPost> WriteSocialPostAsync(
        [Description("A file path or an http(s) URL of the image.")] string image,
        [Description("The platform: Mastodon, X, Bluesky, Threads, Instagram, LinkedIn or Facebook.")] string platform = "Mastodon",
        [Description("The tone, for example friendly, witty, professional or inspiring.")] string tone = "friendly",
        [Description("How many hashtags to add, 0 to 30.")] int hashtags = 3,
        [Description("Whether to use emoji.")] bool emoji = true,
        [Description("Whether to include a phrase that rhymes with the description.")] bool rhyme = false,
        [Description("Optional Mastodon account (user@instance) whose voice the post imitates.")] string? mastodonAccount = null,
        IServiceProvider? services = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(hashtags);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hashtags, 30);
        var caption = (await CaptionImageAsync(image, cancellationToken).ConfigureAwait(false)).Caption;

        if (!string.IsNullOrWhiteSpace(mastodonAccount))
        {
            var draft = services?.GetService(typeof(PluginCatalog)) is PluginCatalog catalog ? catalog.Tools.FirstOrDefault(t => t.Name == MastodonDraftTool) : null;
            if (draft is null)
            {
                throw new InvalidOperationException($"Writing in the voice of '{mastodonAccount}' needs the Mastodon plugin ({MastodonDraftTool}); configure SkAgents:Plugins:Mastodon.");
            }

            var result = await draft.InvokeAsync(
                new AIFunctionArguments
                {
                    ["account"] = mastodonAccount,
                    ["topic"] = $"A post sharing this picture: {caption}" + (hashtags > 0 ? $" Add {hashtags} hashtags." : string.Empty),
                    Services = services,
                },
                cancellationToken).ConfigureAwait(false);
            return new SocialPost(image, caption, DraftText(result), "Mastodon", mastodonAccount);
        }

        if (_chat is null || _prompts is null || !_prompts.TryGetPrompt("social-caption", out var prompt))
        {
            throw new InvalidOperationException("Writing a social post needs a chat model and the 'social-caption' prompt; configure SkAgents:Model.");
        }

        var text = await prompt.InvokeAsync(
            new AIFunctionArguments
            {
                ["image_description"] = caption,
                ["platform"] = platform,
                ["tone"] = tone,
                ["hashtags"] = hashtags,
                ["emoji"] = emoji ? "yes" : "no",
                ["rhyme"] = rhyme ? "yes" : "no",
                Services = new SingleService(_chat),
            },
            cancellationToken).ConfigureAwait(false);
        return new SocialPost(image, caption, DraftText(text), platform, null);
    }

    /// <summary>Reads the text out of a prompt's or tool's result (a string, a JSON string, or an object with a text property).</summary>
    private static string DraftText(object? result) => result switch
    {
        string s => s.Trim(),
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!.Trim(),
        JsonElement { ValueKind: JsonValueKind.Object } e when e.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String => t.GetString()!.Trim(),
        _ => result?.ToString()?.Trim() ?? string.Empty,
    };

    private sealed class SingleService(IChatClient chat) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(IChatClient) ? chat : null;
    }
}
