using SkAgents.LocalModels.ChatFormats;
using SkAgents.LocalModels.GenAI;
using SkAgents.LocalModels.Generation;
using SkAgents.Tokenizers;

namespace SkAgents.LocalModels;

/// <summary>Settings for loading a local model folder.</summary>
public sealed class LocalModelOptions
{
    /// <summary>Gets or sets the chat format name (phi3, phi4-mini, chatml, qwen3, llama3); detected from the folder when null.</summary>
    public string? ChatFormat { get; set; }

    /// <summary>Gets or sets the decoder's session and cache options.</summary>
    public OnnxDecoderOptions Decoder { get; set; } = new();

    /// <summary>Gets or sets the model id reported to callers; the folder name when null.</summary>
    public string? ModelId { get; set; }
}

/// <summary>What a local model folder holds, for <c>skagents models inspect</c>.</summary>
/// <param name="Folder">The folder.</param>
/// <param name="ModelType">genai_config's model type.</param>
/// <param name="ChatFormat">The chat format used.</param>
/// <param name="DecoderFile">The decoder's ONNX file.</param>
/// <param name="FileBytes">The size of the decoder and its external weights.</param>
/// <param name="VocabularySize">The logits size.</param>
/// <param name="TokenizerVocabularySize">The tokenizer's vocabulary size.</param>
/// <param name="ContextLength">The model's context length.</param>
/// <param name="DefaultMaxLength">The default maximum sequence length.</param>
/// <param name="Layers">Decoder layers.</param>
/// <param name="AttentionHeads">Attention heads.</param>
/// <param name="KeyValueHeads">Key/value heads.</param>
/// <param name="HeadSize">Head size.</param>
/// <param name="HiddenSize">Hidden size.</param>
/// <param name="KvCacheMode">The KV-cache mode.</param>
/// <param name="KvCacheBytes">The KV cache's size at the default maximum length.</param>
/// <param name="EosTokenIds">End-of-sequence ids.</param>
/// <param name="Inputs">The session inputs (name, type, shape).</param>
/// <param name="Outputs">The session outputs (name, type, shape).</param>
public sealed record LocalModelInfo(
    string Folder,
    string ModelType,
    string ChatFormat,
    string DecoderFile,
    long FileBytes,
    int VocabularySize,
    int TokenizerVocabularySize,
    int ContextLength,
    int DefaultMaxLength,
    int Layers,
    int AttentionHeads,
    int KeyValueHeads,
    int HeadSize,
    int HiddenSize,
    string KvCacheMode,
    long KvCacheBytes,
    IReadOnlyList<int> EosTokenIds,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs);

/// <summary>Loads onnxruntime-genai model folders as chat clients.</summary>
public static class LocalModel
{
    /// <summary>
    /// Loads a model folder (genai_config.json, the decoder, tokenizer.json) as an <see cref="LocalChatClient"/> whose
    /// defaults come from genai_config.json's <c>search</c> section.
    /// </summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="options">Format and session options.</param>
    /// <returns>The client; dispose it to release the model.</returns>
    /// <exception cref="ModelFolderException">The folder is missing, malformed, or does not match its session.</exception>
    /// <exception cref="TokenizerException">The tokenizer files are missing or malformed.</exception>
    public static LocalChatClient LoadChatClient(string folder, LocalModelOptions? options = null)
    {
        options ??= new LocalModelOptions();
        var (decoder, tokenizer, format) = Open(folder, options);
        try
        {
            var search = decoder.Config.Search;
            var settings = new GenerationSettings
            {
                DoSample = search.DoSample,
                TopK = Math.Max(0, search.TopK),
                TopP = search.TopP is > 0 and <= 1 ? search.TopP : 1f,
                Temperature = search.Temperature,
                RepetitionPenalty = search.RepetitionPenalty,
                MaxLength = decoder.DefaultMaxLength,
                Seed = search.RandomSeed >= 0 ? search.RandomSeed : null,
            };
            return new LocalChatClient(decoder, tokenizer, format, new LocalChatClientOptions
            {
                ModelId = options.ModelId ?? new DirectoryInfo(decoder.ModelFolder).Name,
                DefaultSettings = settings,
                EndTokenIds = [.. decoder.EosTokenIds],
            });
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }

    /// <summary>Describes a model folder without generating.</summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="options">Format and session options.</param>
    /// <returns>The description.</returns>
    public static LocalModelInfo Inspect(string folder, LocalModelOptions? options = null)
    {
        var (decoder, tokenizer, format) = Open(folder, options ?? new LocalModelOptions());
        using (decoder)
        {
            var config = decoder.Config.Model;
            var decoderFile = new FileInfo(decoder.DecoderPath);
            var data = new FileInfo(decoder.DecoderPath + ".data");
            return new LocalModelInfo(
                decoder.ModelFolder,
                config.Type,
                format.Name,
                decoderFile.Name,
                decoderFile.Length + (data.Exists ? data.Length : 0),
                decoder.VocabularySize,
                tokenizer.VocabularySize,
                decoder.ContextLength,
                decoder.DefaultMaxLength,
                decoder.NumLayers,
                config.Decoder.NumAttentionHeads,
                decoder.NumKeyValueHeads,
                decoder.HeadSize,
                config.Decoder.HiddenSize,
                decoder.KvCacheMode.ToString(),
                decoder.KvCacheBytes(decoder.DefaultMaxLength),
                decoder.EosTokenIds,
                [.. decoder.Inputs.Select(i => i.ToString())],
                [.. decoder.Outputs.Select(o => o.ToString())]);
        }
    }

    private static (OnnxDecoderModel Decoder, Tokenizer Tokenizer, ChatFormat Format) Open(string folder, LocalModelOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!Directory.Exists(folder))
        {
            throw new ModelFolderException($"The model folder '{folder}' does not exist.");
        }

        var tokenizer = Tokenizer.FromDirectory(folder);
        var decoder = OnnxDecoderModel.Load(folder, options.Decoder);
        try
        {
            var format = options.ChatFormat is { } name
                ? ChatFormat.FromName(name)
                : ChatFormat.Detect(decoder.Config.Model.Type, token => tokenizer.TokenToId(token) is not null);
            return (decoder, tokenizer, format);
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }
}
