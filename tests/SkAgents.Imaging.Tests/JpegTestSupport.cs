using System.Text;
using SkAgents.Imaging;

namespace SkAgents.Imaging.Tests;

/// <summary>Fixture loading and helpers for the JPEG tests.</summary>
internal static class JpegTestSupport
{
    /// <summary>The colours of the 16×16 cells of the flat fixtures (50×37, 4 cells across, 3 down), as in Fixtures/Jpeg/make_fixtures.py.</summary>
    public static readonly (byte R, byte G, byte B)[] Palette =
    [
        (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0),
        (0, 255, 255), (255, 0, 255), (128, 128, 128), (255, 255, 255),
        (0, 0, 0), (200, 100, 50), (30, 60, 90), (90, 200, 160),
    ];

    public static byte[] Load(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Jpeg", name));

    /// <summary>Reads a binary PPM (P6) or PGM (P5) as written by djpeg, returning RGB triples per pixel.</summary>
    public static (int Width, int Height, byte[] Rgb) ReadPnm(string name)
    {
        var data = Load(name);
        var pos = 0;
        string Token()
        {
            while (char.IsWhiteSpace((char)data[pos]))
            {
                pos++;
            }

            var start = pos;
            while (!char.IsWhiteSpace((char)data[pos]))
            {
                pos++;
            }

            return Encoding.ASCII.GetString(data, start, pos - start);
        }

        var magic = Token();
        var w = int.Parse(Token());
        var h = int.Parse(Token());
        Assert.Equal("255", Token());
        pos++;
        var rgb = new byte[w * h * 3];
        if (magic == "P6")
        {
            Array.Copy(data, pos, rgb, 0, rgb.Length);
        }
        else
        {
            Assert.Equal("P5", magic);
            for (var i = 0; i < w * h; i++)
            {
                rgb[i * 3] = rgb[(i * 3) + 1] = rgb[(i * 3) + 2] = data[pos + i];
            }
        }

        return (w, h, rgb);
    }

    /// <summary>Asserts a pixel is within <paramref name="tolerance"/> of an expected colour per channel, with alpha 255.</summary>
    public static void AssertPixel(DecodedImage image, int x, int y, (byte R, byte G, byte B) expected, int tolerance, string what)
    {
        var (r, g, b, a) = image.GetPixel(x, y);
        Assert.True(
            Math.Abs(r - expected.R) <= tolerance && Math.Abs(g - expected.G) <= tolerance && Math.Abs(b - expected.B) <= tolerance && a == 255,
            $"{what}: pixel ({x},{y}) is ({r},{g},{b},{a}), expected ({expected.R},{expected.G},{expected.B},255) ±{tolerance}.");
    }

    /// <summary>Splices an APP1 EXIF segment with the given orientation right after SOI.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation, bool bigEndian, bool padBeforeOrientation = true)
    {
        var tiff = new List<byte>();
        void U16(int v)
        {
            if (bigEndian)
            {
                tiff.Add((byte)(v >> 8));
                tiff.Add((byte)v);
            }
            else
            {
                tiff.Add((byte)v);
                tiff.Add((byte)(v >> 8));
            }
        }

        void U32(int v)
        {
            if (bigEndian)
            {
                U16(v >> 16);
                U16(v & 0xFFFF);
            }
            else
            {
                U16(v & 0xFFFF);
                U16(v >> 16);
            }
        }

        tiff.AddRange(bigEndian ? "MM"u8.ToArray() : "II"u8.ToArray());
        U16(42);
        U32(8);
        var entries = padBeforeOrientation ? 3 : 1;
        U16(entries);
        if (padBeforeOrientation)
        {
            // ImageWidth (LONG) and Make (ASCII, offset) entries before the orientation, as cameras write them.
            U16(0x0100);
            U16(4);
            U32(1);
            U32(4000);
            U16(0x010F);
            U16(2);
            U32(6);
            U32(8 + 2 + (entries * 12) + 4);
        }

        U16(0x0112);
        U16(3);
        U32(1);
        U16(orientation);
        U16(0);
        U32(0); // no next IFD
        if (padBeforeOrientation)
        {
            tiff.AddRange("Canon\0"u8.ToArray());
        }

        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var segment = new List<byte> { 0xFF, 0xE1, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2) };
        segment.AddRange(payload);
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }

    /// <summary>Finds the offset of the first byte of a marker (FF xx) at or after <paramref name="start"/>.</summary>
    public static int FindMarker(byte[] jpeg, byte marker, int start = 2)
    {
        for (var i = start; i < jpeg.Length - 1; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] == marker)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"Marker FF {marker:X2} not found.");
    }

    /// <summary>The offset of the first entropy-coded byte of the first scan.</summary>
    public static int ScanDataStart(byte[] jpeg)
    {
        var sos = FindMarker(jpeg, 0xDA);
        return sos + 2 + ((jpeg[sos + 2] << 8) | jpeg[sos + 3]);
    }
}
