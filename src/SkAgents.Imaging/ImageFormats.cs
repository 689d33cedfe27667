namespace SkAgents.Imaging;

/// <summary>Recognizes image files by their first bytes (never by name or claimed type).</summary>
public static class ImageFormats
{
    /// <summary>The PNG media type.</summary>
    public const string Png = "image/png";

    /// <summary>The JPEG media type.</summary>
    public const string Jpeg = "image/jpeg";

    /// <summary>Returns the media type the bytes start like: <see cref="Png"/>, <see cref="Jpeg"/>, or null for anything else.</summary>
    /// <param name="data">The file's first bytes (8 are enough).</param>
    /// <returns>The media type, or null.</returns>
    public static string? Sniff(ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (data.StartsWith(png))
        {
            return Png;
        }

        return data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF ? Jpeg : null;
    }

    /// <summary>Describes what the bytes look like, for error messages about files that are not images.</summary>
    /// <param name="data">The file's first bytes.</param>
    /// <returns>A short description such as "GIF image", "PDF document", "text", or the first bytes in hex.</returns>
    public static string Describe(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return "an empty file";
        }

        if (data.StartsWith("GIF8"u8))
        {
            return "a GIF image (only PNG and JPEG are supported)";
        }

        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
        {
            return "a WebP image (only PNG and JPEG are supported)";
        }

        if (data.StartsWith("%PDF"u8))
        {
            return "a PDF document";
        }

        if (data.StartsWith("BM"u8))
        {
            return "a BMP image (only PNG and JPEG are supported)";
        }

        var head = data[..Math.Min(8, data.Length)];
        var printable = true;
        foreach (var b in head)
        {
            printable &= b is >= 0x20 and < 0x7F or (byte)'\n' or (byte)'\r' or (byte)'\t';
        }

        return printable ? "text" : "bytes " + Convert.ToHexString(head);
    }
}
