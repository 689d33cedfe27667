using System.Text.Json;

namespace SkAgents.ModelFactory.Models;

/// <summary>
/// Writes a tiny image-captioning model in the ONNX layout that Hugging Face Optimum exports for vision-encoder-decoder
/// models (ViT-GPT2 style): <c>encoder_model.onnx</c> (pixel_values → last_hidden_state), <c>decoder_model.onnx</c>
/// (input_ids, encoder_hidden_states → logits), <c>config.json</c>, <c>generation_config.json</c>,
/// <c>preprocessor_config.json</c> and a WordLevel <c>tokenizer.json</c>.
/// </summary>
/// <remarks>
/// The weights make greedy decoding write <c>"a {colour} square"</c>, where the colour is the image's dominant channel:
/// the encoder's one "patch" is the per-channel mean of the normalized pixels; the decoder's logits are a token-to-token
/// transition table (<c>[BOS] → a → {red|green|blue} → square → [EOS]</c>, 10 points each) plus, for the three colour
/// words only, 5 × that channel mean. After "a" the three colours tie on transitions, so the image decides.
/// </remarks>
public static class TinyCaptionerFactory
{
    /// <summary>The vocabulary, by id.</summary>
    public static readonly IReadOnlyList<string> Vocabulary = ["[PAD]", "[BOS]", "[EOS]", "[UNK]", "a", "red", "green", "blue", "square", "photo"];

    /// <summary>The image side the preprocessor config asks for.</summary>
    public const int ImageSize = 8;

    private static readonly string[] Architectures = ["VisionEncoderDecoderModel"];
    private static readonly double[] Half = [0.5, 0.5, 0.5];
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private const int Bos = 1, Eos = 2, A = 4, Red = 5, Green = 6, Blue = 7, Square = 8;

    /// <summary>Writes the model folder.</summary>
    /// <param name="folder">The folder (created when missing).</param>
    /// <param name="maxLength"><c>generation_config.json</c> <c>max_length</c>.</param>
    /// <param name="neverEnd">When true, the transitions never reach [EOS] (square → square), to test the length limit.</param>
    /// <returns>The folder.</returns>
    public static string Write(string folder, int maxLength = 20, bool neverEnd = false)
    {
        Directory.CreateDirectory(folder);
        WriteEncoder(Path.Combine(folder, "encoder_model.onnx"));
        WriteDecoder(Path.Combine(folder, "decoder_model.onnx"), neverEnd);
        WriteJson(Path.Combine(folder, "config.json"), new Dictionary<string, object?>
        {
            ["model_type"] = "vision-encoder-decoder",
            ["architectures"] = Architectures,
            ["decoder_start_token_id"] = Bos,
            ["eos_token_id"] = Eos,
            ["pad_token_id"] = 0,
            ["encoder"] = new Dictionary<string, object> { ["model_type"] = "vit", ["hidden_size"] = 3, ["image_size"] = ImageSize },
            ["decoder"] = new Dictionary<string, object> { ["model_type"] = "gpt2", ["vocab_size"] = Vocabulary.Count, ["bos_token_id"] = Bos, ["eos_token_id"] = Eos },
        });
        WriteJson(Path.Combine(folder, "generation_config.json"), new Dictionary<string, object>
        {
            ["decoder_start_token_id"] = Bos,
            ["eos_token_id"] = Eos,
            ["pad_token_id"] = 0,
            ["max_length"] = maxLength,
        });
        WriteJson(Path.Combine(folder, "preprocessor_config.json"), new Dictionary<string, object>
        {
            ["image_processor_type"] = "ViTImageProcessor",
            ["do_resize"] = true,
            ["size"] = new Dictionary<string, int> { ["height"] = ImageSize, ["width"] = ImageSize },
            ["resample"] = 2,
            ["do_rescale"] = true,
            ["rescale_factor"] = 1.0 / 255,
            ["do_normalize"] = true,
            ["image_mean"] = Half,
            ["image_std"] = Half,
        });
        WriteTokenizer(folder);
        return folder;
    }

    private static void WriteEncoder(string path)
    {
        var model = new OnnxModelBuilder("tiny-captioner-encoder");
        var g = model.Graph;
        g.Input("pixel_values", OnnxDataType.Float, "batch_size", 3, "height", "width");
        var axes = g.Initializer("mean_axes", new long[] { 2, 3 }, 2);
        var mean = g.Node("ReduceMean", ["pixel_values", axes], [g.UniqueName("channel_mean")]);
        mean.Attr("keepdims", 0L);
        var shape = g.Initializer("patch_shape", new long[] { -1, 1, 3 }, 3);
        g.Op("Reshape", [mean.Outputs[0], shape], "last_hidden_state");
        g.Output("last_hidden_state", OnnxDataType.Float, "batch_size", 1, 3);
        model.Save(path);
    }

    private static void WriteDecoder(string path, bool neverEnd)
    {
        int v = Vocabulary.Count;
        var transitions = new float[v * v];
        void Prefer(int from, params int[] to)
        {
            foreach (var t in to)
            {
                transitions[(from * v) + t] = 10;
            }
        }

        Prefer(Bos, A);
        Prefer(A, Red, Green, Blue);
        Prefer(Red, Square);
        Prefer(Green, Square);
        Prefer(Blue, Square);
        Prefer(Square, neverEnd ? Square : Eos);
        Prefer(Eos, Eos);

        var colour = new float[3 * v];
        colour[(0 * v) + Red] = 5;
        colour[(1 * v) + Green] = 5;
        colour[(2 * v) + Blue] = 5;

        var model = new OnnxModelBuilder("tiny-captioner-decoder");
        var g = model.Graph;
        g.Input("input_ids", OnnxDataType.Int64, "batch_size", "decoder_sequence_length");
        g.Input("encoder_hidden_states", OnnxDataType.Float, "batch_size", "encoder_sequence_length", 3);
        var table = g.Initializer("transitions", transitions, v, v);
        var byToken = g.Gather(table, "input_ids");                                  // [B, T, V]
        var axes = g.Initializer("patch_axis", new long[] { 1 }, 1);
        var pooled = g.Node("ReduceMean", ["encoder_hidden_states", axes], [g.UniqueName("pooled")]);  // [B, 1, 3]
        pooled.Attr("keepdims", 1L);
        var byImage = g.MatMul(pooled.Outputs[0], g.Initializer("colour_words", colour, 3, v));  // [B, 1, V]
        g.Add(byToken, byImage, "logits");
        g.Output("logits", OnnxDataType.Float, "batch_size", "decoder_sequence_length", v);
        model.Save(path);
    }

    private static void WriteTokenizer(string folder)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Vocabulary.Count; i++)
        {
            vocab[Vocabulary[i]] = i;
        }

        var added = Enumerable.Range(0, 4).Select(i => new Dictionary<string, object>
        {
            ["id"] = i, ["content"] = Vocabulary[i], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        }).ToList();
        WriteJson(Path.Combine(folder, "tokenizer.json"), new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = new Dictionary<string, object?> { ["type"] = "Lowercase" },
            ["pre_tokenizer"] = new Dictionary<string, object> { ["type"] = "Whitespace" },
            ["post_processor"] = null,
            ["decoder"] = new Dictionary<string, object> { ["type"] = "WordPiece", ["prefix"] = "##", ["cleanup"] = true },
            ["model"] = new Dictionary<string, object> { ["type"] = "WordLevel", ["vocab"] = vocab, ["unk_token"] = "[UNK]" },
        });
    }

    private static void WriteJson(string path, object value) =>
        File.WriteAllText(path, JsonSerializer.Serialize(value, Indented));
}
