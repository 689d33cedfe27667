namespace SkAgents.Imaging.Tests;

/// <summary>
/// Files written by ImageMagick 6.9.11 (committed under Fixtures/Png; ImageMagick is not needed to run the tests), from
/// sources with the pixel values listed here:
/// rgb8-adam7.png   <c>convert a.ppm -interlace PNG PNG24:rgb8-adam7.png</c> (RGB 8-bit, Adam7, with gAMA/cHRM/bKGD/tIME before IDAT and tEXt after it);
/// palette-trns.png <c>convert b.pam -strip -define png:bit-depth=2 PNG8:palette-trns.png</c> (2-bit palette with tRNS);
/// rgba16.png       <c>convert c.pam -strip PNG64:rgba16.png</c> (RGBA 16-bit);
/// grey4.png        <c>convert d.pgm -strip -define png:bit-depth=4 -define png:color-type=0 grey4.png</c> (4-bit grey, odd width);
/// greyalpha16-adam7.png <c>convert e.pam -strip -interlace PNG -define png:bit-depth=16 -define png:color-type=4 greyalpha16-adam7.png</c> (grey + alpha 16-bit, Adam7, 3×3).
/// </summary>
public sealed class PngFixtureTests
{
    private static DecodedImage Load(string name) =>
        PngDecoder.Decode(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Png", name)));

    private static void AssertPixels(DecodedImage image, int width, int height, (int R, int G, int B, int A)[] expected)
    {
        Assert.Equal(width, image.Width);
        Assert.Equal(height, image.Height);
        var actual = Enumerable.Range(0, width * height)
            .Select(i => ((int)image.Pixels[i * 4], (int)image.Pixels[(i * 4) + 1], (int)image.Pixels[(i * 4) + 2], (int)image.Pixels[(i * 4) + 3]))
            .ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ImageMagick_interlaced_RGB_with_ancillary_chunks()
    {
        AssertPixels(Load("rgb8-adam7.png"), 5, 3,
        [
            (255, 0, 0, 255), (0, 255, 0, 255), (0, 0, 255, 255), (255, 255, 255, 255), (0, 0, 0, 255),
            (12, 34, 56, 255), (78, 90, 123, 255), (200, 150, 100, 255), (1, 2, 3, 255), (254, 253, 252, 255),
            (128, 128, 128, 255), (64, 0, 64, 255), (0, 64, 64, 255), (255, 255, 0, 255), (17, 34, 51, 255),
        ]);
    }

    [Fact]
    public void ImageMagick_2_bit_palette_with_tRNS()
    {
        AssertPixels(Load("palette-trns.png"), 4, 2,
        [
            (255, 0, 0, 255), (0, 255, 0, 255), (0, 0, 255, 0), (255, 0, 0, 255),
            (10, 20, 30, 255), (0, 0, 255, 0), (0, 255, 0, 255), (10, 20, 30, 255),
        ]);
    }

    [Fact]
    public void ImageMagick_16_bit_RGBA_is_rounded_to_8_bits()
    {
        // Sources (16-bit): (65535,0,0,65535) (0,32896,0,32768) (0,0,65535,0) / (4660,22136,39612,65535) (1000,2000,3000,4000) (65535,65535,65535,65535).
        // round(v × 255 / 65535): 32768 -> 128, 1000 -> 4, 2000 -> 8, 3000 -> 12, 4000 -> 16 (taking the high byte would give 3, 7, 11, 15).
        AssertPixels(Load("rgba16.png"), 3, 2,
        [
            (255, 0, 0, 255), (0, 128, 0, 128), (0, 0, 255, 0),
            (18, 86, 154, 255), (4, 8, 12, 16), (255, 255, 255, 255),
        ]);
    }

    [Fact]
    public void ImageMagick_16_bit_grey_alpha_interlaced()
    {
        // Sources (grey, alpha): (0,65535) (257,0) (65535,32768) / (1000,65535) (12345,54321) (65280,255) / (32896,65535) (100,200) (65535,65535).
        (int Grey, int Alpha)[] expected = [(0, 255), (1, 0), (255, 128), (4, 255), (48, 211), (254, 1), (128, 255), (0, 1), (255, 255)];
        AssertPixels(Load("greyalpha16-adam7.png"), 3, 3, [.. expected.Select(p => (p.Grey, p.Grey, p.Grey, p.Alpha))]);
    }

    [Fact]
    public void ImageMagick_4_bit_grey_with_an_odd_width()
    {
        // Source levels 0..6 and 15..9 of 15, scaled by 17.
        AssertPixels(Load("grey4.png"), 7, 2,
            [.. new[] { 0, 1, 2, 3, 4, 5, 6, 15, 14, 13, 12, 11, 10, 9 }.Select(v => (v * 17, v * 17, v * 17, 255))]);
    }
}
