using System.Globalization;
using System.Text.Json;

namespace SkAgents.Imaging;

/// <summary>
/// Turns a decoded image into a model's input tensor as its Hugging Face <c>preprocessor_config.json</c> says
/// (<c>ViTImageProcessor</c>, <c>BlipImageProcessor</c> and <c>CLIPImageProcessor</c> conventions): convert to RGB,
/// resize, centre-crop, rescale, normalise, channels first.
/// </summary>
/// <remarks>
/// <para>
/// Steps, in the transformers order: (1) RGB: alpha is dropped, as Pillow's <c>convert("RGB")</c> does (it is not
/// composited on a background); the output always has 3 channels whatever <c>do_convert_rgb</c> says. (2) Resize
/// (<c>do_resize</c>) to <c>size</c>: <c>{"height", "width"}</c> exactly, or <c>{"shortest_edge"}</c> keeping the
/// aspect ratio (the long side is <c>int(shortest_edge × long / short)</c>, capped by <c>longest_edge</c> when given),
/// with <c>resample</c> as in Pillow (0 nearest, 1 Lanczos, 2 bilinear, 3 bicubic, 4 box, 5 Hamming) and Pillow's
/// exact 8-bit arithmetic (see <see cref="ImageResizer"/>). (3) Centre crop (<c>do_center_crop</c>, <c>crop_size</c>),
/// zero-padded when the image is smaller, as transformers' <c>center_crop</c>. (4) <c>do_rescale</c>: multiply by
/// <c>rescale_factor</c> (default 1/255). (5) <c>do_normalize</c>: <c>(x - image_mean[c]) / image_std[c]</c> in
/// single precision. (6) Channels first: <c>[3, H, W]</c>.
/// </para>
/// <para>
/// Keys that are missing take the defaults of the processor named by <c>image_processor_type</c> (or
/// <c>feature_extractor_type</c>): BLIP 384×384 bicubic with the OpenAI CLIP mean/std; CLIP shortest edge 224,
/// bicubic, centre crop 224, CLIP mean/std; anything else ViT's 224×224 bilinear with mean = std = 0.5.
/// A bare number for <c>size</c> means a square, except for CLIP, where it is the shortest edge; a bare number for
/// <c>crop_size</c> is a square. Other keys are ignored.
/// </para>
/// </remarks>
public sealed class ImagePreprocessor
{
    private const int MaxSide = 16_384;
    private static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    private static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];
    private static readonly float[] HalfMeanStd = [0.5f, 0.5f, 0.5f];

    private readonly float[] _mean;
    private readonly float[] _std;

    private ImagePreprocessor(string? source, JsonElement root)
    {
        var type = GetString(root, "image_processor_type", source) ?? GetString(root, "feature_extractor_type", source);
        ProcessorType = type;
        var family = type is null ? "vit"
            : type.StartsWith("Blip", StringComparison.Ordinal) ? "blip"
            : type.StartsWith("CLIP", StringComparison.Ordinal) ? "clip"
            : "vit";

        DoResize = GetBool(root, "do_resize", source) ?? true;
        (Height, Width, ShortestEdge, LongestEdge) = ReadSize(root, "size", source, family);
        var resample = GetInt(root, "resample", source);
        if (resample is { } r && (r < 0 || r > 5))
        {
            throw Error(source, "resample", $"'resample' is {r}; use a Pillow filter number: 0 (nearest), 1 (Lanczos), 2 (bilinear), 3 (bicubic), 4 (box) or 5 (Hamming).");
        }

        Resample = resample is { } rr ? (ResampleFilter)rr : family == "vit" ? ResampleFilter.Bilinear : ResampleFilter.Bicubic;
        DoCenterCrop = GetBool(root, "do_center_crop", source) ?? family == "clip";
        (CropHeight, CropWidth) = ReadCropSize(root, source, family);
        DoRescale = GetBool(root, "do_rescale", source) ?? true;
        RescaleFactor = GetDouble(root, "rescale_factor", source) ?? (1.0 / 255.0);
        if (!double.IsFinite(RescaleFactor) || RescaleFactor <= 0)
        {
            throw Error(source, "rescale_factor", $"'rescale_factor' must be a positive number (usually 0.00392156862745098 = 1/255), not {RescaleFactor.ToString(CultureInfo.InvariantCulture)}.");
        }

        DoNormalize = GetBool(root, "do_normalize", source) ?? true;
        _mean = ReadTriple(root, "image_mean", source) ?? (family == "vit" ? HalfMeanStd : ClipMean);
        _std = ReadTriple(root, "image_std", source) ?? (family == "vit" ? HalfMeanStd : ClipStd);
        foreach (var s in _std)
        {
            if (s == 0 || !float.IsFinite(s))
            {
                throw Error(source, "image_std", "'image_std' must hold non-zero finite numbers (one per channel).");
            }
        }

        DoConvertRgb = GetBool(root, "do_convert_rgb", source) ?? true;
    }

    /// <summary>Gets the <c>image_processor_type</c> (or <c>feature_extractor_type</c>) the config names, if any.</summary>
    public string? ProcessorType { get; }

    /// <summary>Gets whether images are resized (<c>do_resize</c>).</summary>
    public bool DoResize { get; }

    /// <summary>Gets the exact output height (<c>size.height</c>), or <see langword="null"/> when the size is a shortest edge.</summary>
    public int? Height { get; }

    /// <summary>Gets the exact output width (<c>size.width</c>), or <see langword="null"/> when the size is a shortest edge.</summary>
    public int? Width { get; }

    /// <summary>Gets the length the shorter side is resized to (<c>size.shortest_edge</c>), or <see langword="null"/>.</summary>
    public int? ShortestEdge { get; }

    /// <summary>Gets the cap on the longer side when resizing by shortest edge (<c>size.longest_edge</c>), or <see langword="null"/>.</summary>
    public int? LongestEdge { get; }

    /// <summary>Gets the resampling filter (<c>resample</c>).</summary>
    public ResampleFilter Resample { get; }

    /// <summary>Gets whether the resized image is centre-cropped (<c>do_center_crop</c>).</summary>
    public bool DoCenterCrop { get; }

    /// <summary>Gets the crop height (<c>crop_size.height</c>); <see langword="null"/> when no crop size is configured.</summary>
    public int? CropHeight { get; }

    /// <summary>Gets the crop width (<c>crop_size.width</c>); <see langword="null"/> when no crop size is configured.</summary>
    public int? CropWidth { get; }

    /// <summary>Gets whether samples are multiplied by <see cref="RescaleFactor"/> (<c>do_rescale</c>).</summary>
    public bool DoRescale { get; }

    /// <summary>Gets the rescale factor (<c>rescale_factor</c>, usually 1/255).</summary>
    public double RescaleFactor { get; }

    /// <summary>Gets whether samples are normalised with <see cref="ImageMean"/> and <see cref="ImageStd"/> (<c>do_normalize</c>).</summary>
    public bool DoNormalize { get; }

    /// <summary>Gets the per-channel mean (R, G, B) subtracted when normalising (<c>image_mean</c>).</summary>
    public IReadOnlyList<float> ImageMean => _mean;

    /// <summary>Gets the per-channel standard deviation (R, G, B) divided by when normalising (<c>image_std</c>).</summary>
    public IReadOnlyList<float> ImageStd => _std;

    /// <summary>Gets <c>do_convert_rgb</c> as configured; alpha is dropped and 3 channels produced either way.</summary>
    public bool DoConvertRgb { get; }

    /// <summary>Reads a <c>preprocessor_config.json</c> file.</summary>
    /// <param name="path">The file (usually in the model folder).</param>
    /// <returns>The preprocessor.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ImagePreprocessorConfigException">The file is not valid JSON or a key has a wrong value (the message names the file and the key).</exception>
    public static ImagePreprocessor FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The image preprocessor config '{path}' does not exist (a model folder usually has it as preprocessor_config.json).", path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Reads a <c>preprocessor_config.json</c> document.</summary>
    /// <param name="json">The JSON text (an object).</param>
    /// <returns>The preprocessor.</returns>
    /// <exception cref="ImagePreprocessorConfigException">The text is not a JSON object or a key has a wrong value (the message names the key).</exception>
    public static ImagePreprocessor FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(json, null);
    }

    /// <summary>Computes the output size for an input size: after resizing and, when configured, centre cropping.</summary>
    /// <param name="imageWidth">The input width.</param>
    /// <param name="imageHeight">The input height.</param>
    /// <returns>The output height and width.</returns>
    public (int Height, int Width) GetOutputSize(int imageWidth, int imageHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        var (h, w) = DoResize ? ResizedSize(imageWidth, imageHeight) : (imageHeight, imageWidth);
        if (DoCenterCrop && CropHeight is { } ch && CropWidth is { } cw)
        {
            (h, w) = (ch, cw);
        }

        return (h, w);
    }

    /// <summary>Gets the shape of the tensor <see cref="Process"/> returns for an image: <c>[3, height, width]</c>.</summary>
    /// <param name="image">The image.</param>
    /// <returns>Channels, height, width.</returns>
    public int[] GetOutputShape(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (h, w) = GetOutputSize(image.Width, image.Height);
        return [3, h, w];
    }

    /// <summary>Turns an image into the model's input: a channels-first float tensor of shape <see cref="GetOutputShape"/>.</summary>
    /// <param name="image">The decoded image.</param>
    /// <returns><c>3 × height × width</c> floats: all of R, then all of G, then all of B, each row-major from the top.</returns>
    public float[] Process(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int width = image.Width, height = image.Height;
        var rgb = new byte[(long)width * height * 3];
        for (long i = 0, n = (long)width * height; i < n; i++)
        {
            rgb[i * 3] = image.Pixels[i * 4];
            rgb[(i * 3) + 1] = image.Pixels[(i * 4) + 1];
            rgb[(i * 3) + 2] = image.Pixels[(i * 4) + 2];
        }

        if (DoResize)
        {
            var (h, w) = ResizedSize(width, height);
            rgb = ImageResizer.Resize(rgb, 3, width, height, w, h, Resample);
            (width, height) = (w, h);
        }

        if (DoCenterCrop && CropHeight is { } cropH && CropWidth is { } cropW)
        {
            rgb = CenterCrop(rgb, width, height, cropW, cropH);
            (width, height) = (cropW, cropH);
        }

        // One lookup table per channel: the same float arithmetic as numpy (float64 rescale cast to float32, then float32 normalise).
        var table = new float[3 * 256];
        for (var c = 0; c < 3; c++)
        {
            for (var v = 0; v < 256; v++)
            {
                var f = DoRescale ? (float)(v * RescaleFactor) : v;
                if (DoNormalize)
                {
                    f = (f - _mean[c]) / _std[c];
                }

                table[(c * 256) + v] = f;
            }
        }

        var plane = (long)width * height;
        var output = new float[plane * 3];
        for (long i = 0; i < plane; i++)
        {
            output[i] = table[rgb[i * 3]];
            output[plane + i] = table[256 + rgb[(i * 3) + 1]];
            output[(2 * plane) + i] = table[512 + rgb[(i * 3) + 2]];
        }

        return output;
    }

    private (int Height, int Width) ResizedSize(int width, int height)
    {
        if (Height is { } h && Width is { } w)
        {
            return (h, w);
        }

        var requested = ShortestEdge!.Value;
        var (shortSide, longSide) = width <= height ? (width, height) : (height, width);
        var newShort = requested;
        var newLong = (int)((double)((long)requested * longSide) / shortSide);
        if (LongestEdge is { } max && newLong > max)
        {
            newShort = (int)((double)((long)max * newShort) / newLong);
            newLong = max;
        }

        newShort = Math.Max(1, newShort);
        return width <= height ? (newLong, newShort) : (newShort, newLong);
    }

    // transformers' center_crop: top = floor((height - crop) / 2), left likewise; where the crop reaches past the
    // image (a crop larger than the image), transformers pads with zeros, so those samples stay 0.
    private static byte[] CenterCrop(byte[] rgb, int width, int height, int cropW, int cropH)
    {
        var top = FloorDiv(height - cropH, 2);
        var left = FloorDiv(width - cropW, 2);
        var result = new byte[(long)cropW * cropH * 3];
        for (var y = 0; y < cropH; y++)
        {
            var sy = top + y;
            if (sy < 0 || sy >= height)
            {
                continue;
            }

            for (var x = 0; x < cropW; x++)
            {
                var sx = left + x;
                if (sx >= 0 && sx < width)
                {
                    Array.Copy(rgb, (((long)sy * width) + sx) * 3, result, (((long)y * cropW) + x) * 3, 3);
                }
            }
        }

        return result;
    }

    private static int FloorDiv(int a, int b) => (int)Math.Floor((double)a / b);

    private static ImagePreprocessor Parse(string json, string? source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new ImagePreprocessorConfigException($"{Where(source)}is not valid JSON: {ex.Message}", null, ex);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ImagePreprocessorConfigException($"{Where(source)}must be a JSON object, not {doc.RootElement.ValueKind}.");
            }

            return new ImagePreprocessor(source, doc.RootElement);
        }
    }

    private static string Where(string? source) => source is null ? "The image preprocessor config " : $"The image preprocessor config '{source}' ";

    private static ImagePreprocessorConfigException Error(string? source, string key, string message) =>
        new($"{Where(source)}is invalid: {message}", key);

    private static JsonElement? Get(JsonElement root, string key) =>
        root.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? GetString(JsonElement root, string key, string? source) => Get(root, key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        { } v => throw Error(source, key, $"'{key}' must be a string, not {v.ValueKind}."),
    };

    private static bool? GetBool(JsonElement root, string key, string? source) => Get(root, key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { } v => throw Error(source, key, $"'{key}' must be true or false, not {v.GetRawText()}."),
    };

    private static double? GetDouble(JsonElement root, string key, string? source) => Get(root, key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
        { } v => throw Error(source, key, $"'{key}' must be a number, not {v.GetRawText()}."),
    };

    private static int? GetInt(JsonElement root, string key, string? source) => Get(root, key) is { } v ? ToInt(v, key, source) : null;

    private static int ToInt(JsonElement v, string key, string? source)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue)
        {
            return (int)d;
        }

        throw Error(source, key, $"'{key}' must be an integer, not {v.GetRawText()}.");
    }

    private static int Side(JsonElement v, string key, string? source)
    {
        var n = ToInt(v, key, source);
        if (n < 1 || n > MaxSide)
        {
            throw Error(source, key, $"'{key}' is {n}; it must be between 1 and {MaxSide}.");
        }

        return n;
    }

    private static (int? Height, int? Width, int? Shortest, int? Longest) ReadSize(JsonElement root, string key, string? source, string family)
    {
        var v = Get(root, key);
        if (v is null)
        {
            return family switch
            {
                "blip" => (384, 384, null, null),
                "clip" => (null, null, 224, null),
                _ => (224, 224, null, null),
            };
        }

        var e = v.Value;
        if (e.ValueKind == JsonValueKind.Number)
        {
            var n = Side(e, key, source);
            return family == "clip" ? (null, null, n, null) : (n, n, null, null);
        }

        if (e.ValueKind != JsonValueKind.Object)
        {
            throw Error(source, key, $"'{key}' must be an object such as {{\"height\": 224, \"width\": 224}} or {{\"shortest_edge\": 224}}, or a number, not {e.GetRawText()}.");
        }

        var hasH = e.TryGetProperty("height", out var h) && h.ValueKind != JsonValueKind.Null;
        var hasW = e.TryGetProperty("width", out var w) && w.ValueKind != JsonValueKind.Null;
        var hasS = e.TryGetProperty("shortest_edge", out var s) && s.ValueKind != JsonValueKind.Null;
        var hasL = e.TryGetProperty("longest_edge", out var l) && l.ValueKind != JsonValueKind.Null;
        if (hasH && hasW)
        {
            return (Side(h, $"{key}.height", source), Side(w, $"{key}.width", source), null, null);
        }

        if (hasH != hasW)
        {
            var missing = hasH ? "width" : "height";
            throw Error(source, $"{key}.{missing}", $"'{key}.{missing}' is missing: '{key}' has {(hasH ? "height" : "width")} but no {missing}; give both, or 'shortest_edge'.");
        }

        if (hasS)
        {
            var shortest = Side(s, $"{key}.shortest_edge", source);
            int? longest = hasL ? Side(l, $"{key}.longest_edge", source) : null;
            if (longest <= shortest)
            {
                throw Error(source, $"{key}.longest_edge", $"'{key}.longest_edge' ({longest}) must be larger than '{key}.shortest_edge' ({shortest}).");
            }

            return (null, null, shortest, longest);
        }

        throw Error(source, key, $"'{key}' must have 'height' and 'width', or 'shortest_edge'; found {e.GetRawText()}.");
    }

    private (int? Height, int? Width) ReadCropSize(JsonElement root, string? source, string family)
    {
        const string key = "crop_size";
        var v = Get(root, key);
        if (v is null)
        {
            if (DoCenterCrop && family != "clip")
            {
                throw Error(source, key, "'do_center_crop' is true but there is no 'crop_size'; add {\"height\": H, \"width\": W}.");
            }

            return family == "clip" ? (224, 224) : (null, null);
        }

        var e = v.Value;
        if (e.ValueKind == JsonValueKind.Number)
        {
            var n = Side(e, key, source);
            return (n, n);
        }

        if (e.ValueKind == JsonValueKind.Object)
        {
            if (!e.TryGetProperty("height", out var h) || h.ValueKind == JsonValueKind.Null)
            {
                throw Error(source, $"{key}.height", $"'{key}.height' is missing; crop_size needs height and width.");
            }

            if (!e.TryGetProperty("width", out var w) || w.ValueKind == JsonValueKind.Null)
            {
                throw Error(source, $"{key}.width", $"'{key}.width' is missing; crop_size needs height and width.");
            }

            return (Side(h, $"{key}.height", source), Side(w, $"{key}.width", source));
        }

        throw Error(source, key, $"'{key}' must be an object {{\"height\": H, \"width\": W}} or a number, not {e.GetRawText()}.");
    }

    private static float[]? ReadTriple(JsonElement root, string key, string? source)
    {
        var v = Get(root, key);
        if (v is null)
        {
            return null;
        }

        var e = v.Value;
        if (e.ValueKind == JsonValueKind.Number)
        {
            var f = (float)e.GetDouble();
            return [f, f, f];
        }

        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() is not (1 or 3))
        {
            throw Error(source, key, $"'{key}' must be a list of 3 numbers (R, G, B), not {e.GetRawText()}.");
        }

        var values = new List<float>();
        foreach (var item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number)
            {
                throw Error(source, key, $"'{key}' must hold numbers, but has {item.GetRawText()}.");
            }

            values.Add((float)item.GetDouble());
        }

        return values.Count == 1 ? [values[0], values[0], values[0]] : [.. values];
    }
}
