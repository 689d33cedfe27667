namespace SkAgents.Imaging.Tests;

/// <summary>PNG files whose scanlines are written byte by byte (stored deflate blocks, no compressor involved).</summary>
public sealed class PngHandBuiltTests
{
    [Fact]
    public void One_by_one_grey()
    {
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(1, 1, 8, 0, 0), [0, 0x7F]);
        var image = PngDecoder.Decode(png);
        Assert.Equal((1, 1), (image.Width, image.Height));
        Assert.Equal(new byte[] { 0x7F, 0x7F, 0x7F, 0xFF }, image.Pixels);
    }

    [Fact]
    public void One_by_one_RGBA_interlaced_has_only_pass_1()
    {
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(1, 1, 8, 6, 1), [0, 10, 20, 30, 40]);
        Assert.Equal(new byte[] { 10, 20, 30, 40 }, PngDecoder.Decode(png).Pixels);
    }

    [Fact]
    public void One_bit_grey_with_odd_width_ignores_padding_bits()
    {
        // Width 3: bits 1 0 1 then five padding bits set to 1, which must not leak into anything.
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(3, 2, 1, 0, 0), [0, 0b1011_1111, 0, 0b0101_1111]);
        var image = PngDecoder.Decode(png);
        Assert.Equal(new byte[] { 255, 0, 255, 0, 255, 0 }, Enumerable.Range(0, 6).Select(i => image.Pixels[i * 4]).ToArray());
    }

    [Fact]
    public void Two_bit_grey_width_5_with_Sub_filter_on_packed_bytes()
    {
        // Levels 0 1 2 3 | 2 (padding 0) = bytes 0x1B, 0x80. Sub works on bytes with a left distance of 1 byte:
        // filtered = 0x1B, 0x80 - 0x1B = 0x65.
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(5, 1, 2, 0, 0), [1, 0x1B, 0x65]);
        var image = PngDecoder.Decode(png);
        Assert.Equal(new byte[] { 0, 85, 170, 255, 170 }, Enumerable.Range(0, 5).Select(i => image.Pixels[i * 4]).ToArray());
    }

    [Fact]
    public void Four_bit_palette_with_tRNS_odd_width()
    {
        // Width 3, indices 2 0 1 -> bytes 0x20, 0x10; palette of 3 colours, tRNS for entries 0 and 1.
        var png = PngTestEncoder.FromScanlines(
            PngTestEncoder.Ihdr(3, 1, 4, 3, 0),
            [0, 0x20, 0x10],
            ("PLTE", [1, 2, 3, 40, 50, 60, 200, 201, 202]),
            ("tRNS", [0, 77]));
        var image = PngDecoder.Decode(png);
        Assert.Equal(new byte[] { 200, 201, 202, 255, 1, 2, 3, 0, 40, 50, 60, 77 }, image.Pixels);
    }

    [Fact]
    public void Paeth_and_Average_on_the_first_row_use_zero_above()
    {
        // RGB 8-bit 2×1. Average on row 0: predictor = left / 2. Paeth on row 0 equals Sub.
        // Pixels (100, 50, 20) (110, 60, 30).
        var avg = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(2, 1, 8, 2, 0), [3, 100, 50, 20, 110 - 50, 60 - 25, 30 - 10]);
        Assert.Equal(new byte[] { 100, 50, 20, 255, 110, 60, 30, 255 }, PngDecoder.Decode(avg).Pixels);
        var paeth = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(2, 1, 8, 2, 0), [4, 100, 50, 20, 10, 10, 10]);
        Assert.Equal(new byte[] { 100, 50, 20, 255, 110, 60, 30, 255 }, PngDecoder.Decode(paeth).Pixels);
    }

    [Fact]
    public void Sixteen_bit_grey_alpha_Up_filter_wraps_modulo_256()
    {
        // Grey+alpha 16-bit, 1×2. Row 0: grey 0xFFFF alpha 0x0000. Row 1 (Up): grey 0x0101 alpha 0xFFFF,
        // stored as differences modulo 256 per byte: 0x02 0x02 0xFF 0xFF.
        var png = PngTestEncoder.FromScanlines(PngTestEncoder.Ihdr(1, 2, 16, 4, 0), [0, 0xFF, 0xFF, 0, 0, 2, 0x02, 0x02, 0xFF, 0xFF]);
        Assert.Equal(new byte[] { 255, 255, 255, 0, 1, 1, 1, 255 }, PngDecoder.Decode(png).Pixels);
    }
}
