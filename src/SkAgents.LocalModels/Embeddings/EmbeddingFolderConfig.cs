using System.Text.Json;
using SkAgents.LocalModels.GenAI;

namespace SkAgents.LocalModels.Embeddings;

/// <summary>
/// What a sentence-transformers / Hugging Face model folder says about embedding: <c>modules.json</c> (pipeline),
/// the pooling module's <c>config.json</c>, <c>sentence_bert_config.json</c> and the transformer's <c>config.json</c>.
/// Every file is optional.
/// </summary>
internal sealed class EmbeddingFolderConfig
{
    public const string ModulesFile = "modules.json";
    public const string DefaultPoolingFolder = "1_Pooling";
    public const string SentenceBertConfigFile = "sentence_bert_config.json";
    public const string ModelConfigFile = "config.json";

    private static readonly JsonDocumentOptions JsonOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Gets the pooling from the pooling config, or null when the folder has none.</summary>
    public PoolingModes? Pooling { get; private init; }

    /// <summary>Gets the pooling config file that was read, if any.</summary>
    public string? PoolingConfigPath { get; private init; }

    /// <summary>Gets <c>word_embedding_dimension</c> from the pooling config.</summary>
    public int? PoolingWordDimension { get; private init; }

    /// <summary>Gets whether modules.json lists a Normalize module.</summary>
    public bool HasNormalizeModule { get; private init; }

    /// <summary>Gets the modules of modules.json that this library cannot run (e.g. Dense), as "type (path)".</summary>
    public IReadOnlyList<string> UnsupportedModules { get; private init; } = [];

    /// <summary>Gets <c>max_seq_length</c> from sentence_bert_config.json.</summary>
    public int? MaxSeqLength { get; private init; }

    /// <summary>Gets <c>max_position_embeddings</c> from config.json.</summary>
    public int? MaxPositionEmbeddings { get; private init; }

    /// <summary>Gets <c>hidden_size</c> (or <c>dim</c>/<c>d_model</c>) from config.json.</summary>
    public int? HiddenSize { get; private init; }

    public static EmbeddingFolderConfig Read(string folder)
    {
        string? poolingFolder = null;
        bool normalize = false;
        var unsupported = new List<string>();
        string modulesPath = Path.Combine(folder, ModulesFile);
        if (File.Exists(modulesPath))
        {
            using var modules = Parse(modulesPath);
            if (modules.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new ModelFolderException($"{modulesPath}: expected a JSON array of modules.");
            }

            foreach (var module in modules.RootElement.EnumerateArray())
            {
                string type = module.ValueKind == JsonValueKind.Object && module.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : string.Empty;
                string path = module.ValueKind == JsonValueKind.Object && module.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : string.Empty;
                string kind = type[(type.LastIndexOf('.') + 1)..];
                switch (kind)
                {
                    case "Transformer":
                        break;
                    case "Pooling":
                        poolingFolder = path;
                        break;
                    case "Normalize":
                        normalize = true;
                        break;
                    default:
                        unsupported.Add(path.Length == 0 ? type : $"{type} ({path})");
                        break;
                }
            }
        }

        PoolingModes? pooling = null;
        int? wordDimension = null;
        string poolingPath = Path.Combine(folder, poolingFolder ?? DefaultPoolingFolder, "config.json");
        bool hasPooling = File.Exists(poolingPath);
        if (hasPooling)
        {
            using var config = Parse(poolingPath);
            var root = RequireObject(config, poolingPath);
            pooling = ReadPooling(root, poolingPath);
            wordDimension = ReadInt(root, "word_embedding_dimension", poolingPath);
        }
        else if (poolingFolder is not null)
        {
            throw new ModelFolderException($"{modulesPath} names a Pooling module in '{poolingFolder}', but '{poolingPath}' does not exist.");
        }

        int? maxSeqLength = null;
        string sbertPath = Path.Combine(folder, SentenceBertConfigFile);
        if (File.Exists(sbertPath))
        {
            using var config = Parse(sbertPath);
            maxSeqLength = ReadInt(RequireObject(config, sbertPath), "max_seq_length", sbertPath);
        }

        int? maxPositions = null, hidden = null;
        string modelConfigPath = Path.Combine(folder, ModelConfigFile);
        if (File.Exists(modelConfigPath))
        {
            using var config = Parse(modelConfigPath);
            var root = RequireObject(config, modelConfigPath);
            maxPositions = ReadInt(root, "max_position_embeddings", modelConfigPath);
            hidden = ReadInt(root, "hidden_size", modelConfigPath) ?? ReadInt(root, "dim", modelConfigPath) ?? ReadInt(root, "d_model", modelConfigPath);
        }

        return new EmbeddingFolderConfig
        {
            Pooling = pooling,
            PoolingConfigPath = hasPooling ? poolingPath : null,
            PoolingWordDimension = wordDimension,
            HasNormalizeModule = normalize,
            UnsupportedModules = unsupported,
            MaxSeqLength = maxSeqLength,
            MaxPositionEmbeddings = maxPositions,
            HiddenSize = hidden,
        };
    }

    private static PoolingModes ReadPooling(JsonElement root, string path)
    {
        // sentence-transformers saves the pooling_mode_* flags; a "pooling_mode" string (its constructor argument) is accepted too.
        if (root.TryGetProperty("pooling_mode", out var mode) && mode.ValueKind == JsonValueKind.String)
        {
            return mode.GetString() switch
            {
                "cls" => PoolingModes.Cls,
                "max" => PoolingModes.Max,
                "mean" => PoolingModes.Mean,
                "mean_sqrt_len_tokens" => PoolingModes.MeanSqrtLength,
                "weightedmean" => PoolingModes.WeightedMean,
                "lasttoken" => PoolingModes.LastToken,
                var other => throw new ModelFolderException($"{path}: unsupported pooling_mode '{other}'."),
            };
        }

        var modes = PoolingModes.None;
        modes |= Flag(root, "pooling_mode_cls_token", PoolingModes.Cls, path);
        modes |= Flag(root, "pooling_mode_max_tokens", PoolingModes.Max, path);
        modes |= Flag(root, "pooling_mode_mean_tokens", PoolingModes.Mean, path);
        modes |= Flag(root, "pooling_mode_mean_sqrt_len_tokens", PoolingModes.MeanSqrtLength, path);
        modes |= Flag(root, "pooling_mode_weightedmean_tokens", PoolingModes.WeightedMean, path);
        modes |= Flag(root, "pooling_mode_lasttoken", PoolingModes.LastToken, path);
        if (modes == PoolingModes.None)
        {
            throw new ModelFolderException($"{path}: no pooling mode is enabled (expected one of pooling_mode_cls_token, pooling_mode_mean_tokens, pooling_mode_max_tokens, ...).");
        }

        return modes;

        static PoolingModes Flag(JsonElement root, string name, PoolingModes flag, string path) =>
            !root.TryGetProperty(name, out var value) ? PoolingModes.None
            : value.ValueKind == JsonValueKind.True ? flag
            : value.ValueKind is JsonValueKind.False or JsonValueKind.Null ? PoolingModes.None
            : throw new ModelFolderException($"{path}: '{name}' must be true or false.");
    }

    private static int? ReadInt(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double number) || number != Math.Floor(number) || number < 0)
        {
            throw new ModelFolderException($"{path}: '{name}' must be a non-negative integer.");
        }

        // Huge values (tokenizer configs use 1e30 for "no limit") mean "no limit".
        return number > int.MaxValue ? null : (int)number;
    }

    private static JsonElement RequireObject(JsonDocument document, string path) =>
        document.RootElement.ValueKind == JsonValueKind.Object
            ? document.RootElement
            : throw new ModelFolderException($"{path}: expected a JSON object.");

    private static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new ModelFolderException($"{path} is not valid JSON: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelFolderException($"{path} could not be read: {ex.Message}", ex);
        }
    }
}
