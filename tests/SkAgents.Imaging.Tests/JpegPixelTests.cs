using SkAgents.Imaging;

namespace SkAgents.Imaging.Tests;

public class JpegPixelTests
{
    // The flat fixtures are quality 100 (all quantisers 1) with 16×16 cells of one colour, so every 8×8 block (and every
    // subsampled chroma block) is uniform and its DCT is exact; what is left is the RGB → YCbCr rounding in the encoder and
    // the YCbCr → RGB rounding in the decoder, at most 2 per channel. We check the 8×8 centre of each full cell (the
    // triangle upsampling filter blends only 2 pixels beyond a chroma edge).
    public static TheoryData<string> FlatColourFixtures =>
    [
        "flat-444.jpg", "flat-422.jpg", "flat-420.jpg", "flat-440.jpg",
        "flat-444-progressive.jpg", "flat-420-progressive.jpg", "flat-422-progressive.jpg",
        "flat-420-restart-rows.jpg", "flat-444-restart-blocks.jpg", "flat-420-progressive-restart.jpg",
    ];

    [Theory]
    [MemberData(nameof(FlatColourFixtures))]
    public void Flat_colour_cells_decode_to_their_colours_within_2(string fixture)
    {
        var image = JpegDecoder.Decode(JpegTestSupport.Load(fixture));

        Assert.Equal(50, image.Width);
        Assert.Equal(37, image.Height);
        Assert.Equal("jpeg", image.Format);
        for (var cy = 0; cy < 2; cy++)
        {
            for (var cx = 0; cx < 3; cx++)
            {
                var colour = JpegTestSupport.Palette[(cy * 4) + cx];
                for (var y = 4; y < 12; y++)
                {
                    for (var x = 4; x < 12; x++)
                    {
                        JpegTestSupport.AssertPixel(image, (cx * 16) + x, (cy * 16) + y, colour, 2, fixture);
                    }
                }
            }
        }

        // The partial last row of cells (rows 32..36) and column (x 48..49): the encoder padded them by replication.
        JpegTestSupport.AssertPixel(image, 8, 34, JpegTestSupport.Palette[8], 2, fixture);
        JpegTestSupport.AssertPixel(image, 49, 8, JpegTestSupport.Palette[3], 2, fixture);
        JpegTestSupport.AssertPixel(image, 49, 36, JpegTestSupport.Palette[11], 2, fixture);
    }

    [Theory]
    [InlineData("flat-grey.jpg")]
    [InlineData("flat-grey-progressive.jpg")]
    public void Greyscale_cells_decode_exactly(string fixture)
    {
        // One component, quality 100, uniform blocks: no colour conversion, so the values are exact (tolerance 0).
        var image = JpegDecoder.Decode(JpegTestSupport.Load(fixture));

        Assert.Equal((50, 37), (image.Width, image.Height));
        for (var y = 0; y < 37; y++)
        {
            for (var x = 0; x < 50; x++)
            {
                var v = (byte)(((((y / 16) * 4) + (x / 16)) * 20) + 10);
                JpegTestSupport.AssertPixel(image, x, y, (v, v, v), 0, fixture);
            }
        }
    }

    [Fact]
    public void Horizontal_4_to_1_subsampling_decodes_a_single_colour()
    {
        // 4:1:1 (H=4 for luma): box-replicated chroma; a single flat colour (200,100,50) within ±2 (colour conversion).
        var image = JpegDecoder.Decode(JpegTestSupport.Load("single-411.jpg"));

        Assert.Equal((40, 24), (image.Width, image.Height));
        for (var y = 0; y < 24; y++)
        {
            for (var x = 0; x < 40; x++)
            {
                JpegTestSupport.AssertPixel(image, x, y, (200, 100, 50), 2, "single-411.jpg");
            }
        }
    }

    public static TheoryData<string> PhotoFixtures =>
    [
        "photo-420.jpg", "photo-420-progressive.jpg", "photo-422-optimized.jpg", "photo-440-restart.jpg",
        "photo-444-progressive.jpg", "photo-411.jpg", "photo-grey.jpg", "photo-rgb.jpg",
        "photo-420-separate-scans.jpg", "photo-q1-16bit-tables.jpg",
    ];

    [Theory]
    [MemberData(nameof(PhotoFixtures))]
    public void Photographic_images_match_the_libjpeg_turbo_reference_exactly(string fixture)
    {
        // The reference is djpeg (libjpeg-turbo 2.1.5, default islow IDCT and fancy upsampling) output committed next
        // to the JPEG. We implement the same integer IDCT, upsampling filters and colour tables, so we require exact equality.
        var image = JpegDecoder.Decode(JpegTestSupport.Load(fixture));

        AssertMatchesReference(image, fixture.Replace(".jpg", ".ref.pnm", StringComparison.Ordinal), fixture);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Rgb_components_are_recognised_by_the_adobe_marker_or_by_their_ids(bool keepAdobe)
    {
        // photo-rgb.jpg has both signals: an Adobe APP14 with transform 0 and the component ids 'R', 'G', 'B'. Keep only one.
        var jpeg = JpegTestSupport.Load("photo-rgb.jpg");
        if (keepAdobe)
        {
            var sof = JpegTestSupport.FindMarker(jpeg, 0xC0);
            var sos = JpegTestSupport.FindMarker(jpeg, 0xDA);
            for (var i = 0; i < 3; i++)
            {
                jpeg[sof + 10 + (i * 3)] = (byte)(i + 1);
                jpeg[sos + 5 + (i * 2)] = (byte)(i + 1);
            }
        }
        else
        {
            var app14 = JpegTestSupport.FindMarker(jpeg, 0xEE);
            var length = (jpeg[app14 + 2] << 8) | jpeg[app14 + 3];
            jpeg = [.. jpeg.AsSpan(0, app14), .. jpeg.AsSpan(app14 + 2 + length)];
        }

        AssertMatchesReference(JpegDecoder.Decode(jpeg), "photo-rgb.ref.pnm", keepAdobe ? "Adobe transform 0" : "ids R, G, B");
    }

    private static void AssertMatchesReference(DecodedImage image, string reference, string what)
    {
        var (w, h, rgb) = JpegTestSupport.ReadPnm(reference);

        Assert.Equal((w, h), (image.Width, image.Height));
        var max = 0;
        long sum = 0;
        var mismatches = 0;
        for (var p = 0; p < w * h; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                var d = Math.Abs(image.Pixels[(p * 4) + c] - rgb[(p * 3) + c]);
                max = Math.Max(max, d);
                sum += d;
                mismatches += d == 0 ? 0 : 1;
            }

            Assert.Equal(255, image.Pixels[(p * 4) + 3]);
        }

        Assert.True(mismatches == 0, $"{what}: {mismatches} channel values differ from libjpeg-turbo; max difference {max}, mean {(double)sum / (w * h * 3):F3}.");
    }

    [Fact]
    public void Adobe_ycck_cells_decode_to_their_colours_within_3()
    {
        // ImageMagick's CMYK JPEG: Adobe APP14 with transform 2 (YCCK), inverted ink values, 4:4:4, quality 100. Rounding in
        // RGB → CMYK → YCCK and back allows ±3 per channel.
        var image = JpegDecoder.Decode(JpegTestSupport.Load("flat-cmyk.jpg"));

        Assert.Equal((50, 37), (image.Width, image.Height));
        for (var cy = 0; cy < 2; cy++)
        {
            for (var cx = 0; cx < 3; cx++)
            {
                JpegTestSupport.AssertPixel(image, (cx * 16) + 8, (cy * 16) + 8, JpegTestSupport.Palette[(cy * 4) + cx], 3, "flat-cmyk.jpg");
            }
        }
    }

    [Fact]
    public void Fill_bytes_and_unknown_segments_are_skipped()
    {
        var original = JpegTestSupport.Load("flat-444-restart-blocks.jpg");
        var expected = JpegDecoder.Decode(original).Pixels;
        var dqt = JpegTestSupport.FindMarker(original, 0xDB);
        var rst0 = JpegTestSupport.FindMarker(original, 0xD0, JpegTestSupport.ScanDataStart(original));
        byte[] extras =
        [
            0xFF, 0xFF, 0xFF, // fill bytes before a marker
            0xFF, 0xFE, 0x00, 0x07, (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o', // COM
            0xFF, 0xE5, 0x00, 0x04, 0x12, 0x34, // APP5
        ];
        byte[] jpeg = [.. original.AsSpan(0, dqt), .. extras, .. original.AsSpan(dqt, rst0 - dqt), 0xFF, 0xFF, .. original.AsSpan(rst0)];

        var image = JpegDecoder.Decode(jpeg);

        Assert.Equal(expected, image.Pixels);
    }

    [Fact]
    public void IsJpeg_checks_the_SOI_signature()
    {
        Assert.True(JpegDecoder.IsJpeg(JpegTestSupport.Load("flat-444.jpg")));
        Assert.True(JpegDecoder.IsJpeg([0xFF, 0xD8, 0xFF]));
        Assert.False(JpegDecoder.IsJpeg([0xFF, 0xD8]));
        Assert.False(JpegDecoder.IsJpeg([]));
        Assert.False(JpegDecoder.IsJpeg([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]));
    }
}
