using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SkAgents.Imaging.Tests;

/// <summary>An image to encode: samples at the stored bit depth, one int per sample, channels interleaved.</summary>
internal sealed class PngTestImage
{
    public required int Width { get; init; }

    public required int Height { get; init; }

    public required int ColourType { get; init; }

    public required int BitDepth { get; init; }

    /// <summary>Width × height × channels samples, row-major.</summary>
    public required int[] Samples { get; init; }

    public byte[]? Palette { get; init; }

    public byte[]? Transparency { get; init; }

    public bool Interlaced { get; init; }

    /// <summary>Filter for (pass 0 for non-interlaced or 1..7, row); default: the row number mod 5, so every filter is used.</summary>
    public Func<int, int, int>? FilterForRow { get; init; }

    /// <summary>Split the zlib stream into IDAT chunks of at most this many bytes (0: one chunk).</summary>
    public int IdatChunkSize { get; init; }

    /// <summary>Extra chunks written right after IHDR (and PLTE/tRNS).</summary>
    public IReadOnlyList<(string Type, byte[] Data)> ExtraChunks { get; init; } = [];

    /// <summary>Use stored (uncompressed) deflate blocks written by hand instead of ZLibStream.</summary>
    public bool StoredDeflate { get; init; }

    public static int ChannelsOf(int colourType) => colourType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new ArgumentOutOfRangeException(nameof(colourType)) };
}

/// <summary>A small PNG encoder for tests, written from the PNG specification, independent of the decoder.</summary>
internal static class PngTestEncoder
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
    [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ];

    public static byte[] Encode(PngTestImage image)
    {
        var output = new MemoryStream();
        output.Write(Signature);
        output.Write(Chunk("IHDR", Ihdr(image.Width, image.Height, image.BitDepth, image.ColourType, image.Interlaced ? 1 : 0)));
        if (image.Palette is not null)
        {
            output.Write(Chunk("PLTE", image.Palette));
        }

        if (image.Transparency is not null)
        {
            output.Write(Chunk("tRNS", image.Transparency));
        }

        foreach (var (type, data) in image.ExtraChunks)
        {
            output.Write(Chunk(type, data));
        }

        var raw = Scanlines(image);
        var z = image.StoredDeflate ? ZlibStored(raw) : Zlib(raw);
        foreach (var part in Split(z, image.IdatChunkSize))
        {
            output.Write(Chunk("IDAT", part));
        }

        output.Write(Chunk("IEND", []));
        return output.ToArray();
    }

    /// <summary>The filtered scanlines (filter byte + row), pass by pass when interlaced.</summary>
    public static byte[] Scanlines(PngTestImage image)
    {
        var channels = PngTestImage.ChannelsOf(image.ColourType);
        var filterFor = image.FilterForRow ?? ((_, row) => row % 5);
        var result = new MemoryStream();
        if (!image.Interlaced)
        {
            WritePass(result, image, channels, 0, 0, 1, 1, image.Width, image.Height, 0, filterFor);
        }
        else
        {
            for (var p = 0; p < 7; p++)
            {
                var (x0, y0, dx, dy) = Adam7[p];
                var pw = image.Width <= x0 ? 0 : ((image.Width - x0 - 1) / dx) + 1;
                var ph = image.Height <= y0 ? 0 : ((image.Height - y0 - 1) / dy) + 1;
                if (pw > 0 && ph > 0)
                {
                    WritePass(result, image, channels, x0, y0, dx, dy, pw, ph, p + 1, filterFor);
                }
            }
        }

        return result.ToArray();
    }

    public static byte[] Ihdr(int width, int height, int bitDepth, int colourType, int interlace)
    {
        var d = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(d, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), (uint)height);
        d[8] = (byte)bitDepth;
        d[9] = (byte)colourType;
        d[12] = (byte)interlace;
        return d;
    }

    public static byte[] Chunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, chunk.AsSpan(4, 4));
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    /// <summary>A whole file from IHDR values, the raw (already filtered) scanlines and extra chunks before IDAT.</summary>
    public static byte[] FromScanlines(byte[] ihdr, byte[] scanlines, params (string Type, byte[] Data)[] before)
    {
        var output = new MemoryStream();
        output.Write(Signature);
        output.Write(Chunk("IHDR", ihdr));
        foreach (var (type, data) in before)
        {
            output.Write(Chunk(type, data));
        }

        output.Write(Chunk("IDAT", ZlibStored(scanlines)));
        output.Write(Chunk("IEND", []));
        return output.ToArray();
    }

    public static byte[] Zlib(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            z.Write(raw);
        }

        return ms.ToArray();
    }

    /// <summary>A zlib stream of stored deflate blocks, written by hand from RFC 1950/1951.</summary>
    public static byte[] ZlibStored(byte[] raw)
    {
        var ms = new MemoryStream();
        ms.WriteByte(0x78);
        ms.WriteByte(0x01);
        var pos = 0;
        do
        {
            var n = Math.Min(65535, raw.Length - pos);
            var final = pos + n == raw.Length;
            ms.WriteByte(final ? (byte)1 : (byte)0);
            ms.WriteByte((byte)n);
            ms.WriteByte((byte)(n >> 8));
            ms.WriteByte((byte)~n);
            ms.WriteByte((byte)(~n >> 8));
            ms.Write(raw, pos, n);
            pos += n;
        }
        while (pos < raw.Length);

        uint a = 1, b = 0;
        foreach (var x in raw)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }

        var adler = (b << 16) | a;
        ms.WriteByte((byte)(adler >> 24));
        ms.WriteByte((byte)(adler >> 16));
        ms.WriteByte((byte)(adler >> 8));
        ms.WriteByte((byte)adler);
        return ms.ToArray();
    }

    public static uint Crc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>The expected RGBA of one pixel, computed from the samples the simple way.</summary>
    public static (byte R, byte G, byte B, byte A) Expected(PngTestImage image, int x, int y)
    {
        var ch = PngTestImage.ChannelsOf(image.ColourType);
        var s = image.Samples.AsSpan(((y * image.Width) + x) * ch, ch);
        var max = (1 << image.BitDepth) - 1;
        byte To8(int v) => (byte)Math.Round(v * 255.0 / max);
        var t = image.Transparency;
        switch (image.ColourType)
        {
            case 0:
                var transparentGrey = t is not null && s[0] == ((t[0] << 8) | t[1]);
                return (To8(s[0]), To8(s[0]), To8(s[0]), transparentGrey ? (byte)0 : (byte)255);
            case 2:
                var transparentRgb = t is not null && s[0] == ((t[0] << 8) | t[1]) && s[1] == ((t[2] << 8) | t[3]) && s[2] == ((t[4] << 8) | t[5]);
                return (To8(s[0]), To8(s[1]), To8(s[2]), transparentRgb ? (byte)0 : (byte)255);
            case 3:
                var p = image.Palette!;
                return (p[s[0] * 3], p[(s[0] * 3) + 1], p[(s[0] * 3) + 2], t is not null && s[0] < t.Length ? t[s[0]] : (byte)255);
            case 4:
                return (To8(s[0]), To8(s[0]), To8(s[0]), To8(s[1]));
            default:
                return (To8(s[0]), To8(s[1]), To8(s[2]), To8(s[3]));
        }
    }

    private static void WritePass(
        MemoryStream result, PngTestImage image, int channels, int x0, int y0, int dx, int dy, int pw, int ph, int pass, Func<int, int, int> filterFor)
    {
        var bitsPerPixel = channels * image.BitDepth;
        var rowBytes = ((pw * bitsPerPixel) + 7) / 8;
        var bpp = Math.Max(1, bitsPerPixel / 8);
        var prior = new byte[rowBytes];
        for (var r = 0; r < ph; r++)
        {
            var row = new byte[rowBytes];
            var y = y0 + (r * dy);
            var bit = 0;
            for (var i = 0; i < pw; i++)
            {
                var x = x0 + (i * dx);
                for (var c = 0; c < channels; c++)
                {
                    var v = image.Samples[(((y * image.Width) + x) * channels) + c];
                    if (image.BitDepth == 16)
                    {
                        row[bit / 8] = (byte)(v >> 8);
                        row[(bit / 8) + 1] = (byte)v;
                    }
                    else
                    {
                        row[bit / 8] |= (byte)(v << (8 - image.BitDepth - (bit % 8)));
                    }

                    bit += image.BitDepth;
                }
            }

            var filter = filterFor(pass, r);
            var filtered = new byte[rowBytes];
            for (var i = 0; i < rowBytes; i++)
            {
                int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => PaethPredictor(a, b, c),
                    _ => 0,
                };
                filtered[i] = (byte)(row[i] - predictor);
            }

            result.WriteByte((byte)filter);
            result.Write(filtered);
            prior = row;
        }
    }

    private static int PaethPredictor(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc)
        {
            return a;
        }

        return pb <= pc ? b : c;
    }

    private static IEnumerable<byte[]> Split(byte[] data, int size)
    {
        if (size <= 0)
        {
            yield return data;
            yield break;
        }

        for (var i = 0; i < data.Length; i += size)
        {
            yield return data[i..Math.Min(data.Length, i + size)];
        }
    }
}
