namespace SkAgents.Imaging.Tests;

public sealed class PngRoundTripTests
{
    public static TheoryData<int, int, bool> AllFormats()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (var (colour, depths) in new[] { (0, new[] { 1, 2, 4, 8, 16 }), (2, [8, 16]), (3, [1, 2, 4, 8]), (4, [8, 16]), (6, [8, 16]) })
        {
            foreach (var depth in depths)
            {
                data.Add(colour, depth, false);
                data.Add(colour, depth, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllFormats))]
    public void Every_colour_type_and_bit_depth_round_trips_exactly(int colourType, int bitDepth, bool interlaced)
    {
        // 13 × 11: odd sizes, partial Adam7 blocks, and sub-byte rows that end mid-byte.
        var image = RandomImage(13, 11, colourType, bitDepth, interlaced, seed: (colourType * 100) + bitDepth);
        AssertDecodesTo(image, PngTestEncoder.Encode(image));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Each_filter_type_alone_round_trips(int filter)
    {
        foreach (var (colour, depth) in new[] { (6, 8), (6, 16), (2, 8), (0, 1), (0, 4), (3, 2) })
        {
            foreach (var interlaced in new[] { false, true })
            {
                var image = RandomImage(17, 9, colour, depth, interlaced, seed: filter + (colour * 7), filterForRow: (_, _) => filter);
                AssertDecodesTo(image, PngTestEncoder.Encode(image));
            }
        }
    }

    [Fact]
    public void Several_IDAT_chunks_are_concatenated()
    {
        var image = RandomImage(31, 23, 6, 8, interlaced: false, seed: 5);
        var split = new PngTestImage
        {
            Width = image.Width, Height = image.Height, ColourType = 6, BitDepth = 8, Samples = image.Samples, IdatChunkSize = 7,
        };
        var bytes = PngTestEncoder.Encode(split);
        Assert.True(CountChunks(bytes, "IDAT") > 10);
        AssertDecodesTo(split, bytes);
    }

    [Fact]
    public void Grey_tRNS_makes_exactly_the_matching_grey_transparent()
    {
        foreach (var depth in new[] { 1, 2, 4, 8, 16 })
        {
            var max = (1 << depth) - 1;
            var samples = Enumerable.Range(0, 20).Select(i => i % (max + 1)).ToArray();
            var key = 7 % (max + 1);
            var image = new PngTestImage
            {
                Width = 5, Height = 4, ColourType = 0, BitDepth = depth, Samples = samples, Transparency = [(byte)(key >> 8), (byte)key],
            };
            var decoded = PngDecoder.Decode(PngTestEncoder.Encode(image));
            AssertDecodesTo(image, PngTestEncoder.Encode(image));
            Assert.Contains(Enumerable.Range(0, 20), i => decoded.Pixels[(i * 4) + 3] == 0);
            Assert.Contains(Enumerable.Range(0, 20), i => decoded.Pixels[(i * 4) + 3] == 255);
        }
    }

    [Fact]
    public void Rgb_tRNS_compares_all_three_16_bit_samples()
    {
        // Two pixels differ from the key only in the low byte of blue: after reduction to 8 bits they look alike, but only the exact match is transparent.
        int[] samples = [0x1234, 0x5678, 0x9ABC, 0x1234, 0x5678, 0x9ABD, 0x1234, 0x5678, 0x9ABC];
        var image = new PngTestImage
        {
            Width = 3, Height = 1, ColourType = 2, BitDepth = 16, Samples = samples,
            Transparency = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC],
        };
        var decoded = PngDecoder.Decode(PngTestEncoder.Encode(image));
        Assert.Equal(((byte)0x12, (byte)0x56, (byte)0x9A, (byte)0), decoded.GetPixel(0, 0));
        Assert.Equal(((byte)0x12, (byte)0x56, (byte)0x9A, (byte)255), decoded.GetPixel(1, 0));
        Assert.Equal(0, decoded.GetPixel(2, 0).A);
    }

    [Fact]
    public void Palette_with_short_tRNS_gives_alpha_to_the_first_entries_only()
    {
        byte[] palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
        var image = new PngTestImage
        {
            Width = 4, Height = 2, ColourType = 3, BitDepth = 2, Samples = [0, 1, 2, 3, 3, 2, 1, 0], Palette = palette, Transparency = [0, 128],
        };
        var decoded = PngDecoder.Decode(PngTestEncoder.Encode(image));
        Assert.Equal(((byte)255, (byte)0, (byte)0, (byte)0), decoded.GetPixel(0, 0));
        Assert.Equal(((byte)0, (byte)255, (byte)0, (byte)128), decoded.GetPixel(1, 0));
        Assert.Equal(((byte)0, (byte)0, (byte)255, (byte)255), decoded.GetPixel(2, 0));
        Assert.Equal(((byte)10, (byte)20, (byte)30, (byte)255), decoded.GetPixel(3, 0));
        Assert.Equal(((byte)10, (byte)20, (byte)30, (byte)255), decoded.GetPixel(0, 1));
        Assert.Equal(((byte)255, (byte)0, (byte)0, (byte)0), decoded.GetPixel(3, 1));
    }

    [Fact]
    public void Sixteen_bit_samples_are_rounded_to_8_bits()
    {
        // round(v * 255 / 65535): 0x0080 -> 0 (0.498), 0x0081 -> 1 (0.502), 0xFE7D -> 253, 0xFE7E -> 254, v8 * 257 -> v8.
        int[] samples = [0x0000, 0x0080, 0x0081, 0x7F7F, 0x8080, 0xFE7D, 0xFE7E, 0xFFFF];
        var image = new PngTestImage { Width = 8, Height = 1, ColourType = 0, BitDepth = 16, Samples = samples };
        var decoded = PngDecoder.Decode(PngTestEncoder.Encode(image));
        byte[] expected = [0, 0, 1, 127, 128, 253, 254, 255];
        Assert.Equal(expected, Enumerable.Range(0, 8).Select(x => decoded.GetPixel(x, 0).R).ToArray());
    }

    [Fact]
    public void Unknown_ancillary_chunks_are_skipped()
    {
        var image = RandomImage(6, 5, 2, 8, interlaced: false, seed: 9);
        var withExtras = new PngTestImage
        {
            Width = 6, Height = 5, ColourType = 2, BitDepth = 8, Samples = image.Samples,
            ExtraChunks = [("tEXt", "Comment\0hello"u8.ToArray()), ("gAMA", [0, 0, 0xB1, 0x8F]), ("zzZz", [1, 2, 3])],
        };
        AssertDecodesTo(withExtras, PngTestEncoder.Encode(withExtras));
    }

    [Fact]
    public void Data_after_IEND_is_ignored()
    {
        var image = RandomImage(3, 3, 0, 8, interlaced: false, seed: 1);
        var bytes = PngTestEncoder.Encode(image).Concat("trailing garbage"u8.ToArray()).ToArray();
        AssertDecodesTo(image, bytes);
    }

    [Fact]
    public void IsPng_checks_the_signature()
    {
        Assert.True(PngDecoder.IsPng(PngTestEncoder.Signature));
        Assert.False(PngDecoder.IsPng(PngTestEncoder.Signature.AsSpan(0, 7)));
        Assert.False(PngDecoder.IsPng([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46]));
        Assert.False(PngDecoder.IsPng([]));
    }

    internal static PngTestImage RandomImage(int width, int height, int colourType, int bitDepth, bool interlaced, int seed, Func<int, int, int>? filterForRow = null)
    {
        var random = new Random(seed);
        var channels = PngTestImage.ChannelsOf(colourType);
        var max = colourType == 3 ? Math.Min(1 << bitDepth, 200) : 1 << bitDepth;
        var samples = new int[width * height * channels];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = random.Next(max);
        }

        byte[]? palette = null;
        if (colourType == 3)
        {
            palette = new byte[max * 3];
            random.NextBytes(palette);
        }

        return new PngTestImage
        {
            Width = width, Height = height, ColourType = colourType, BitDepth = bitDepth, Samples = samples, Palette = palette,
            Interlaced = interlaced, FilterForRow = filterForRow,
        };
    }

    internal static void AssertDecodesTo(PngTestImage image, byte[] bytes)
    {
        var decoded = PngDecoder.Decode(bytes);
        Assert.Equal(image.Width, decoded.Width);
        Assert.Equal(image.Height, decoded.Height);
        Assert.Equal("png", decoded.Format);
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var expected = PngTestEncoder.Expected(image, x, y);
                var actual = decoded.GetPixel(x, y);
                if (expected != actual)
                {
                    Assert.Fail($"Pixel ({x}, {y}) of a {image.Width}×{image.Height} colour type {image.ColourType} {image.BitDepth}-bit{(image.Interlaced ? " interlaced" : string.Empty)} image: expected {expected}, got {actual}.");
                }
            }
        }
    }

    internal static int CountChunks(byte[] png, string type)
    {
        var count = 0;
        var pos = 8;
        while (pos + 8 <= png.Length)
        {
            var length = (png[pos] << 24) | (png[pos + 1] << 16) | (png[pos + 2] << 8) | png[pos + 3];
            if (System.Text.Encoding.ASCII.GetString(png, pos + 4, 4) == type)
            {
                count++;
            }

            pos += 12 + length;
        }

        return count;
    }
}
