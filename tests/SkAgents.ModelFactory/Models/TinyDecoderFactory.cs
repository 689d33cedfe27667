using System.Text.Json;
using System.Text.Json.Nodes;

namespace SkAgents.ModelFactory.Models;

/// <summary>Options of the tiny test decoders (<see cref="TinyDecoderFactory"/>, <see cref="GqaDecoderFactory"/>).</summary>
public sealed class TinyDecoderOptions
{
    /// <summary>Gets or sets the chat style (tokenizer, model type, end tokens). Default Qwen (ChatML).</summary>
    public TinyChatStyle Style { get; set; } = TinyChatStyle.Qwen;

    /// <summary>Gets or sets what the model says; null = <see cref="DecoderScript.Letters"/>.</summary>
    public DecoderScript? Script { get; set; }

    /// <summary>Gets or sets the number of layers (at least 1; default 2).</summary>
    public int Layers { get; set; } = 2;

    /// <summary>Gets or sets model.context_length (default 4096).</summary>
    public int ContextLength { get; set; } = 4096;

    /// <summary>Gets or sets search.max_length (null = the context length).</summary>
    public int? MaxLength { get; set; }

    /// <summary>Gets or sets the weight seed.</summary>
    public int Seed { get; set; } = 1234;

    /// <summary>Gets or sets the decoder file name.</summary>
    public string FileName { get; set; } = "model.onnx";

    /// <summary>Gets or sets MatMulNBits accuracy_level of the GQA model (0 = fp32, 4 = int8 activations as in published CPU models).</summary>
    public int AccuracyLevel { get; set; } = 4;
}

/// <summary>A written onnxruntime-genai model folder.</summary>
/// <param name="Directory">The folder (genai_config.json, the .onnx file, tokenizer.json, tokenizer_config.json).</param>
/// <param name="Vocabulary">The vocabulary (token ids, <see cref="TinyVocabulary.Encode"/>).</param>
/// <param name="Script">The script the model follows.</param>
/// <param name="ContextLength">model.context_length.</param>
public sealed record TinyDecoderFolder(string Directory, TinyVocabulary Vocabulary, DecoderScript Script, int ContextLength)
{
    /// <summary>Gets the path of genai_config.json.</summary>
    public string ConfigPath => Path.Combine(Directory, "genai_config.json");

    /// <summary>Reads genai_config.json as a mutable JSON tree (for tests that corrupt it).</summary>
    /// <returns>The root.</returns>
    public JsonObject ReadConfig() => JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();

    /// <summary>Writes genai_config.json back.</summary>
    /// <param name="config">The root.</param>
    public void WriteConfig(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        File.WriteAllText(ConfigPath, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The greedy continuation the model produces after <paramref name="prompt"/>, stopping after an eos id of the folder.</summary>
    /// <param name="prompt">Prompt ids.</param>
    /// <param name="maxTokens">The most tokens.</param>
    /// <returns>The expected tokens (the stopping eos included).</returns>
    public IReadOnlyList<int> ExpectedGreedy(IReadOnlyList<int> prompt, int maxTokens) => Script.Continue(prompt, maxTokens, [.. Vocabulary.EosTokenIds]);
}

/// <summary>
/// Tiny decoders in standard ONNX ops (opset 21: MatMul, Softmax, Concat, Where, …) with a GROWING KV cache
/// (<c>present = Concat(past, new)</c>) and real causal attention over past and current keys: 2+ layers, hidden 32,
/// 4 heads over 2 KV heads of size 8, byte-level vocabulary. The greedy output is designed by a <see cref="DecoderScript"/>
/// (for example a tool call spelled in a chat format), while the exact logits depend on the whole KV cache.
/// </summary>
public static class TinyDecoderFactory
{
    /// <summary>Writes a complete model folder (model.onnx, genai_config.json, tokenizer.json, tokenizer_config.json).</summary>
    /// <param name="directory">The target folder (created).</param>
    /// <param name="options">Options; null for defaults.</param>
    /// <returns>The folder description.</returns>
    public static TinyDecoderFolder Write(string directory, TinyDecoderOptions? options = null) => DecoderFolderWriter.Write(directory, options ?? new TinyDecoderOptions(), gqa: false);

    /// <summary>Writes a model folder whose model spells <paramref name="replyText"/> after any chat prompt of the style (ending in its generation prompt).</summary>
    /// <param name="directory">The target folder.</param>
    /// <param name="style">The chat style.</param>
    /// <param name="replyText">The reply (added tokens such as <c>&lt;tool_call&gt;</c> are recognized); the turn-end token follows.</param>
    /// <returns>The folder description.</returns>
    public static TinyDecoderFolder WriteSpelling(string directory, TinyChatStyle style, string replyText)
    {
        var vocabulary = TinyVocabulary.For(style);
        return Write(directory, new TinyDecoderOptions { Style = style, Script = DecoderScript.ForChat(vocabulary).Reply(0, replyText) });
    }
}

/// <summary>
/// Tiny decoders built like onnxruntime-genai's CPU int4 exports: com.microsoft GroupQueryAttention (no rotary;
/// seqlens_k and total_sequence_length computed in the graph from attention_mask), MatMulNBits (4 bits, block 32)
/// projections, no position_ids input, and <c>past_present_share_buffer: true</c>. Hidden 64, 4 heads over 2 KV heads
/// of size 16. Same scripted outputs as <see cref="TinyDecoderFactory"/>.
/// </summary>
public static class GqaDecoderFactory
{
    /// <summary>Writes a complete model folder.</summary>
    /// <param name="directory">The target folder (created).</param>
    /// <param name="options">Options; null for defaults.</param>
    /// <returns>The folder description.</returns>
    public static TinyDecoderFolder Write(string directory, TinyDecoderOptions? options = null) => DecoderFolderWriter.Write(directory, options ?? new TinyDecoderOptions(), gqa: true);

    /// <summary>Writes a model folder whose model spells <paramref name="replyText"/> after any chat prompt of the style.</summary>
    /// <param name="directory">The target folder.</param>
    /// <param name="style">The chat style.</param>
    /// <param name="replyText">The reply; the turn-end token follows.</param>
    /// <returns>The folder description.</returns>
    public static TinyDecoderFolder WriteSpelling(string directory, TinyChatStyle style, string replyText)
    {
        var vocabulary = TinyVocabulary.For(style);
        return Write(directory, new TinyDecoderOptions { Style = style, Script = DecoderScript.ForChat(vocabulary).Reply(0, replyText) });
    }
}

internal static class DecoderFolderWriter
{
    public static TinyDecoderFolder Write(string directory, TinyDecoderOptions options, bool gqa)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Layers, 1);
        var vocabulary = TinyVocabulary.For(options.Style);
        var script = options.Script ?? DecoderScript.Letters(vocabulary.TurnEndTokenId);
        foreach (int id in script.AnchorTokenIds.Append(script.EndTokenId).Concat(script.Replies.SelectMany(r => r.Tokens)))
        {
            if ((uint)id >= (uint)vocabulary.ModelVocabularySize)
            {
                throw new ArgumentException($"Token id {id} of the script is outside the vocabulary (0..{vocabulary.ModelVocabularySize - 1}).", nameof(options));
            }
        }

        var architecture = new DecoderArchitecture
        {
            Vocabulary = vocabulary.ModelVocabularySize,
            Hidden = gqa ? 64 : 32,
            Heads = 4,
            KvHeads = 2,
            HeadSize = gqa ? 16 : 8,
            Layers = options.Layers,
            ContextLength = options.ContextLength,
            Gqa = gqa,
            Script = script,
            Seed = options.Seed,
            AccuracyLevel = options.AccuracyLevel,
        };
        var writer = new DecoderGraphWriter(architecture);
        string full = Path.GetFullPath(directory);
        Directory.CreateDirectory(full);
        writer.Build().Save(Path.Combine(full, options.FileName));
        var config = writer.GenAIConfig(vocabulary.ModelType, vocabulary.EosTokenIds, vocabulary.BosTokenId, vocabulary.PadTokenId, options.FileName, options.MaxLength);
        File.WriteAllText(Path.Combine(full, "genai_config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(full, "tokenizer.json"), vocabulary.TokenizerJson());
        File.WriteAllText(Path.Combine(full, "tokenizer_config.json"), vocabulary.TokenizerConfigJson(options.ContextLength));
        return new TinyDecoderFolder(full, vocabulary, script, options.ContextLength);
    }
}
