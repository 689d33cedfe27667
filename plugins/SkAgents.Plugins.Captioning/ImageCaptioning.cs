namespace SkAgents.Plugins.Captioning;

/// <summary>An image file's bytes with its media type (recognized from the bytes) and a name for messages.</summary>
/// <param name="Bytes">The file's bytes.</param>
/// <param name="MediaType"><c>image/png</c> or <c>image/jpeg</c>.</param>
/// <param name="Name">The file name or URL it came from.</param>
public sealed record ImageData(ReadOnlyMemory<byte> Bytes, string MediaType, string Name);

/// <summary>Describes an image in one sentence (alt-text style). Implementations: a local ONNX captioner or a multimodal chat model.</summary>
public interface IImageCaptioner
{
    /// <summary>Describes the image.</summary>
    /// <param name="image">The image.</param>
    /// <param name="cancellationToken">Cancels the captioning.</param>
    /// <returns>One sentence describing what is visible.</returns>
    Task<string> CaptionAsync(ImageData image, CancellationToken cancellationToken = default);
}

/// <summary>A caption for an image.</summary>
/// <param name="Source">The file or URL.</param>
/// <param name="Caption">What the image shows.</param>
public sealed record ImageCaption(string Source, string Caption);

/// <summary>A social-media post written for an image.</summary>
/// <param name="Source">The file or URL.</param>
/// <param name="Caption">What the image shows (the description the post was written from).</param>
/// <param name="Post">The post text.</param>
/// <param name="Platform">The platform it was written for.</param>
/// <param name="Voice">The Mastodon account whose voice it imitates, if any.</param>
public sealed record SocialPost(string Source, string Caption, string Post, string Platform, string? Voice);
