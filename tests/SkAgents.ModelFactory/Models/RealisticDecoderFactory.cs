using System.Text.Json;

namespace SkAgents.ModelFactory.Models;

/// <summary>Dimensions of a realistic decoder.</summary>
/// <param name="Name">A label.</param>
/// <param name="Layers">Layers.</param>
/// <param name="Hidden">Hidden size.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="KvHeads">Key/value heads.</param>
/// <param name="HeadSize">Head size.</param>
/// <param name="Intermediate">MLP width.</param>
/// <param name="Vocabulary">Vocabulary (logits width).</param>
/// <param name="ContextLength">Context length.</param>
/// <param name="ModelType">genai_config model.type.</param>
public sealed record DecoderDimensions(string Name, int Layers, int Hidden, int Heads, int KvHeads, int HeadSize, int Intermediate, int Vocabulary, int ContextLength, string ModelType)
{
    /// <summary>Qwen2.5-0.5B: 24 layers, hidden 896, 14 heads, 2 KV heads of 64, MLP 4864, vocabulary 151936.</summary>
    public static DecoderDimensions Qwen25HalfB { get; } = new("qwen2.5-0.5b", 24, 896, 14, 2, 64, 4864, 151936, 32768, "qwen2");

    /// <summary>Phi-3-mini: 32 layers, hidden 3072, 32 heads and KV heads of 96, MLP 8192, vocabulary 32064.</summary>
    public static DecoderDimensions Phi3Mini { get; } = new("phi-3-mini", 32, 3072, 32, 32, 96, 8192, 32064, 4096, "phi3");

    /// <summary>Approximate size of the written .onnx file in bytes (int4 weights, fp32 embedding of at most 8192 rows).</summary>
    public long EstimatedBytes
    {
        get
        {
            long perLayer = ((long)Hidden * Heads * HeadSize * 2) + ((long)Hidden * KvHeads * HeadSize * 2) + ((long)Hidden * Intermediate * 3);
            long int4 = ((perLayer * Layers) + ((long)Hidden * Vocabulary)) * 5 / 8; // codes + scales
            return int4 + ((long)Math.Min(Vocabulary, 8192) * Hidden * 4);
        }
    }
}

/// <summary>
/// Random-weight decoders with realistic shapes for benchmarks: RMS-free LayerNorm, int4 MatMulNBits projections and
/// SwiGLU MLP, GroupQueryAttention with a shared KV buffer, a full-width int4 LM head. Token embeddings are taken modulo
/// 8192 rows to keep files small (gathering one row costs the same). Outputs are meaningless; shapes and cost are real.
/// Reduce <c>layers</c> (and <c>vocabulary</c>) for quick runs: the full Phi-3-mini exceeds the 2 GB protobuf limit.
/// </summary>
public static class RealisticDecoderFactory
{
    /// <summary>Writes a model folder (model.onnx, genai_config.json, a byte-level tokenizer of the Qwen style).</summary>
    /// <param name="directory">The target folder.</param>
    /// <param name="dimensions">The dimensions (<see cref="DecoderDimensions.Qwen25HalfB"/>, <see cref="DecoderDimensions.Phi3Mini"/>…).</param>
    /// <param name="layers">Fewer layers than the real model, or null for all.</param>
    /// <param name="vocabulary">A smaller logits width, or null for the real one (at least 272).</param>
    /// <param name="accuracyLevel">MatMulNBits accuracy_level (4 as in published CPU models).</param>
    /// <returns>The folder.</returns>
    /// <exception cref="ArgumentException">The model would not fit in one protobuf file.</exception>
    public static string Write(string directory, DecoderDimensions dimensions, int? layers = null, int? vocabulary = null, int accuracyLevel = 4)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(dimensions);
        var tokens = TinyVocabulary.For(TinyChatStyle.Qwen);
        var dims = dimensions with
        {
            Layers = layers ?? dimensions.Layers,
            Vocabulary = Math.Max(tokens.ModelVocabularySize, vocabulary ?? dimensions.Vocabulary),
        };
        if (dims.EstimatedBytes > 1_900_000_000L)
        {
            throw new ArgumentException($"{dims.Name} with {dims.Layers} layers needs about {dims.EstimatedBytes / 1_000_000} MB, over the 2 GB protobuf limit; pass fewer layers.", nameof(layers));
        }

        var architecture = new DecoderArchitecture
        {
            Vocabulary = dims.Vocabulary,
            Hidden = dims.Hidden,
            Heads = dims.Heads,
            KvHeads = dims.KvHeads,
            HeadSize = dims.HeadSize,
            Layers = dims.Layers,
            ContextLength = dims.ContextLength,
            Gqa = true,
            AccuracyLevel = accuracyLevel,
            MlpSize = dims.Intermediate,
            EmbeddingRows = Math.Min(8192, dims.Vocabulary),
            Norms = true,
            RandomInt4 = true,
        };
        var writer = new DecoderGraphWriter(architecture);
        string full = Path.GetFullPath(directory);
        Directory.CreateDirectory(full);
        writer.Build().Save(Path.Combine(full, "model.onnx"));
        var config = writer.GenAIConfig(dims.ModelType, tokens.EosTokenIds, null, tokens.PadTokenId, "model.onnx", Math.Min(4096, dims.ContextLength));
        File.WriteAllText(Path.Combine(full, "genai_config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(full, "tokenizer.json"), tokens.TokenizerJson());
        File.WriteAllText(Path.Combine(full, "tokenizer_config.json"), tokens.TokenizerConfigJson(dims.ContextLength));
        return full;
    }
}
