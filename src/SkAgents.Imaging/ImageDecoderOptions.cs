namespace SkAgents.Imaging;

/// <summary>Limits for decoding untrusted images.</summary>
public sealed class ImageDecoderOptions
{
    /// <summary>Gets the defaults.</summary>
    public static ImageDecoderOptions Default { get; } = new();

    /// <summary>Gets or sets the most pixels (width × height) an image may declare. Default 50 million (e.g. 8,000 × 6,250).</summary>
    public long MaxPixels { get; init; } = 50_000_000;

    /// <summary>Gets or sets whether JPEG EXIF orientation is applied so the image comes out upright. Default true.</summary>
    public bool ApplyExifOrientation { get; init; } = true;
}
