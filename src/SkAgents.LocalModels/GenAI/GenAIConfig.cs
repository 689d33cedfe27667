using System.Text.Json;
using System.Text.Json.Serialization;

namespace SkAgents.LocalModels.GenAI;

/// <summary>
/// The <c>genai_config.json</c> of an onnxruntime-genai model folder: the model family, the decoder's file, sizes and
/// tensor names, and the default search settings. Defaults follow onnxruntime-genai's <c>config.h</c>.
/// </summary>
public sealed class GenAIConfig
{
    /// <summary>The file name inside a model folder.</summary>
    public const string FileName = "genai_config.json";

    /// <summary>Gets the model section.</summary>
    [JsonPropertyName("model")]
    public GenAIModelConfig Model { get; init; } = new();

    /// <summary>Gets the search (generation) defaults.</summary>
    [JsonPropertyName("search")]
    public GenAISearchConfig Search { get; init; } = new();

    private static readonly JsonSerializerOptions Options = new()
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>Reads and checks a config file.</summary>
    /// <param name="path">The path of genai_config.json.</param>
    /// <returns>The config.</returns>
    /// <exception cref="ModelFolderException">The file is missing, is not valid JSON, or lacks a required setting.</exception>
    public static GenAIConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new ModelFolderException($"The model folder has no {FileName} (looked for '{path}').");
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses and checks config JSON.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where it came from, for error messages.</param>
    /// <returns>The config.</returns>
    /// <exception cref="ModelFolderException">Invalid JSON or a missing/invalid setting.</exception>
    public static GenAIConfig Parse(string json, string source = FileName)
    {
        ArgumentNullException.ThrowIfNull(json);
        GenAIConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<GenAIConfig>(json, Options);
        }
        catch (JsonException ex)
        {
            throw new ModelFolderException($"{source} is not valid: {ex.Message}", ex);
        }

        if (config is null)
        {
            throw new ModelFolderException($"{source} is empty.");
        }

        config.Validate(source);
        return config;
    }

    private void Validate(string source)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Model.Type))
        {
            problems.Add("model.type is missing");
        }

        var decoder = Model.Decoder;
        if (string.IsNullOrWhiteSpace(decoder.Filename))
        {
            problems.Add("model.decoder.filename is missing");
        }

        if (decoder.NumHiddenLayers <= 0)
        {
            problems.Add("model.decoder.num_hidden_layers must be positive");
        }

        if (decoder.NumKeyValueHeads <= 0)
        {
            problems.Add("model.decoder.num_key_value_heads must be positive");
        }

        if (decoder.HeadSize <= 0)
        {
            problems.Add("model.decoder.head_size must be positive");
        }

        if (Model.EosTokenIds.Count == 0)
        {
            problems.Add("model.eos_token_id is missing");
        }

        if (Model.ContextLength <= 0)
        {
            problems.Add("model.context_length must be positive");
        }

        if (Search.MaxLength < 0 || Search.TopK < 0 || Search.TopP < 0 || Search.TopP > 1 || Search.Temperature < 0 || Search.RepetitionPenalty <= 0)
        {
            problems.Add("search has an out-of-range value (max_length ≥ 0, top_k ≥ 0, 0 ≤ top_p ≤ 1, temperature ≥ 0, repetition_penalty > 0)");
        }

        if (Search.NumBeams > 1)
        {
            problems.Add($"search.num_beams is {Search.NumBeams}; only greedy and sampling search (num_beams 1) are supported");
        }

        if (problems.Count > 0)
        {
            throw new ModelFolderException($"{source}: {string.Join("; ", problems)}.");
        }
    }
}

/// <summary>The <c>model</c> section of genai_config.json.</summary>
public sealed class GenAIModelConfig
{
    /// <summary>Gets the model type (phi3, qwen2, qwen3, llama…).</summary>
    [JsonPropertyName("type")]
    public string Type { get; init; } = string.Empty;

    /// <summary>Gets the longest sequence the model was trained for.</summary>
    [JsonPropertyName("context_length")]
    public int ContextLength { get; init; }

    /// <summary>Gets the size of the logits' last dimension.</summary>
    [JsonPropertyName("vocab_size")]
    public int VocabSize { get; init; }

    /// <summary>Gets the beginning-of-sequence token id, if any.</summary>
    [JsonPropertyName("bos_token_id")]
    public int? BosTokenId { get; init; }

    /// <summary>Gets the end-of-sequence token ids (the file may hold one id or an array).</summary>
    [JsonPropertyName("eos_token_id")]
    [JsonConverter(typeof(IntOrArrayConverter))]
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Gets the padding token id, if any.</summary>
    [JsonPropertyName("pad_token_id")]
    public int? PadTokenId { get; init; }

    /// <summary>Gets the decoder section.</summary>
    [JsonPropertyName("decoder")]
    public GenAIDecoderConfig Decoder { get; init; } = new();
}

/// <summary>The <c>model.decoder</c> section.</summary>
public sealed class GenAIDecoderConfig
{
    /// <summary>Gets the ONNX file name, relative to the folder.</summary>
    [JsonPropertyName("filename")]
    public string Filename { get; init; } = string.Empty;

    /// <summary>Gets the session options.</summary>
    [JsonPropertyName("session_options")]
    public GenAISessionOptions SessionOptions { get; init; } = new();

    /// <summary>Gets the size of one attention head.</summary>
    [JsonPropertyName("head_size")]
    public int HeadSize { get; init; }

    /// <summary>Gets the hidden size.</summary>
    [JsonPropertyName("hidden_size")]
    public int HiddenSize { get; init; }

    /// <summary>Gets the number of attention heads.</summary>
    [JsonPropertyName("num_attention_heads")]
    public int NumAttentionHeads { get; init; }

    /// <summary>Gets the number of layers (one KV pair each).</summary>
    [JsonPropertyName("num_hidden_layers")]
    public int NumHiddenLayers { get; init; }

    /// <summary>Gets the number of key/value heads.</summary>
    [JsonPropertyName("num_key_value_heads")]
    public int NumKeyValueHeads { get; init; }

    /// <summary>Gets the input names.</summary>
    [JsonPropertyName("inputs")]
    public GenAIInputNames Inputs { get; init; } = new();

    /// <summary>Gets the output names.</summary>
    [JsonPropertyName("outputs")]
    public GenAIOutputNames Outputs { get; init; } = new();
}

/// <summary>Session options of the decoder, as genai_config.json gives them.</summary>
public sealed class GenAISessionOptions
{
    /// <summary>Gets the intra-op thread count (0 = ORT's default).</summary>
    [JsonPropertyName("intra_op_num_threads")]
    public int IntraOpNumThreads { get; init; }

    /// <summary>Gets the inter-op thread count (0 = ORT's default).</summary>
    [JsonPropertyName("inter_op_num_threads")]
    public int InterOpNumThreads { get; init; }

    /// <summary>Gets the execution providers; empty for CPU.</summary>
    [JsonPropertyName("provider_options")]
    public IReadOnlyList<JsonElement> ProviderOptions { get; init; } = [];

    /// <summary>
    /// Gets the graph optimization level as onnxruntime-genai writes it (<c>ORT_DISABLE_ALL</c>, <c>ORT_ENABLE_BASIC</c>,
    /// <c>ORT_ENABLE_EXTENDED</c>, <c>ORT_ENABLE_ALL</c>), or null for ONNX Runtime's default.
    /// </summary>
    [JsonPropertyName("graph_optimization_level")]
    public string? GraphOptimizationLevel { get; init; }

    /// <summary>Gets whether the CPU memory arena is used, or null for the default.</summary>
    [JsonPropertyName("enable_cpu_mem_arena")]
    public bool? EnableCpuMemArena { get; init; }

    /// <summary>Gets whether memory pattern planning is used, or null for the default.</summary>
    [JsonPropertyName("enable_mem_pattern")]
    public bool? EnableMemPattern { get; init; }

    /// <summary>Gets the session log id, if any.</summary>
    [JsonPropertyName("log_id")]
    public string? LogId { get; init; }

    /// <summary>Gets further session config entries (for example <c>session.intra_op.allow_spinning</c>).</summary>
    [JsonPropertyName("config_entries")]
    public IReadOnlyDictionary<string, string> ConfigEntries { get; init; } = new Dictionary<string, string>();
}

/// <summary>Decoder input names; <c>%d</c> stands for the layer index.</summary>
public sealed class GenAIInputNames
{
    /// <summary>Gets the token-ids input.</summary>
    [JsonPropertyName("input_ids")]
    public string InputIds { get; init; } = "input_ids";

    /// <summary>Gets the attention-mask input.</summary>
    [JsonPropertyName("attention_mask")]
    public string AttentionMask { get; init; } = "attention_mask";

    /// <summary>Gets the position-ids input (absent from exports that fuse rotary embeddings).</summary>
    [JsonPropertyName("position_ids")]
    public string PositionIds { get; init; } = "position_ids";

    /// <summary>Gets the past-key input pattern.</summary>
    [JsonPropertyName("past_key_names")]
    public string PastKeyNames { get; init; } = "past_key_values.%d.key";

    /// <summary>Gets the past-value input pattern.</summary>
    [JsonPropertyName("past_value_names")]
    public string PastValueNames { get; init; } = "past_key_values.%d.value";
}

/// <summary>Decoder output names; <c>%d</c> stands for the layer index.</summary>
public sealed class GenAIOutputNames
{
    /// <summary>Gets the logits output.</summary>
    [JsonPropertyName("logits")]
    public string Logits { get; init; } = "logits";

    /// <summary>Gets the present-key output pattern.</summary>
    [JsonPropertyName("present_key_names")]
    public string PresentKeyNames { get; init; } = "present.%d.key";

    /// <summary>Gets the present-value output pattern.</summary>
    [JsonPropertyName("present_value_names")]
    public string PresentValueNames { get; init; } = "present.%d.value";
}

/// <summary>The <c>search</c> section: default generation settings.</summary>
public sealed class GenAISearchConfig
{
    /// <summary>Gets whether to sample (false = greedy).</summary>
    [JsonPropertyName("do_sample")]
    public bool DoSample { get; init; }

    /// <summary>Gets the longest sequence (prompt + answer); 0 means the context length.</summary>
    [JsonPropertyName("max_length")]
    public int MaxLength { get; init; }

    /// <summary>Gets the fewest tokens before an end-of-sequence token is allowed.</summary>
    [JsonPropertyName("min_length")]
    public int MinLength { get; init; }

    /// <summary>Gets the number of beams (only 1 is supported).</summary>
    [JsonPropertyName("num_beams")]
    public int NumBeams { get; init; } = 1;

    /// <summary>Gets the top-k cut-off (0 = off).</summary>
    [JsonPropertyName("top_k")]
    public int TopK { get; init; } = 50;

    /// <summary>Gets the nucleus cut-off (0 or 1 = off).</summary>
    [JsonPropertyName("top_p")]
    public float TopP { get; init; }

    /// <summary>Gets the temperature.</summary>
    [JsonPropertyName("temperature")]
    public float Temperature { get; init; } = 1f;

    /// <summary>Gets the repetition penalty (1 = off).</summary>
    [JsonPropertyName("repetition_penalty")]
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>Gets whether the KV cache is one max-length buffer bound as both past and present.</summary>
    [JsonPropertyName("past_present_share_buffer")]
    public bool PastPresentShareBuffer { get; init; }

    /// <summary>Gets the random seed (-1 = random).</summary>
    [JsonPropertyName("random_seed")]
    public long RandomSeed { get; init; } = -1;
}

/// <summary>Reads an int or an array of ints (genai_config's eos_token_id).</summary>
internal sealed class IntOrArrayConverter : JsonConverter<IReadOnlyList<int>>
{
    public override IReadOnlyList<int> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return [reader.GetInt32()];
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("Expected a token id or an array of token ids.");
        }

        var ids = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            ids.Add(reader.GetInt32());
        }

        return ids;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<int> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var id in value)
        {
            writer.WriteNumberValue(id);
        }

        writer.WriteEndArray();
    }
}
