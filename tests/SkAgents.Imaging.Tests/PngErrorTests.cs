using System.Buffers.Binary;

namespace SkAgents.Imaging.Tests;

public sealed class PngErrorTests
{
    private static byte[] SmallPng(bool interlaced = false) =>
        PngTestEncoder.Encode(PngRoundTripTests.RandomImage(7, 5, 6, 8, interlaced, seed: 3));

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46 }, "JPEG")]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00 }, "GIF")]
    [InlineData(new byte[] { 0x68, 0x65, 0x6C, 0x6C, 0x6F, 0x20, 0x77, 0x6F, 0x72, 0x6C, 0x64 }, "68656C6C6F20776F")]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0A, 0x0A, 0x1A, 0x0A, 0, 0 }, "line-ending")]
    [InlineData(new byte[0], "empty")]
    public void Data_that_is_not_PNG_is_refused_as_unsupported(byte[] data, string mentioned)
    {
        var ex = Assert.Throws<UnsupportedImageFormatException>(() => PngDecoder.Decode(data));
        Assert.Contains(mentioned, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_is_a_TruncatedImageException()
    {
        foreach (var interlaced in new[] { false, true })
        {
            var png = SmallPng(interlaced);
            for (var length = 1; length < png.Length; length++)
            {
                var cut = png.AsSpan(0, length).ToArray();
                var ex = Assert.ThrowsAny<ImageDecodingException>(() => PngDecoder.Decode(cut));
                Assert.True(ex is TruncatedImageException, $"Cut at {length} of {png.Length}: {ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    [Fact]
    public void Missing_IEND_is_named()
    {
        var png = SmallPng();
        var ex = Assert.Throws<TruncatedImageException>(() => PngDecoder.Decode(png.AsSpan(0, png.Length - 12)));
        Assert.Contains("IEND", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_IDAT_is_named()
    {
        var png = PngTestEncoder.Signature
            .Concat(PngTestEncoder.Chunk("IHDR", PngTestEncoder.Ihdr(1, 1, 8, 0, 0)))
            .Concat(PngTestEncoder.Chunk("IEND", [])).ToArray();
        var ex = Assert.Throws<TruncatedImageException>(() => PngDecoder.Decode(png));
        Assert.Contains("IDAT", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_data_that_inflates_short_is_truncated()
    {
        // 4×3 grey needs 3 × (1 + 4) = 15 bytes; give a complete zlib stream of 10.
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(4, 3, 8, 0, 0), new byte[10]);
        var ex = Assert.Throws<TruncatedImageException>(() => PngDecoder.Decode(png));
        Assert.Contains("10", ex.Message, StringComparison.Ordinal);
        Assert.Contains("15", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zlib_stream_cut_short_inside_a_valid_IDAT_is_truncated()
    {
        var raw = new byte[3 * 5];
        new Random(1).NextBytes(raw);
        raw[0] = raw[5] = raw[10] = 0;
        var z = PngTestEncoder.ZlibStored(raw);
        var png = PngTestEncoder.Signature
            .Concat(PngTestEncoder.Chunk("IHDR", PngTestEncoder.Ihdr(4, 3, 8, 0, 0)))
            .Concat(PngTestEncoder.Chunk("IDAT", z[..12]))
            .Concat(PngTestEncoder.Chunk("IEND", [])).ToArray();
        Assert.Throws<TruncatedImageException>(() => PngDecoder.Decode(png));
    }

    [Fact]
    public void A_bad_CRC_is_refused_with_the_chunk_named()
    {
        var png = SmallPng();
        var idat = IndexOfChunk(png, "IDAT");
        png[idat + 10] ^= 0x01; // a data byte of the IDAT chunk
        var ex = Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png));
        Assert.Contains("CRC", ex.Message, StringComparison.Ordinal);
        Assert.Contains("IDAT", ex.Message, StringComparison.Ordinal);

        var png2 = SmallPng();
        png2[png2.Length - 1] ^= 0xFF; // IEND's CRC
        Assert.Contains("'IEND'", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png2)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_bad_filter_type_is_refused(bool interlaced)
    {
        var image = PngRoundTripTests.RandomImage(9, 9, 2, 8, interlaced, seed: 2, filterForRow: (pass, row) => pass == (interlaced ? 4 : 0) && row == 1 ? 5 : 0);
        var ex = Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(PngTestEncoder.Encode(image)));
        Assert.Contains("filter type 5", ex.Message, StringComparison.Ordinal);
        Assert.Contains("row 1", ex.Message, StringComparison.Ordinal);
        if (interlaced)
        {
            Assert.Contains("pass 4", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_palette_index_past_the_palette_is_refused()
    {
        // 2-bit palette image with 3 entries; pixel (2, 0) uses index 3.
        var png = PngTestEncoder.FromScanlines(
            PngTestEncoder.Ihdr(3, 1, 2, 3, 0),
            [0, 0b00_01_11_00],
            ("PLTE", [1, 2, 3, 4, 5, 6, 7, 8, 9]));
        var ex = Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png));
        Assert.Contains("index 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 0)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(10, 0)]
    [InlineData(0, 0)]
    public void Zero_dimensions_are_refused(int width, int height)
    {
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(width, height, 8, 0, 0), [0, 0]);
        var ex = Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png));
        Assert.Contains("at least 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dimensions_over_2_to_31_are_refused()
    {
        var ihdr = PngTestEncoder.Ihdr(1, 1, 8, 0, 0);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, 0x80000000u);
        var png = PngTestEncoder.FromScanlines(ihdr, [0, 0]);
        Assert.Contains("2^31", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_declared_size_is_refused_from_IHDR_before_any_image_data_is_read()
    {
        // 100,000 × 100,000 with a corrupt IDAT: the size check must come first (no inflate, no allocation).
        var png = PngTestEncoder.Signature
            .Concat(PngTestEncoder.Chunk("IHDR", PngTestEncoder.Ihdr(100_000, 100_000, 8, 6, 0)))
            .Concat(PngTestEncoder.Chunk("IDAT", [1, 2, 3]))
            .Concat(PngTestEncoder.Chunk("IEND", [])).ToArray();
        var ex = Assert.Throws<ImageTooLargeException>(() => PngDecoder.Decode(png));
        Assert.Equal(100_000, ex.Width);
        Assert.Equal(100_000, ex.Height);
        Assert.Equal(ImageDecoderOptions.Default.MaxPixels, ex.MaxPixels);

        // Even a truncated file with only the header gets the size error, not a truncation error.
        var headerOnly = png.AsSpan(0, 8 + 25).ToArray();
        Assert.Throws<ImageTooLargeException>(() => PngDecoder.Decode(headerOnly));
    }

    [Fact]
    public void A_large_declared_size_with_little_image_data_is_truncated_without_allocating_for_it()
    {
        // 7,000 × 7,000 RGBA 16-bit is under MaxPixels (49 M) but needs 392 MB of scanlines; 30 compressed bytes cannot hold that.
        var png = PngTestEncoder.Signature
            .Concat(PngTestEncoder.Chunk("IHDR", PngTestEncoder.Ihdr(7000, 7000, 16, 6, 0)))
            .Concat(PngTestEncoder.Chunk("IDAT", PngTestEncoder.Zlib(new byte[1000])))
            .Concat(PngTestEncoder.Chunk("IEND", [])).ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<TruncatedImageException>(() => PngDecoder.Decode(png));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000, "The decoder allocated for the declared size.");
        Assert.Contains("cannot inflate", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxPixels_is_honoured_exactly()
    {
        var image = PngRoundTripTests.RandomImage(10, 10, 0, 8, interlaced: false, seed: 4);
        var png = PngTestEncoder.Encode(image);
        Assert.Equal(10, PngDecoder.Decode(png, new ImageDecoderOptions { MaxPixels = 100 }).Width);
        var ex = Assert.Throws<ImageTooLargeException>(() => PngDecoder.Decode(png, new ImageDecoderOptions { MaxPixels = 99 }));
        Assert.Contains("MaxPixels", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_data_that_inflates_to_more_than_the_image_needs_is_refused_as_a_bomb()
    {
        // A 1×1 grey image needs 2 bytes; the stream inflates to 50 MB of zeros (about 50 KB compressed).
        var bomb = PngTestEncoder.Zlib(new byte[50_000_000]);
        var png = PngTestEncoder.Signature
            .Concat(PngTestEncoder.Chunk("IHDR", PngTestEncoder.Ihdr(1, 1, 8, 0, 0)))
            .Concat(PngTestEncoder.Chunk("IDAT", bomb))
            .Concat(PngTestEncoder.Chunk("IEND", [])).ToArray();
        var ex = Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png));
        Assert.Contains("decompression bomb", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_zlib_stream_is_refused()
    {
        var png = PngTestEncoder.Signature
            .Concat(PngTestEncoder.Chunk("IHDR", PngTestEncoder.Ihdr(2, 2, 8, 0, 0)))
            .Concat(PngTestEncoder.Chunk("IDAT", [0x78, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]))
            .Concat(PngTestEncoder.Chunk("IEND", [])).ToArray();
        var ex = Assert.ThrowsAny<ImageDecodingException>(() => PngDecoder.Decode(png));
        Assert.Contains("zlib", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_critical_chunk_is_refused()
    {
        var image = new PngTestImage { Width = 1, Height = 1, ColourType = 0, BitDepth = 8, Samples = [1], ExtraChunks = [("ZZZZ", [1])] };
        var ex = Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(PngTestEncoder.Encode(image)));
        Assert.Contains("'ZZZZ'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("critical", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8, 5, "colour type 5")]
    [InlineData(4, 2, "bit depth 4 with colour type 2")]
    [InlineData(16, 3, "bit depth 16 with colour type 3")]
    [InlineData(3, 0, "bit depth 3 with colour type 0")]
    public void Invalid_header_values_are_refused(int bitDepth, int colourType, string mentioned)
    {
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(1, 1, bitDepth, colourType, 0), [0, 0, 0, 0, 0]);
        Assert.Contains(mentioned, Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Interlace_method_2_is_refused()
    {
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(1, 1, 8, 0, 2), [0, 0]);
        Assert.Contains("interlace method 2", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_palette_image_without_PLTE_is_refused()
    {
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(1, 1, 8, 3, 0), [0, 0]);
        Assert.Contains("PLTE", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IHDR_must_come_first()
    {
        var png = PngTestEncoder.Signature
            .Concat(PngTestEncoder.Chunk("tEXt", "a\0b"u8.ToArray()))
            .Concat(PngTestEncoder.Chunk("IHDR", PngTestEncoder.Ihdr(1, 1, 8, 0, 0)))
            .Concat(PngTestEncoder.Chunk("IDAT", PngTestEncoder.ZlibStored([0, 0])))
            .Concat(PngTestEncoder.Chunk("IEND", [])).ToArray();
        Assert.Contains("IHDR", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tRNS_chunk_on_an_image_with_alpha_is_refused()
    {
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(1, 1, 8, 6, 0), [0, 1, 2, 3, 4], ("tRNS", [0, 0]));
        Assert.Contains("tRNS", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tRNS_chunk_longer_than_the_palette_is_refused()
    {
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(1, 1, 8, 3, 0), [0, 0], ("PLTE", [1, 2, 3]), ("tRNS", [0, 0]));
        Assert.Contains("2 alpha values", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chunk_length_over_2_to_31_is_refused()
    {
        var png = SmallPng();
        var idat = IndexOfChunk(png, "IDAT");
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(idat), 0xFFFFFFF0u);
        Assert.Contains("2^31", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_header_chunks_are_refused()
    {
        var twoIhdr = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(1, 1, 8, 0, 0), [0, 0], ("IHDR", PngTestEncoder.Ihdr(1, 1, 8, 0, 0)));
        Assert.Contains("second IHDR", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(twoIhdr)).Message, StringComparison.Ordinal);
        var twoPlte = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(1, 1, 8, 3, 0), [0, 0], ("PLTE", [1, 2, 3]), ("PLTE", [1, 2, 3]));
        Assert.Contains("second PLTE", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(twoPlte)).Message, StringComparison.Ordinal);
        var twoTrns = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(1, 1, 8, 0, 0), [0, 0], ("tRNS", [0, 0]), ("tRNS", [0, 0]));
        Assert.Contains("second tRNS", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(twoTrns)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IDAT_chunks_split_by_another_chunk_are_refused()
    {
        var z = PngTestEncoder.ZlibStored([0, 1, 0, 2]);
        var png = PngTestEncoder.Signature
            .Concat(PngTestEncoder.Chunk("IHDR", PngTestEncoder.Ihdr(1, 2, 8, 0, 0)))
            .Concat(PngTestEncoder.Chunk("IDAT", z[..6]))
            .Concat(PngTestEncoder.Chunk("tEXt", "a\0b"u8.ToArray()))
            .Concat(PngTestEncoder.Chunk("IDAT", z[6..]))
            .Concat(PngTestEncoder.Chunk("IEND", [])).ToArray();
        Assert.Contains("consecutive", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_PLTE_with_more_entries_than_the_bit_depth_can_index_is_refused()
    {
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(1, 1, 1, 3, 0), [0, 0], ("PLTE", [1, 2, 3, 4, 5, 6, 7, 8, 9]));
        Assert.Contains("3 entries", Assert.Throws<ImageDecodingException>(() => PngDecoder.Decode(png)).Message, StringComparison.Ordinal);
    }

    private static int IndexOfChunk(byte[] png, string type)
    {
        var pos = 8;
        while (true)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            if (System.Text.Encoding.ASCII.GetString(png, pos + 4, 4) == type)
            {
                return pos;
            }

            pos += 12 + length;
        }
    }
}
