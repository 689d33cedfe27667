namespace SkAgents.Imaging;

/// <summary>Decodes PNG or JPEG files, recognized from their first bytes, into upright RGBA pixels.</summary>
public static class ImageDecoder
{
    /// <summary>Decodes an image.</summary>
    /// <param name="data">The file's bytes.</param>
    /// <param name="options">Limits; <see cref="ImageDecoderOptions.Default"/> when null.</param>
    /// <returns>The pixels.</returns>
    /// <exception cref="UnsupportedImageFormatException">The bytes are neither PNG nor JPEG (the message says what they look like).</exception>
    /// <exception cref="TruncatedImageException">The file ends early.</exception>
    /// <exception cref="ImageTooLargeException">The declared size is over <see cref="ImageDecoderOptions.MaxPixels"/>.</exception>
    /// <exception cref="ImageDecodingException">The file is damaged.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data, ImageDecoderOptions? options = null) => ImageFormats.Sniff(data) switch
    {
        ImageFormats.Png => PngDecoder.Decode(data, options),
        ImageFormats.Jpeg => JpegDecoder.Decode(data, options),
        _ => throw new UnsupportedImageFormatException($"Not a PNG or JPEG image: the data looks like {ImageFormats.Describe(data)}."),
    };

    /// <summary>Reads and decodes an image file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Limits; <see cref="ImageDecoderOptions.Default"/> when null.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The pixels.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static async Task<DecodedImage> DecodeFileAsync(string path, ImageDecoderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The image '{path}' does not exist.", path);
        }

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        if (ImageFormats.Sniff(bytes) is null)
        {
            throw new UnsupportedImageFormatException($"'{path}' is not a PNG or JPEG image: it looks like {ImageFormats.Describe(bytes)}.");
        }

        return Decode(bytes, options);
    }
}
