namespace SkAgents.Imaging;

/// <summary>The bytes are not an image we can decode, or a damaged one; the message says what is wrong and where.</summary>
public class ImageDecodingException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ImageDecodingException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>The bytes are not PNG or JPEG (the message names what the signature looks like).</summary>
public sealed class UnsupportedImageFormatException : ImageDecodingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was found.</param>
    public UnsupportedImageFormatException(string message)
        : base(message)
    {
    }
}

/// <summary>The file ends before the image data does.</summary>
public sealed class TruncatedImageException : ImageDecodingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Where the data ran out.</param>
    public TruncatedImageException(string message)
        : base(message)
    {
    }
}

/// <summary>The image's declared size is over <see cref="ImageDecoderOptions.MaxPixels"/> (a guard against decompression bombs).</summary>
public sealed class ImageTooLargeException : ImageDecodingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="width">Declared width.</param>
    /// <param name="height">Declared height.</param>
    /// <param name="maxPixels">The limit.</param>
    public ImageTooLargeException(int width, int height, long maxPixels)
        : base($"The image declares {width}×{height} = {(long)width * height:N0} pixels, over the limit of {maxPixels:N0} (ImageDecoderOptions.MaxPixels).")
    {
        Width = width;
        Height = height;
        MaxPixels = maxPixels;
    }

    /// <summary>Gets the declared width.</summary>
    public int Width { get; }

    /// <summary>Gets the declared height.</summary>
    public int Height { get; }

    /// <summary>Gets the limit.</summary>
    public long MaxPixels { get; }
}
