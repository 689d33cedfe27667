namespace SkAgents.Imaging.Jpeg;

/// <summary>Reads the EXIF orientation (TIFF tag 0x0112 in IFD0) and turns an image upright.</summary>
internal static class JpegExif
{
    /// <summary>Reads the orientation from the TIFF structure after the "Exif\0\0" header; 1 when absent or malformed.</summary>
    public static int ReadOrientation(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8)
        {
            return 1;
        }

        bool little;
        if (tiff[0] == (byte)'I' && tiff[1] == (byte)'I')
        {
            little = true;
        }
        else if (tiff[0] == (byte)'M' && tiff[1] == (byte)'M')
        {
            little = false;
        }
        else
        {
            return 1;
        }

        if (U16(tiff, 2, little) != 42)
        {
            return 1;
        }

        var ifd = U32(tiff, 4, little);
        if (ifd < 8 || ifd > (uint)tiff.Length - 2)
        {
            return 1;
        }

        var count = U16(tiff, (int)ifd, little);
        for (var i = 0; i < count; i++)
        {
            var entry = (int)ifd + 2 + (i * 12);
            if (entry + 12 > tiff.Length)
            {
                return 1;
            }

            if (U16(tiff, entry, little) != 0x0112)
            {
                continue;
            }

            var type = U16(tiff, entry + 2, little);
            int value = type switch
            {
                3 => U16(tiff, entry + 8, little), // SHORT, the standard type
                4 => (int)Math.Min(U32(tiff, entry + 8, little), 9), // LONG, seen in some writers
                _ => 1,
            };
            return value is >= 1 and <= 8 ? value : 1;
        }

        return 1;
    }

    private static int U16(ReadOnlySpan<byte> s, int p, bool little) => little ? s[p] | (s[p + 1] << 8) : (s[p] << 8) | s[p + 1];

    private static uint U32(ReadOnlySpan<byte> s, int p, bool little) => little
        ? (uint)(s[p] | (s[p + 1] << 8) | (s[p + 2] << 16) | (s[p + 3] << 24))
        : (uint)((s[p] << 24) | (s[p + 1] << 16) | (s[p + 2] << 8) | s[p + 3]);

    /// <summary>
    /// Turns a stored image upright for EXIF orientation 2–8: 2 mirror, 3 rotate 180°, 4 flip vertically, 5 transpose,
    /// 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
    /// </summary>
    public static DecodedImage Orient(DecodedImage image, int orientation)
    {
        int w = image.Width, h = image.Height;
        var swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        var src = image.Pixels;
        var dst = new byte[src.Length];
        for (var y = 0; y < oh; y++)
        {
            for (var x = 0; x < ow; x++)
            {
                // (sx, sy): the stored pixel that lands at (x, y) in the upright image.
                var (sx, sy) = orientation switch
                {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    8 => (w - 1 - y, x),
                    _ => (x, y),
                };
                var s = ((sy * w) + sx) * 4;
                var d = ((y * ow) + x) * 4;
                dst[d] = src[s];
                dst[d + 1] = src[s + 1];
                dst[d + 2] = src[s + 2];
                dst[d + 3] = src[s + 3];
            }
        }

        return new DecodedImage(ow, oh, dst, image.Format);
    }
}
