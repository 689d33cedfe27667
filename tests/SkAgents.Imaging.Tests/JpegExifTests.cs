using SkAgents.Imaging;

namespace SkAgents.Imaging.Tests;

public class JpegExifTests
{
    // flat-444.jpg is 50×37; its corner pixels are red (TL), yellow (TR), black (BL) and (90,200,160) (BR), each ±2.
    private static readonly (byte R, byte G, byte B) Tl = (255, 0, 0);
    private static readonly (byte R, byte G, byte B) Tr = (255, 255, 0);
    private static readonly (byte R, byte G, byte B) Bl = (0, 0, 0);
    private static readonly (byte R, byte G, byte B) Br = (90, 200, 160);

    /// <summary>For each orientation: which stored corner appears at the upright image's TL, TR, BL, BR (from the EXIF 2.3 definitions).</summary>
    public static TheoryData<int, bool, string> Orientations()
    {
        var data = new TheoryData<int, bool, string>();
        var table = new[]
        {
            (1, "TL TR BL BR"), // 0th row top, 0th column left
            (2, "TR TL BR BL"), // 0th row top, 0th column right: mirrored
            (3, "BR BL TR TL"), // 0th row bottom, 0th column right: rotated 180°
            (4, "BL BR TL TR"), // 0th row bottom, 0th column left: flipped vertically
            (5, "TL BL TR BR"), // 0th row left, 0th column top: transposed
            (6, "BL TL BR TR"), // 0th row right, 0th column top: needs 90° clockwise
            (7, "BR TR BL TL"), // 0th row right, 0th column bottom: transverse
            (8, "TR BR TL BL"), // 0th row left, 0th column bottom: needs 90° counter-clockwise
        };
        foreach (var (o, corners) in table)
        {
            data.Add(o, false, corners);
            data.Add(o, true, corners);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Orientations))]
    public void Exif_orientation_turns_the_image_upright(int orientation, bool bigEndian, string corners)
    {
        var jpeg = JpegTestSupport.WithExifOrientation(JpegTestSupport.Load("flat-444.jpg"), orientation, bigEndian);

        var image = JpegDecoder.Decode(jpeg);

        var swapped = orientation >= 5;
        Assert.Equal(swapped ? (37, 50) : (50, 37), (image.Width, image.Height));
        var names = corners.Split(' ');
        var at = new[] { (0, 0), (image.Width - 1, 0), (0, image.Height - 1), (image.Width - 1, image.Height - 1) };
        for (var i = 0; i < 4; i++)
        {
            var expected = names[i] switch { "TL" => Tl, "TR" => Tr, "BL" => Bl, _ => Br };
            JpegTestSupport.AssertPixel(image, at[i].Item1, at[i].Item2, expected, 2, $"orientation {orientation} ({(bigEndian ? "MM" : "II")}), corner {i}");
        }
    }

    [Fact]
    public void Exif_orientation_is_ignored_when_the_option_is_off()
    {
        var jpeg = JpegTestSupport.WithExifOrientation(JpegTestSupport.Load("flat-444.jpg"), 6, bigEndian: true);

        var image = JpegDecoder.Decode(jpeg, new ImageDecoderOptions { ApplyExifOrientation = false });

        Assert.Equal((50, 37), (image.Width, image.Height));
        JpegTestSupport.AssertPixel(image, 0, 0, Tl, 2, "stored orientation");
    }

    [Fact]
    public void Exif_orientation_applies_to_progressive_and_subsampled_images()
    {
        var jpeg = JpegTestSupport.WithExifOrientation(JpegTestSupport.Load("flat-420-progressive.jpg"), 8, bigEndian: false, padBeforeOrientation: false);

        var image = JpegDecoder.Decode(jpeg);

        Assert.Equal((37, 50), (image.Width, image.Height));
        // Rotated 90° counter-clockwise: stored (sx, sy) lands at (sy, 49 - sx). The centre of the stored red cell (8, 8)
        // is at (8, 41), the centre of the blue cell (40, 8) at (8, 9), the centre of the grey cell (40, 24) at (24, 9).
        JpegTestSupport.AssertPixel(image, 8, 41, (255, 0, 0), 2, "orientation 8");
        JpegTestSupport.AssertPixel(image, 8, 9, (0, 0, 255), 2, "orientation 8");
        JpegTestSupport.AssertPixel(image, 24, 9, (128, 128, 128), 2, "orientation 8");
    }

    [Fact]
    public void Malformed_exif_is_ignored()
    {
        var jpeg = JpegTestSupport.WithExifOrientation(JpegTestSupport.Load("flat-444.jpg"), 6, bigEndian: false);
        // Point IFD0 past the end of the segment (TIFF header starts 4 + 6 bytes after SOI's end).
        var ifdOffset = 2 + 4 + 6 + 4;
        jpeg[ifdOffset] = 0xF0;
        jpeg[ifdOffset + 1] = 0xFF;

        var image = JpegDecoder.Decode(jpeg);

        Assert.Equal((50, 37), (image.Width, image.Height));
    }

    [Fact]
    public void An_out_of_range_orientation_value_is_treated_as_upright()
    {
        var jpeg = JpegTestSupport.WithExifOrientation(JpegTestSupport.Load("flat-444.jpg"), 9, bigEndian: true);

        var image = JpegDecoder.Decode(jpeg);

        Assert.Equal((50, 37), (image.Width, image.Height));
        JpegTestSupport.AssertPixel(image, 0, 0, Tl, 2, "orientation 9");
    }
}
