using System.Text.Json;
using SkAgents.LocalModels.GenAI;
using SkAgents.OnnxRuntime;
using SkAgents.Tokenizers;

namespace SkAgents.LocalModels.Captioning;

/// <summary>
/// Captions images with a vision-encoder + text-decoder model in the ONNX folder layout Hugging Face Optimum exports
/// (ViT-GPT2 and similar): <c>encoder_model.onnx</c> maps <c>pixel_values</c> [B,3,H,W] to <c>last_hidden_state</c>,
/// <c>decoder_model.onnx</c> maps <c>input_ids</c> and <c>encoder_hidden_states</c> to <c>logits</c>; token ids come from
/// <c>config.json</c>/<c>generation_config.json</c> and text from <c>tokenizer.json</c>. Decoding is greedy.
/// </summary>
/// <remarks>
/// The decoder is run on the whole caption so far at each step (no KV cache): captions are a few dozen tokens, and the
/// cache-less export is the one every captioner has. Pixel values must already be resized and normalized as the folder's
/// <c>preprocessor_config.json</c> says.
/// </remarks>
public sealed class OnnxImageCaptioner : IDisposable
{
    private readonly InferenceSession _encoder;
    private readonly InferenceSession _decoder;
    private readonly Tokenizer _tokenizer;
    private readonly int _startTokenId;
    private readonly int _endTokenId;
    private readonly int _maxTokens;
    private readonly string _encoderOutput;
    private int _disposed;

    private OnnxImageCaptioner(string folder, InferenceSession encoder, InferenceSession decoder, Tokenizer tokenizer, int start, int end, int maxTokens, string encoderOutput)
    {
        Folder = folder;
        _encoder = encoder;
        _decoder = decoder;
        _tokenizer = tokenizer;
        _startTokenId = start;
        _endTokenId = end;
        _maxTokens = maxTokens;
        _encoderOutput = encoderOutput;
    }

    /// <summary>Gets the model folder.</summary>
    public string Folder { get; }

    /// <summary>Loads a captioning model folder.</summary>
    /// <param name="folder">The folder.</param>
    /// <param name="options">Options; defaults when null.</param>
    /// <returns>The captioner; dispose it to release the sessions.</returns>
    /// <exception cref="ModelFolderException">A file is missing or malformed, or a model lacks the expected inputs or outputs.</exception>
    public static OnnxImageCaptioner Load(string folder, OnnxImageCaptionerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        options ??= new OnnxImageCaptionerOptions();
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full))
        {
            throw new ModelFolderException($"The captioning model folder '{full}' does not exist.");
        }

        var encoderPath = Require(full, "encoder_model.onnx");
        var decoderPath = Require(full, "decoder_model.onnx");
        var tokenizerPath = Require(full, "tokenizer.json");
        var (start, end, maxLength) = ReadTokenIds(full);
        Tokenizer tokenizer;
        try
        {
            tokenizer = Tokenizer.FromFile(tokenizerPath);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            throw new ModelFolderException($"'{tokenizerPath}' is not a usable tokenizer: {ex.Message}");
        }

        InferenceSession? encoder = null;
        InferenceSession? decoder = null;
        try
        {
            encoder = Open(encoderPath, options.SessionOptions);
            decoder = Open(decoderPath, options.SessionOptions);
            Expect(encoder, encoderPath, inputs: ["pixel_values"], outputs: []);
            Expect(decoder, decoderPath, inputs: ["input_ids", "encoder_hidden_states"], outputs: ["logits"]);
            var encoderOutput = encoder.OutputNames.Contains("last_hidden_state") ? "last_hidden_state" : encoder.OutputNames[0];
            // max_length counts the start token, as in Hugging Face generate().
            var maxTokens = options.MaxTokens ?? (maxLength is { } length ? Math.Max(1, length - 1) : 32);
            return new OnnxImageCaptioner(full, encoder, decoder, tokenizer, start, end, maxTokens, encoderOutput);
        }
        catch
        {
            encoder?.Dispose();
            decoder?.Dispose();
            throw;
        }
    }

    /// <summary>Writes a caption for one preprocessed image.</summary>
    /// <param name="pixelValues">The image as a [3, height, width] tensor (channels first), normalized as the preprocessor config says.</param>
    /// <param name="height">The tensor's height.</param>
    /// <param name="width">The tensor's width.</param>
    /// <param name="cancellationToken">Cancels between steps and inside ONNX Runtime runs.</param>
    /// <returns>The caption.</returns>
    /// <exception cref="ArgumentException">The tensor's length is not 3 × height × width.</exception>
    public string Caption(ReadOnlyMemory<float> pixelValues, int height, int width, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (pixelValues.Length != 3L * height * width)
        {
            throw new ArgumentException($"A 3×{height}×{width} image tensor has {3L * height * width} values, not {pixelValues.Length}.", nameof(pixelValues));
        }

        var pixels = pixelValues.ToArray();
        using var pixelTensor = OrtValue.CreateTensor(pixels, [1, 3, height, width]);
        using var encoded = _encoder.Run(["pixel_values"], [pixelTensor], [_encoderOutput], null, cancellationToken);
        var hidden = encoded[0];

        var ids = new List<long>(_maxTokens + 1) { _startTokenId };
        while (ids.Count <= _maxTokens)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var input = ids.ToArray();
            using var inputTensor = OrtValue.CreateTensor(input, [1, input.Length]);
            using var output = _decoder.Run(["input_ids", "encoder_hidden_states"], [inputTensor, hidden], ["logits"], null, cancellationToken);
            var logits = output[0];
            var shape = logits.Shape;
            if (shape.Length != 3 || shape[1] != input.Length)
            {
                throw new InvalidDataException($"'{Path.Combine(Folder, "decoder_model.onnx")}' returned logits of shape [{string.Join(", ", shape.ToArray())}]; expected [1, {input.Length}, vocabulary].");
            }

            var vocabulary = (int)shape[2];
            var last = logits.GetTensorSpan<float>().Slice((input.Length - 1) * vocabulary, vocabulary);
            var next = 0;
            for (var i = 1; i < last.Length; i++)
            {
                if (last[i] > last[next])
                {
                    next = i;
                }
            }

            if (next == _endTokenId)
            {
                break;
            }

            ids.Add(next);
        }

        return _tokenizer.Decode(ids.Skip(1).Select(id => (int)id), skipSpecialTokens: true).Trim();
    }

    /// <summary>Writes a caption on a worker thread (ONNX Runtime runs are synchronous).</summary>
    /// <param name="pixelValues">The image as a [3, height, width] tensor, normalized as the preprocessor config says.</param>
    /// <param name="height">The tensor's height.</param>
    /// <param name="width">The tensor's width.</param>
    /// <param name="cancellationToken">Cancels the captioning.</param>
    /// <returns>The caption.</returns>
    public Task<string> CaptionAsync(ReadOnlyMemory<float> pixelValues, int height, int width, CancellationToken cancellationToken = default) =>
        Task.Run(() => Caption(pixelValues, height, width, cancellationToken), cancellationToken);

    /// <summary>Releases both sessions.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _encoder.Dispose();
            _decoder.Dispose();
        }
    }

    private static string Require(string folder, string file)
    {
        var path = Path.Combine(folder, file);
        return File.Exists(path)
            ? path
            : throw new ModelFolderException($"The captioning model folder '{folder}' has no '{file}' (expected the Optimum vision-encoder-decoder export: encoder_model.onnx, decoder_model.onnx, tokenizer.json, config.json).");
    }

    private static InferenceSession Open(string path, SessionOptions? options)
    {
        try
        {
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelFolderException($"'{path}' could not be loaded by ONNX Runtime: {ex.Message}", ex);
        }
    }

    private static void Expect(InferenceSession session, string path, string[] inputs, string[] outputs)
    {
        var missingInput = inputs.FirstOrDefault(name => !session.InputNames.Contains(name));
        if (missingInput is not null)
        {
            throw new ModelFolderException($"'{path}' has no input '{missingInput}' (it has: {string.Join(", ", session.InputNames)}).");
        }

        var missingOutput = outputs.FirstOrDefault(name => !session.OutputNames.Contains(name));
        if (missingOutput is not null || session.OutputNames.Count == 0)
        {
            throw new ModelFolderException($"'{path}' has no output '{missingOutput}' (it has: {string.Join(", ", session.OutputNames)}).");
        }
    }

    /// <summary>Reads the start and end token ids and the length limit from generation_config.json, then config.json (top level, then "decoder").</summary>
    private static (int Start, int End, int? MaxLength) ReadTokenIds(string folder)
    {
        var configPath = Require(folder, "config.json");
        JsonElement? generation = null;
        JsonElement config;
        try
        {
            config = JsonDocument.Parse(File.ReadAllText(configPath)).RootElement;
            var generationPath = Path.Combine(folder, "generation_config.json");
            if (File.Exists(generationPath))
            {
                generation = JsonDocument.Parse(File.ReadAllText(generationPath)).RootElement;
            }
        }
        catch (JsonException ex)
        {
            throw new ModelFolderException($"A JSON file in '{folder}' is malformed: {ex.Message}");
        }

        int? Find(string name)
        {
            foreach (var source in new[] { generation, config, config.TryGetProperty("decoder", out var d) ? d : (JsonElement?)null })
            {
                if (source is { ValueKind: JsonValueKind.Object } element && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number)
                {
                    return value.GetInt32();
                }
            }

            return null;
        }

        var start = Find("decoder_start_token_id") ?? Find("bos_token_id")
            ?? throw new ModelFolderException($"'{configPath}' names no decoder_start_token_id or bos_token_id (also looked in generation_config.json and \"decoder\").");
        var end = Find("eos_token_id")
            ?? throw new ModelFolderException($"'{configPath}' names no eos_token_id (also looked in generation_config.json and \"decoder\").");
        var maxLength = Find("max_length");
        return (start, end, maxLength);
    }
}
