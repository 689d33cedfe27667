using System.Text.Json;

namespace SkAgents.ModelFactory.Models;

/// <summary>What <see cref="BertEmbedderFactory.Create(string, BertEmbedderSpec?)"/> writes.</summary>
public sealed class BertEmbedderSpec
{
    /// <summary>Gets the hidden size H (default 8).</summary>
    public int HiddenSize { get; init; } = 8;

    /// <summary>Gets the feed-forward size (default 16).</summary>
    public int IntermediateSize { get; init; } = 16;

    /// <summary>Gets the number of position embeddings, config.json <c>max_position_embeddings</c> (default 32).</summary>
    public int MaxPositions { get; init; } = 32;

    /// <summary>Gets the seed of the weights.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// Gets the sentence-transformers pooling modes written to <c>1_Pooling/config.json</c> ("cls", "mean", "max",
    /// "mean_sqrt_len", "weightedmean", "lasttoken"); null writes no pooling module at all.
    /// </summary>
    public IReadOnlyList<string>? Pooling { get; init; } = ["mean"];

    /// <summary>Gets whether modules.json lists a Normalize module.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Gets whether modules.json is written.</summary>
    public bool WriteModules { get; init; } = true;

    /// <summary>Gets <c>max_seq_length</c> for <c>sentence_bert_config.json</c>; null writes no such file.</summary>
    public int? MaxSeqLength { get; init; }

    /// <summary>Gets <c>model_max_length</c> for <c>tokenizer_config.json</c>.</summary>
    public long ModelMaxLength { get; init; } = 512;

    /// <summary>Gets whether the model is written to <c>onnx/model.onnx</c> instead of <c>model.onnx</c>.</summary>
    public bool ModelInOnnxFolder { get; init; }

    /// <summary>Gets whether the graph has a <c>token_type_ids</c> input.</summary>
    public bool TokenTypeIds { get; init; } = true;

    /// <summary>Gets whether the graph also outputs BERT's <c>pooler_output</c> [B,H] (tanh(W·h_CLS)), as HF exports do.</summary>
    public bool PoolerOutput { get; init; }

    /// <summary>Gets whether the graph also outputs <c>sentence_embedding</c> [B,H]: the attention-masked mean of the token vectors (not normalized).</summary>
    public bool SentenceEmbeddingOutput { get; init; }

    /// <summary>Gets the name of the token-vector output (default <c>last_hidden_state</c>).</summary>
    public string TokenOutputName { get; init; } = "last_hidden_state";

    /// <summary>Gets whether the id and mask inputs are int32 instead of int64.</summary>
    public bool Int32Inputs { get; init; }

    /// <summary>Gets whether the graph takes a <c>position_ids</c> input instead of computing positions 0..S-1.</summary>
    public bool PositionIdsInput { get; init; }

    /// <summary>Gets a fixed batch size for the inputs and outputs (null: dynamic "batch_size").</summary>
    public int? FixedBatchSize { get; init; }

    /// <summary>Gets a fixed sequence length for the inputs and outputs (null: dynamic "sequence_length").</summary>
    public int? FixedSequenceLength { get; init; }

    /// <summary>
    /// Gets a number of 1024x1024 MatMul+Tanh layers on a side branch (multiplied by 0 and added to the output) that
    /// make runs slow without changing the result; for cancellation tests.
    /// </summary>
    public int SlowLayers { get; init; }
}

/// <summary>
/// The weights of a model written by <see cref="BertEmbedderFactory"/>, row-major; a matrix W[in,out] is applied as x·W.
/// The network, with LN = LayerNormalization(eps 1e-12) and one attention head:
/// <code>
/// x   = LN0(word[ids] + position[0..S) + type[token_type_ids])
/// q,k,v = x·Wq+bq, x·Wk+bk, x·Wv+bv
/// a   = softmax(q·kᵀ/√H + (1-mask)·-10000)·v
/// h   = LN1(x + a·Wo+bo)
/// out = LN2(h + tanh(h·W1+b1)·W2+b2)          (last_hidden_state [B,S,H])
/// </code>
/// </summary>
public sealed class BertEmbedderWeights
{
    private readonly Dictionary<string, float[]> _tensors;

    internal BertEmbedderWeights(int vocabularySize, int hidden, int intermediate, int maxPositions, Dictionary<string, float[]> tensors)
    {
        VocabularySize = vocabularySize;
        HiddenSize = hidden;
        IntermediateSize = intermediate;
        MaxPositions = maxPositions;
        _tensors = tensors;
    }

    /// <summary>Gets V.</summary>
    public int VocabularySize { get; }

    /// <summary>Gets H.</summary>
    public int HiddenSize { get; }

    /// <summary>Gets the feed-forward size.</summary>
    public int IntermediateSize { get; }

    /// <summary>Gets the number of position embeddings.</summary>
    public int MaxPositions { get; }

    /// <summary>The LayerNormalization epsilon.</summary>
    public const float Epsilon = 1e-12f;

    /// <summary>Gets the names of the tensors: word [V,H], position [P,H], type [2,H], ln0_g/ln0_b, wq/bq, wk/bk, wv/bv, wo/bo, ln1_g/ln1_b, w1 [H,I]/b1, w2 [I,H]/b2, ln2_g/ln2_b, wp/bp (pooler).</summary>
    public IEnumerable<string> Names => _tensors.Keys;

    /// <summary>Gets a copy of a tensor.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The values, row-major.</returns>
    public float[] Get(string name) => (float[])_tensors[name].Clone();
}

/// <summary>
/// Writes a tiny BERT-style sentence-embedding folder: a WordPiece <c>tokenizer.json</c> (BertNormalizer,
/// BertPreTokenizer, <c>[CLS] $A [SEP]</c>), <c>tokenizer_config.json</c>, <c>config.json</c>, optionally
/// <c>modules.json</c>, <c>1_Pooling/config.json</c> and <c>sentence_bert_config.json</c>, and an ONNX encoder built
/// from standard ops (see <see cref="BertEmbedderWeights"/> for the network).
/// </summary>
public static class BertEmbedderFactory
{
    /// <summary>The vocabulary, by id.</summary>
    public static readonly IReadOnlyList<string> Vocabulary =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
        "the", "quick", "brown", "fox", "jump", "##s", "##ed", "over", "lazy", "dog",
        "hello", "world", "a", "cat", "sat", "on", "mat", "un", "##believ", "##able",
        ",", ".", "!", "?", "embed", "##ding", "text",
    ];

    /// <summary>The id of <c>[PAD]</c>.</summary>
    public const int PadId = 0;

    /// <summary>The id of <c>[CLS]</c>.</summary>
    public const int ClsId = 2;

    /// <summary>The id of <c>[SEP]</c>.</summary>
    public const int SepId = 3;

    private static readonly string[] PoolingModeNames = ["cls", "mean", "max", "mean_sqrt_len", "weightedmean", "lasttoken"];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes the folder.</summary>
    /// <param name="folder">The folder (created if needed).</param>
    /// <param name="spec">What to write; null for defaults (mean pooling, Normalize, token_type_ids).</param>
    /// <returns>The weights of the network, for computing reference embeddings.</returns>
    public static BertEmbedderWeights Create(string folder, BertEmbedderSpec? spec = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        spec ??= new BertEmbedderSpec();
        Directory.CreateDirectory(folder);
        WriteTokenizer(folder, spec.ModelMaxLength);
        WriteConfigs(folder, spec);
        var weights = CreateWeights(spec);
        BuildModel(spec, weights).Save(spec.ModelInOnnxFolder ? Path.Combine(folder, "onnx", "model.onnx") : Path.Combine(folder, "model.onnx"));
        return weights;
    }

    /// <summary>Writes only <c>tokenizer.json</c> and <c>tokenizer_config.json</c>.</summary>
    /// <param name="folder">The folder (must exist).</param>
    /// <param name="modelMaxLength"><c>model_max_length</c>.</param>
    public static void WriteTokenizer(string folder, long modelMaxLength = 512)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Vocabulary.Count; i++)
        {
            vocab[Vocabulary[i]] = i;
        }

        var added = new List<object>();
        for (int i = 0; i <= 4; i++)
        {
            added.Add(new Dictionary<string, object>
            {
                ["id"] = i, ["content"] = Vocabulary[i], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        }

        static Dictionary<string, object> Special(string id, int typeId) => new() { ["SpecialToken"] = new Dictionary<string, object> { ["id"] = id, ["type_id"] = typeId } };
        static Dictionary<string, object> Sequence(string id, int typeId) => new() { ["Sequence"] = new Dictionary<string, object> { ["id"] = id, ["type_id"] = typeId } };
        var tokenizer = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = new Dictionary<string, object?> { ["type"] = "BertNormalizer", ["clean_text"] = true, ["handle_chinese_chars"] = true, ["strip_accents"] = null, ["lowercase"] = true },
            ["pre_tokenizer"] = new Dictionary<string, object> { ["type"] = "BertPreTokenizer" },
            ["post_processor"] = new Dictionary<string, object>
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new object[] { Special("[CLS]", 0), Sequence("A", 0), Special("[SEP]", 0) },
                ["pair"] = new object[] { Special("[CLS]", 0), Sequence("A", 0), Special("[SEP]", 0), Sequence("B", 1), Special("[SEP]", 1) },
                ["special_tokens"] = new Dictionary<string, object>
                {
                    ["[CLS]"] = new Dictionary<string, object> { ["id"] = "[CLS]", ["ids"] = new[] { ClsId }, ["tokens"] = new[] { "[CLS]" } },
                    ["[SEP]"] = new Dictionary<string, object> { ["id"] = "[SEP]", ["ids"] = new[] { SepId }, ["tokens"] = new[] { "[SEP]" } },
                },
            },
            ["decoder"] = new Dictionary<string, object> { ["type"] = "WordPiece", ["prefix"] = "##", ["cleanup"] = true },
            ["model"] = new Dictionary<string, object>
            {
                ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["continuing_subword_prefix"] = "##", ["max_input_chars_per_word"] = 100, ["vocab"] = vocab,
            },
        };
        WriteJson(Path.Combine(folder, "tokenizer.json"), tokenizer);
        WriteJson(Path.Combine(folder, "tokenizer_config.json"), new Dictionary<string, object>
        {
            ["do_lower_case"] = true, ["model_max_length"] = modelMaxLength, ["cls_token"] = "[CLS]", ["sep_token"] = "[SEP]", ["pad_token"] = "[PAD]",
            ["unk_token"] = "[UNK]", ["mask_token"] = "[MASK]", ["tokenizer_class"] = "BertTokenizer", ["clean_up_tokenization_spaces"] = true,
        });
    }

    private static void WriteConfigs(string folder, BertEmbedderSpec spec)
    {
        WriteJson(Path.Combine(folder, "config.json"), new Dictionary<string, object>
        {
            ["architectures"] = new List<string> { "BertModel" }, ["model_type"] = "bert", ["hidden_size"] = spec.HiddenSize, ["intermediate_size"] = spec.IntermediateSize,
            ["max_position_embeddings"] = spec.MaxPositions, ["num_attention_heads"] = 1, ["num_hidden_layers"] = 1, ["type_vocab_size"] = 2,
            ["vocab_size"] = Vocabulary.Count, ["layer_norm_eps"] = 1e-12, ["pad_token_id"] = PadId, ["hidden_act"] = "tanh",
        });

        if (spec.WriteModules)
        {
            var modules = new List<Dictionary<string, object>>
            {
                new() { ["idx"] = 0, ["name"] = "0", ["path"] = string.Empty, ["type"] = "sentence_transformers.models.Transformer" },
            };
            if (spec.Pooling is not null)
            {
                modules.Add(new() { ["idx"] = modules.Count, ["name"] = "1", ["path"] = "1_Pooling", ["type"] = "sentence_transformers.models.Pooling" });
            }

            if (spec.Normalize)
            {
                modules.Add(new() { ["idx"] = modules.Count, ["name"] = "2", ["path"] = "2_Normalize", ["type"] = "sentence_transformers.models.Normalize" });
            }

            WriteJson(Path.Combine(folder, "modules.json"), modules);
        }

        if (spec.Pooling is { } pooling)
        {
            foreach (string mode in pooling)
            {
                if (!PoolingModeNames.Contains(mode))
                {
                    throw new ArgumentException($"Unknown pooling mode '{mode}'.", nameof(spec));
                }
            }

            Directory.CreateDirectory(Path.Combine(folder, "1_Pooling"));
            WriteJson(Path.Combine(folder, "1_Pooling", "config.json"), new Dictionary<string, object>
            {
                ["word_embedding_dimension"] = spec.HiddenSize,
                ["pooling_mode_cls_token"] = pooling.Contains("cls"),
                ["pooling_mode_mean_tokens"] = pooling.Contains("mean"),
                ["pooling_mode_max_tokens"] = pooling.Contains("max"),
                ["pooling_mode_mean_sqrt_len_tokens"] = pooling.Contains("mean_sqrt_len"),
                ["pooling_mode_weightedmean_tokens"] = pooling.Contains("weightedmean"),
                ["pooling_mode_lasttoken"] = pooling.Contains("lasttoken"),
                ["include_prompt"] = true,
            });
        }

        if (spec.MaxSeqLength is { } max)
        {
            WriteJson(Path.Combine(folder, "sentence_bert_config.json"), new Dictionary<string, object> { ["max_seq_length"] = max, ["do_lower_case"] = false });
        }
    }

    private static BertEmbedderWeights CreateWeights(BertEmbedderSpec spec)
    {
        int v = Vocabulary.Count, h = spec.HiddenSize, i = spec.IntermediateSize, p = spec.MaxPositions;
        ulong state = 0x9E3779B97F4A7C15UL ^ (ulong)spec.Seed;
        float[] Random(int count, float scale, float offset = 0)
        {
            var values = new float[count];
            for (int n = 0; n < count; n++)
            {
                // xorshift64*: deterministic on every runtime.
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                ulong bits = state * 0x2545F4914F6CDD1DUL;
                values[n] = offset + (scale * (float)(((bits >> 40) / (double)(1UL << 24)) - 0.5) * 2f);
            }

            return values;
        }

        var tensors = new Dictionary<string, float[]>(StringComparer.Ordinal)
        {
            ["word"] = Random(v * h, 1f),
            ["position"] = Random(p * h, 0.5f),
            ["type"] = Random(2 * h, 0.3f),
            ["ln0_g"] = Random(h, 0.2f, 1f),
            ["ln0_b"] = Random(h, 0.1f),
            ["wq"] = Random(h * h, 0.6f),
            ["bq"] = Random(h, 0.1f),
            ["wk"] = Random(h * h, 0.6f),
            ["bk"] = Random(h, 0.1f),
            ["wv"] = Random(h * h, 0.6f),
            ["bv"] = Random(h, 0.1f),
            ["wo"] = Random(h * h, 0.5f),
            ["bo"] = Random(h, 0.1f),
            ["ln1_g"] = Random(h, 0.2f, 1f),
            ["ln1_b"] = Random(h, 0.1f),
            ["w1"] = Random(h * i, 0.5f),
            ["b1"] = Random(i, 0.1f),
            ["w2"] = Random(i * h, 0.5f),
            ["b2"] = Random(h, 0.1f),
            ["ln2_g"] = Random(h, 0.2f, 1f),
            ["ln2_b"] = Random(h, 0.1f),
            ["wp"] = Random(h * h, 0.5f),
            ["bp"] = Random(h, 0.1f),
        };
        return new BertEmbedderWeights(v, h, i, p, tensors);
    }

    private static OnnxModelBuilder BuildModel(BertEmbedderSpec spec, BertEmbedderWeights weights)
    {
        int v = weights.VocabularySize, h = weights.HiddenSize, i = weights.IntermediateSize, p = weights.MaxPositions;
        var model = new OnnxModelBuilder("tiny-bert");
        var g = model.Graph;
        OnnxDim batchDim = spec.FixedBatchSize is { } fixedBatch ? fixedBatch : "batch_size";
        OnnxDim sequenceDim = spec.FixedSequenceLength is { } fixedSequence ? fixedSequence : "sequence_length";
        var idType = spec.Int32Inputs ? OnnxDataType.Int32 : OnnxDataType.Int64;
        g.Input("input_ids", idType, batchDim, sequenceDim);
        g.Input("attention_mask", idType, batchDim, sequenceDim);
        if (spec.TokenTypeIds)
        {
            g.Input("token_type_ids", idType, batchDim, sequenceDim);
        }

        if (spec.PositionIdsInput)
        {
            g.Input("position_ids", idType, batchDim, sequenceDim);
        }

        string W(string name, params long[] dims) => g.Initializer(name, weights.Get(name), dims);

        // Embeddings: word + position + token type, then LayerNorm.
        string x = g.Gather(W("word", v, h), "input_ids");
        string positions;
        if (spec.PositionIdsInput)
        {
            positions = "position_ids";
        }
        else
        {
            string shape = g.Op("Shape", ["input_ids"]).Output;
            string seqLen = g.Gather(shape, g.Initializer(OnnxTensor.Scalar("one_index", 1L)));
            positions = g.Op("Range", [g.Initializer(OnnxTensor.Scalar("range_start", 0L)), seqLen, g.Initializer(OnnxTensor.Scalar("range_step", 1L))]).Output;
        }

        x = g.Add(x, g.Gather(W("position", p, h), positions));
        if (spec.TokenTypeIds)
        {
            x = g.Add(x, g.Gather(W("type", 2, h), "token_type_ids"));
        }

        x = g.LayerNormalization(x, W("ln0_g", h), W("ln0_b", h), epsilon: BertEmbedderWeights.Epsilon);

        // One self-attention head with the additive attention mask (1 - mask) * -10000.
        string q = g.Add(g.MatMul(x, W("wq", h, h)), W("bq", h));
        string k = g.Add(g.MatMul(x, W("wk", h, h)), W("bk", h));
        string val = g.Add(g.MatMul(x, W("wv", h, h)), W("bv", h));
        string scores = g.Mul(g.MatMul(q, g.Transpose(k, [0, 2, 1])), g.Initializer("scale", [1f / MathF.Sqrt(h)], 1));
        string maskF = g.Cast("attention_mask", OnnxDataType.Float);
        string bias = g.Mul(g.Sub(g.Initializer("one_f", [1f], 1), maskF), g.Initializer("neg_big", [-10000f], 1));
        scores = g.Add(scores, g.Unsqueeze(bias, [1]));
        string context = g.MatMul(g.Softmax(scores, -1), val);
        string attention = g.Add(g.MatMul(context, W("wo", h, h)), W("bo", h));
        string hidden = g.LayerNormalization(g.Add(x, attention), W("ln1_g", h), W("ln1_b", h), epsilon: BertEmbedderWeights.Epsilon);

        // Feed-forward with tanh.
        string ff = g.Tanh(g.Add(g.MatMul(hidden, W("w1", h, i)), W("b1", i)));
        ff = g.Add(g.MatMul(ff, W("w2", i, h)), W("b2", h));
        string output = g.LayerNormalization(g.Add(hidden, ff), W("ln2_g", h), W("ln2_b", h), epsilon: BertEmbedderWeights.Epsilon);

        if (spec.SlowLayers > 0)
        {
            const int Wide = 1024;
            var slowWeights = new float[Wide * Wide];
            for (int n = 0; n < slowWeights.Length; n++)
            {
                slowWeights[n] = ((n * 7919) % 1000 / 1000f) - 0.5f;
            }

            string slow = g.MatMul(output, g.Initializer("slow_in", Enumerable.Repeat(0.01f, h * Wide).ToArray(), h, Wide));
            string slowW = g.Initializer("slow_w", slowWeights, Wide, Wide);
            for (int n = 0; n < spec.SlowLayers; n++)
            {
                slow = g.Tanh(g.MatMul(slow, slowW));
            }

            string reduced = g.Op("ReduceMean", [slow]).Attr("keepdims", 1L).Output;
            output = g.Add(output, g.Mul(reduced, g.Initializer("zero_f", [0f], 1)));
        }

        g.Identity(output, spec.TokenOutputName);
        g.Output(spec.TokenOutputName, OnnxDataType.Float, batchDim, sequenceDim, h);

        if (spec.PoolerOutput)
        {
            string cls = g.Gather(spec.TokenOutputName, g.Initializer(OnnxTensor.Scalar("zero_index", 0L)), axis: 1);
            g.Tanh(g.Add(g.MatMul(cls, W("wp", h, h)), W("bp", h)), "pooler_output");
            g.Output("pooler_output", OnnxDataType.Float, batchDim, h);
        }

        if (spec.SentenceEmbeddingOutput)
        {
            string mask3 = g.Unsqueeze(maskF, [2]);
            string axis1 = g.Initializer("axis_1", [1L], 1);
            string sum = g.Op("ReduceSum", [g.Mul(spec.TokenOutputName, mask3), axis1]).Attr("keepdims", 0L).Output;
            string count = g.Op("ReduceSum", [mask3, axis1]).Attr("keepdims", 0L).Output;
            g.Div(sum, count, "sentence_embedding");
            g.Output("sentence_embedding", OnnxDataType.Float, batchDim, h);
        }

        return model;
    }

    private static void WriteJson(string path, object value) => File.WriteAllText(path, JsonSerializer.Serialize(value, Indented));
}
