namespace SkAgents.Imaging.Tests;

public sealed class PreprocessConfigTests
{
    [Fact]
    public void ViT_config_is_read()
    {
        var pre = ImagePreprocessor.FromJson("""
            {
              "do_normalize": true, "do_rescale": true, "do_resize": true,
              "image_mean": [0.5, 0.5, 0.5], "image_processor_type": "ViTImageProcessor",
              "image_std": [0.5, 0.5, 0.5], "resample": 2, "rescale_factor": 0.00392156862745098,
              "size": {"height": 224, "width": 224}
            }
            """);
        Assert.Equal("ViTImageProcessor", pre.ProcessorType);
        Assert.True(pre.DoResize);
        Assert.Equal((224, 224), (pre.Height, pre.Width));
        Assert.Null(pre.ShortestEdge);
        Assert.Equal(ResampleFilter.Bilinear, pre.Resample);
        Assert.Equal(1.0 / 255.0, pre.RescaleFactor, 15);
        Assert.Equal([0.5f, 0.5f, 0.5f], pre.ImageMean);
        Assert.Equal([3, 224, 224], pre.GetOutputShape(PreprocessResizeTests.Pattern(640, 480)));
    }

    [Fact]
    public void Missing_keys_take_the_named_processor_defaults()
    {
        var vit = ImagePreprocessor.FromJson("{}");
        Assert.Equal((224, 224, ResampleFilter.Bilinear), (vit.Height!.Value, vit.Width!.Value, vit.Resample));
        Assert.Equal([0.5f, 0.5f, 0.5f], vit.ImageStd);
        Assert.False(vit.DoCenterCrop);

        var blip = ImagePreprocessor.FromJson("""{"image_processor_type": "BlipImageProcessor"}""");
        Assert.Equal((384, 384, ResampleFilter.Bicubic), (blip.Height!.Value, blip.Width!.Value, blip.Resample));
        Assert.Equal([0.48145466f, 0.4578275f, 0.40821073f], blip.ImageMean);

        var clip = ImagePreprocessor.FromJson("""{"feature_extractor_type": "CLIPFeatureExtractor", "size": 224}""");
        Assert.Equal(224, clip.ShortestEdge);
        Assert.True(clip.DoCenterCrop);
        Assert.Equal((224, 224), clip.GetOutputSize(640, 480));

        var legacyVit = ImagePreprocessor.FromJson("""{"feature_extractor_type": "ViTFeatureExtractor", "size": 384}""");
        Assert.Equal((384, 384), (legacyVit.Height, legacyVit.Width));
    }

    [Fact]
    public void Rescale_and_normalize_by_hand()
    {
        // A 1×1 image, no resize: (v / 255 - mean) / std per channel.
        var pre = ImagePreprocessor.FromJson("""{"do_resize": false, "image_mean": [0.5, 0.25, 0], "image_std": [0.5, 0.25, 2]}""");
        var output = pre.Process(new DecodedImage(1, 1, [255, 51, 0, 0], "png"));
        Assert.Equal(3, output.Length);
        Assert.Equal(1f, output[0]);                 // (1 - 0.5) / 0.5
        Assert.Equal((0.2f - 0.25f) / 0.25f, output[1]); // 51/255 = 0.2
        Assert.Equal(0f, output[2]);
    }

    [Fact]
    public void Without_rescale_or_normalize_the_raw_samples_come_out_channels_first()
    {
        var pre = ImagePreprocessor.FromJson("""{"do_resize": false, "do_rescale": false, "do_normalize": false}""");
        var image = new DecodedImage(2, 1, [1, 2, 3, 9, 4, 5, 6, 9], "png");
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], pre.Process(image));
        Assert.Equal([3, 1, 2], pre.GetOutputShape(image));
    }

    [Fact]
    public void Center_crop_takes_the_middle_and_pads_with_zeros_like_transformers()
    {
        var pre = ImagePreprocessor.FromJson("""{"do_resize": false, "do_rescale": false, "do_normalize": false, "do_center_crop": true, "crop_size": {"height": 1, "width": 3}}""");
        // 5×3 image with R = x + 10 y: crop top = (3 - 1) // 2 = 1, left = (5 - 3) // 2 = 1 → x 1..3 of row 1.
        var pixels = new byte[5 * 3 * 4];
        for (var y = 0; y < 3; y++)
        {
            for (var x = 0; x < 5; x++)
            {
                pixels[((y * 5) + x) * 4] = (byte)(x + (10 * y));
            }
        }

        var output = pre.Process(new DecodedImage(5, 3, pixels, "png"));
        Assert.Equal([11f, 12f, 13f], output[..3]);

        // A crop larger than the image: 2×1 into 4×3 → image at rows floor... pad top = ceil(2/2) = 1, left = ceil(2/2) = 1.
        var pad = ImagePreprocessor.FromJson("""{"do_resize": false, "do_rescale": false, "do_normalize": false, "do_center_crop": true, "crop_size": {"height": 3, "width": 4}}""");
        var small = pad.Process(new DecodedImage(2, 1, [7, 0, 0, 255, 8, 0, 0, 255], "png"));
        Assert.Equal([0f, 0f, 0f, 0f, 0f, 7f, 8f, 0f, 0f, 0f, 0f, 0f], small[..12]);
    }

    [Fact]
    public void Shortest_edge_with_longest_edge_cap()
    {
        var pre = ImagePreprocessor.FromJson("""{"size": {"shortest_edge": 100, "longest_edge": 150}}""");
        // 400×100: long side would be 400 → capped to 150, short = int(150 × 100 / 400) = 37.
        Assert.Equal((37, 150), pre.GetOutputSize(400, 100));
        Assert.Equal((150, 37), pre.GetOutputSize(100, 400));
        Assert.Equal((100, 133), pre.GetOutputSize(400, 300));
    }

    [Fact]
    public void FromFile_reads_the_file_and_names_it_in_errors()
    {
        var dir = Directory.CreateTempSubdirectory("skagents-preprocess-");
        try
        {
            var path = Path.Combine(dir.FullName, "preprocessor_config.json");
            File.WriteAllText(path, """{"size": {"height": 32, "width": 48}, "resample": 3}""");
            var pre = ImagePreprocessor.FromFile(path);
            Assert.Equal((32, 48, ResampleFilter.Bicubic), (pre.Height!.Value, pre.Width!.Value, pre.Resample));

            File.WriteAllText(path, """{"resample": 7}""");
            var ex = Assert.Throws<ImagePreprocessorConfigException>(() => ImagePreprocessor.FromFile(path));
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.Equal("resample", ex.Key);

            Assert.Throws<FileNotFoundException>(() => ImagePreprocessor.FromFile(Path.Combine(dir.FullName, "missing.json")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("""{"size": {"height": 0, "width": 10}}""", "size.height")]
    [InlineData("""{"size": {"height": 10}}""", "size.width")]
    [InlineData("""{"size": {"width": "224", "height": 224}}""", "size.width")]
    [InlineData("""{"size": {"longest_edge": 10}}""", "size")]
    [InlineData("""{"size": [224, 224]}""", "size")]
    [InlineData("""{"size": {"shortest_edge": 224, "longest_edge": 100}}""", "size.longest_edge")]
    [InlineData("""{"size": {"height": 1000000, "width": 10}}""", "size.height")]
    [InlineData("""{"resample": 2.5}""", "resample")]
    [InlineData("""{"resample": -1}""", "resample")]
    [InlineData("""{"do_resize": "yes"}""", "do_resize")]
    [InlineData("""{"do_normalize": 1}""", "do_normalize")]
    [InlineData("""{"rescale_factor": 0}""", "rescale_factor")]
    [InlineData("""{"rescale_factor": "1/255"}""", "rescale_factor")]
    [InlineData("""{"image_mean": [0.5, 0.5]}""", "image_mean")]
    [InlineData("""{"image_mean": [0.5, "a", 0.5]}""", "image_mean")]
    [InlineData("""{"image_std": [0.5, 0, 0.5]}""", "image_std")]
    [InlineData("""{"do_center_crop": true}""", "crop_size")]
    [InlineData("""{"do_center_crop": true, "crop_size": {"height": 3}}""", "crop_size.width")]
    [InlineData("""{"image_processor_type": 5}""", "image_processor_type")]
    public void Malformed_configs_name_the_key(string json, string key)
    {
        var ex = Assert.Throws<ImagePreprocessorConfigException>(() => ImagePreprocessor.FromJson(json));
        Assert.Equal(key, ex.Key);
        Assert.Contains($"'{key}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    [InlineData("")]
    public void Documents_that_are_not_a_JSON_object_are_refused(string json)
    {
        var ex = Assert.Throws<ImagePreprocessorConfigException>(() => ImagePreprocessor.FromJson(json));
        Assert.Null(ex.Key);
    }
}
