using Microsoft.Extensions.AI;

namespace SkAgents.Plugins.Captioning;

/// <summary>Captions images with a multimodal chat model (the image sent as <see cref="DataContent"/>).</summary>
public sealed class ChatImageCaptioner : IImageCaptioner
{
    /// <summary>The instructions sent with each image.</summary>
    public const string Instructions =
        "You write alt text. Describe what is visible in the image in one factual sentence: subjects, setting, colours and action. " +
        "Do not guess names, places or intentions, and answer with the sentence only.";

    private readonly IChatClient _chat;

    /// <summary>Creates the captioner.</summary>
    /// <param name="chat">A chat model that accepts images.</param>
    public ChatImageCaptioner(IChatClient chat)
    {
        ArgumentNullException.ThrowIfNull(chat);
        _chat = chat;
    }

    /// <inheritdoc />
    public async Task<string> CaptionAsync(ImageData image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var messages = new List<ChatMessage>
        {
            new(ChatRole.System, Instructions),
            new(ChatRole.User, [new TextContent("Describe this image."), new DataContent(image.Bytes, image.MediaType) { Name = Path.GetFileName(image.Name) }]),
        };
        var response = await _chat.GetResponseAsync(messages, new ChatOptions { Temperature = 0.2f, MaxOutputTokens = 120 }, cancellationToken).ConfigureAwait(false);
        var text = response.Text.Trim();
        return text.Length > 0
            ? text
            : throw new InvalidOperationException($"The chat model returned no description for '{image.Name}'; check that the configured model accepts images.");
    }
}
