using System.Globalization;
using System.Text.Json;

namespace SkAgents.Imaging.Tests;

/// <summary>
/// Resizing against Pillow 9.4 (Debian python3-pil). Fixtures/Png/pil-resize-reference.json was produced by:
/// <code>
/// def pat(w, h): return bytes(((x*37 + y*91 + c*53 + x*y*7) % 256) for y in range(h) for x in range(w) for c in range(3))
/// im = Image.frombytes('RGB', (iw, ih), pat(iw, ih)); im.resize((ow, oh), resample=f, reducing_gap=None).tobytes().hex()
/// </code>
/// for (13×9→5×4), (6×5→11×8), (9×7→4×10), (40×30→7×6), (5×5→5×3) and every filter 0–5; plus a BLIP-style pipeline
/// (13×9 → 5×4 bicubic, ×1/255, CLIP mean/std, float32 arithmetic as numpy) and a CLIP-style bilinear resize.
/// </summary>
public sealed class PreprocessResizeTests
{
    private static readonly JsonElement Reference = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Png", "pil-resize-reference.json"))).RootElement;

    internal static DecodedImage Pattern(int width, int height, byte alpha = 255)
    {
        var pixels = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    pixels[(((y * width) + x) * 4) + c] = (byte)(((x * 37) + (y * 91) + (c * 53) + (x * y * 7)) % 256);
                }

                pixels[(((y * width) + x) * 4) + 3] = (byte)(alpha == 255 ? 255 : (alpha + x + y) % 256);
            }
        }

        return new DecodedImage(width, height, pixels, "png");
    }

    private static string RgbHex(DecodedImage image) =>
        Convert.ToHexString(image.Pixels.Where((_, i) => i % 4 != 3).ToArray()).ToLowerInvariant();

    public static TheoryData<int> CaseIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Reference.GetProperty("resize").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void Resize_is_bit_identical_to_Pillow(int index)
    {
        var c = Reference.GetProperty("resize")[index];
        var image = Pattern(c.GetProperty("inWidth").GetInt32(), c.GetProperty("inHeight").GetInt32());
        var filter = (ResampleFilter)c.GetProperty("filter").GetInt32();
        var resized = ImageResizer.Resize(image, c.GetProperty("outWidth").GetInt32(), c.GetProperty("outHeight").GetInt32(), filter);
        Assert.Equal(c.GetProperty("expected").GetString(), RgbHex(resized));
        Assert.All(Enumerable.Range(0, resized.Width * resized.Height), i => Assert.Equal(255, resized.Pixels[(i * 4) + 3]));
    }

    [Fact]
    public void Blip_style_pipeline_matches_transformers_arithmetic()
    {
        var pre = ImagePreprocessor.FromJson("""
            {
              "do_convert_rgb": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
              "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "BlipImageProcessor",
              "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "rescale_factor": 0.00392156862745098,
              "size": {"height": 4, "width": 5}
            }
            """);
        // Alpha varies (and is dropped): the result must not depend on it.
        var output = pre.Process(Pattern(13, 9, alpha: 7));
        Assert.Equal([3, 4, 5], pre.GetOutputShape(Pattern(13, 9)));
        var expected = Reference.GetProperty("pipelineBlip").GetProperty("expected").EnumerateArray()
            .Select(e => float.Parse(e.GetString()!, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected, output);
    }

    [Fact]
    public void Shortest_edge_resize_keeps_the_aspect_ratio_like_transformers()
    {
        var pre = ImagePreprocessor.FromJson("""{"size": {"shortest_edge": 4}, "resample": 2, "do_rescale": false, "do_normalize": false, "do_center_crop": false}""");
        // 13×9: short side 9 -> 4, long side int(4 × 13 / 9) = int(5.78) = 5.
        Assert.Equal((4, 5), pre.GetOutputSize(13, 9));
        var output = pre.Process(Pattern(13, 9));
        var expected = Convert.FromHexString(Reference.GetProperty("clipResize").GetString()!);
        var chw = new float[60];
        for (var i = 0; i < 20; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                chw[(c * 20) + i] = expected[(i * 3) + c];
            }
        }

        Assert.Equal(chw, output);
    }

    [Fact]
    public void Nearest_picks_the_pixel_under_each_centre()
    {
        // 4 → 2: centres at 1.0 and 3.0 → source 1 and 3. 3 → 5: (x + 0.5) × 0.6 = 0.3, 0.9, 1.5, 2.1, 2.7 → 0, 0, 1, 2, 2.
        var image = new DecodedImage(4, 1, [10, 0, 0, 255, 20, 0, 0, 255, 30, 0, 0, 255, 40, 0, 0, 255], "png");
        var down = ImageResizer.Resize(image, 2, 1, ResampleFilter.Nearest);
        Assert.Equal(new byte[] { 20, 40 }, new[] { down.Pixels[0], down.Pixels[4] });
        var three = new DecodedImage(3, 1, [10, 0, 0, 255, 20, 0, 0, 255, 30, 0, 0, 255], "png");
        var up = ImageResizer.Resize(three, 5, 1, ResampleFilter.Nearest);
        Assert.Equal(new byte[] { 10, 10, 20, 30, 30 }, Enumerable.Range(0, 5).Select(i => up.Pixels[i * 4]).ToArray());
    }

    [Fact]
    public void Bilinear_by_hand_on_a_two_pixel_row()
    {
        // 2 → 4 upscale (scale 0.5, no widening): centres at 0.25, 0.75, 1.25, 1.75 in source pixels;
        // weights for source pixels 0 and 1 (centres 0.5, 1.5): x=0 → only pixel 0 in range after clamping → 0;
        // x=1 → 0.75 × 0 + 0.25 × 200 = 50; x=2 → 0.25 × 0 + 0.75 × 200 = 150; x=3 → only pixel 1 → 200.
        var image = new DecodedImage(2, 1, [0, 0, 0, 255, 200, 200, 200, 255], "png");
        var up = ImageResizer.Resize(image, 4, 1, ResampleFilter.Bilinear);
        Assert.Equal(new byte[] { 0, 50, 150, 200 }, Enumerable.Range(0, 4).Select(i => up.Pixels[i * 4]).ToArray());

        // 4 → 2 downscale (scale 2, triangle widened to support 2): output 0 centre 1.0, weights over pixels 0..2
        // at distances 0.5, 0.5, 1.5 (÷2): 0.75, 0.75, 0.25 → normalised 3/7, 3/7, 1/7.
        // Pixels 0, 70, 140, 210: (0 × 3 + 70 × 3 + 140) / 7 = 50; output 1 centre 3.0 over pixels 1..3: (70 + 140 × 3 + 210 × 3) / 7 = 160.
        var row = new DecodedImage(4, 1, [0, 0, 0, 255, 70, 70, 70, 255, 140, 140, 140, 255, 210, 210, 210, 255], "png");
        var down = ImageResizer.Resize(row, 2, 1, ResampleFilter.Bilinear);
        Assert.Equal(new byte[] { 50, 160 }, new[] { down.Pixels[0], down.Pixels[4] });
    }

    [Fact]
    public void Same_size_is_a_copy()
    {
        var image = Pattern(5, 4);
        var same = ImageResizer.Resize(image, 5, 4, ResampleFilter.Bicubic);
        Assert.NotSame(image.Pixels, same.Pixels);
        Assert.Equal(image.Pixels, same.Pixels);
    }

    [Fact]
    public void Invalid_sizes_and_filters_are_refused()
    {
        var image = Pattern(2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageResizer.Resize(image, 0, 2, ResampleFilter.Bilinear));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageResizer.Resize(image, 2, -1, ResampleFilter.Bilinear));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageResizer.Resize(image, 3, 3, (ResampleFilter)9));
    }
}
