using System.Text.Json.Nodes;

namespace SkAgents.ModelFactory.Models;

/// <summary>The shape and flavour of a generated decoder.</summary>
internal sealed record DecoderArchitecture
{
    public required int Vocabulary { get; init; }

    public required int Hidden { get; init; }

    public required int Heads { get; init; }

    public required int KvHeads { get; init; }

    public required int HeadSize { get; init; }

    public required int Layers { get; init; }

    public required int ContextLength { get; init; }

    /// <summary>GroupQueryAttention + MatMulNBits + shared buffer (else standard ops and a growing cache).</summary>
    public required bool Gqa { get; init; }

    /// <summary>The script (null: random weights only, no designed logits).</summary>
    public DecoderScript? Script { get; init; }

    public int Seed { get; init; } = 1234;

    public int AccuracyLevel { get; init; }

    /// <summary>SwiGLU MLP width (0: no MLP).</summary>
    public int MlpSize { get; init; }

    /// <summary>Embedding rows (ids are taken modulo this); 0 = the vocabulary.</summary>
    public int EmbeddingRows { get; init; }

    /// <summary>Layer normalization before attention/MLP and the head.</summary>
    public bool Norms { get; init; }

    /// <summary>Random codes instead of quantized Gaussian weights (fast, for big models).</summary>
    public bool RandomInt4 { get; init; }
}

/// <summary>
/// Writes decoder graphs in the onnxruntime-genai I/O convention. With a script, layer 0 holds two "control" heads on
/// KV head 0 (keys <c>[isAnchor, position]</c>, values <c>[position, isAnchor]</c>): one query <c>[B, C]</c> attends
/// to the last anchor (its position), one zero query averages (the anchor count); the logits are
/// <c>Big · onehot(Table[reply(count)][position − lastAnchor])</c> plus a small random-weight path through every layer,
/// so the exact logits depend on all of the KV cache while the greedy token is the scripted one.
/// </summary>
internal sealed class DecoderGraphWriter
{
    public const float Big = 10f;
    private const float QueryPosition = 32f;

    private readonly DecoderArchitecture _a;
    private readonly OnnxModelBuilder _model;
    private readonly OnnxGraphBuilder _g;
    private readonly Random _random;

    public DecoderGraphWriter(DecoderArchitecture architecture)
    {
        _a = architecture;
        _model = new OnnxModelBuilder("decoder");
        _model.Opset(string.Empty, 21);
        if (architecture.Gqa)
        {
            _model.Opset("com.microsoft", 1);
        }

        _g = _model.Graph;
        _random = new Random(architecture.Seed);
        if (architecture.Script is not null && architecture.Heads / architecture.KvHeads < 2)
        {
            throw new ArgumentException("Scripted models need at least two query heads per KV head.");
        }
    }

    public OnnxModelBuilder Build()
    {
        var a = _a;
        var g = _g;
        string ids = g.Input("input_ids", OnnxDataType.Int64, "batch_size", "sequence_length");
        string mask = g.Input("attention_mask", OnnxDataType.Int64, "batch_size", "total_sequence_length");
        string? positionIds = a.Gqa ? null : g.Input("position_ids", OnnxDataType.Int64, "batch_size", "sequence_length");
        var pastK = new string[a.Layers];
        var pastV = new string[a.Layers];
        for (int i = 0; i < a.Layers; i++)
        {
            pastK[i] = g.Input($"past_key_values.{i}.key", OnnxDataType.Float, "batch_size", a.KvHeads, "past_sequence_length", a.HeadSize);
            pastV[i] = g.Input($"past_key_values.{i}.value", OnnxDataType.Float, "batch_size", a.KvHeads, "past_sequence_length", a.HeadSize);
        }

        // Positions as float [1, S, 1].
        string position;
        string? allowed = null;
        string? seqlens = null;
        string? total = null;
        if (a.Gqa)
        {
            string totalLength = Squeeze(g.Op("Shape", [mask]).Attr("start", 1L).Attr("end", 2L).Output);
            string length = Squeeze(g.Op("Shape", [ids]).Attr("start", 1L).Attr("end", 2L).Output);
            string range = g.Op("Range", [g.Sub(totalLength, length), totalLength, Scalar(1L)]).Output;
            position = g.Reshape(g.Cast(range, OnnxDataType.Float), [1, -1, 1]);
            seqlens = g.Cast(g.Sub(g.Op("ReduceSum", [mask, Vector(1L)]).Attr("keepdims", 0L).Output, Scalar(1L)), OnnxDataType.Int32);
            total = g.Cast(totalLength, OnnxDataType.Int32);
        }
        else
        {
            position = g.Cast(g.Unsqueeze(positionIds!, [2]), OnnxDataType.Float);
            string totalLength = Squeeze(g.Op("Shape", [mask]).Attr("start", 1L).Attr("end", 2L).Output);
            string keys = g.Op("Range", [Scalar(0L), totalLength, Scalar(1L)]).Output;
            string causal = g.Op("LessOrEqual", [keys, g.Unsqueeze(positionIds!, [2])]).Output; // [1, S, T]
            string present = g.Cast(g.Unsqueeze(mask, [1]), OnnxDataType.Bool); // [1, 1, T]
            allowed = g.Unsqueeze(g.Op("And", [causal, present]).Output, [1]); // [1, 1, S, T]
        }

        int rows = a.EmbeddingRows > 0 ? a.EmbeddingRows : a.Vocabulary;
        string embedIds = rows < a.Vocabulary ? g.Op("Mod", [ids, Scalar((long)rows)]).Output : ids;
        string x = g.Gather(g.Initializer("embed_tokens", Gaussian(rows * a.Hidden, 0.5f), rows, a.Hidden), embedIds);

        string? control = null;
        for (int layer = 0; layer < a.Layers; layer++)
        {
            bool scripted = layer == 0 && a.Script is not null;
            int controlQ = scripted ? 2 * a.HeadSize : 0;
            int controlKv = scripted ? a.HeadSize : 0;
            int qWidth = (a.Heads * a.HeadSize) - controlQ;
            int kvWidth = (a.KvHeads * a.HeadSize) - controlKv;
            string h = a.Norms ? Norm(x, $"layers.{layer}.input_norm") : x;
            float qScale = 1f / MathF.Sqrt(a.HeadSize);
            string q = Project(h, a.Hidden, qWidth, $"layers.{layer}.attn.q_proj", 0.6f / MathF.Sqrt(a.Hidden), qScale);
            string k = Project(h, a.Hidden, kvWidth, $"layers.{layer}.attn.k_proj", 0.6f / MathF.Sqrt(a.Hidden));
            string v = Project(h, a.Hidden, kvWidth, $"layers.{layer}.attn.v_proj", 0.6f / MathF.Sqrt(a.Hidden));
            if (scripted)
            {
                string anchor = g.Gather(g.Initializer("anchor_flags", AnchorFlags(), a.Vocabulary, 1), ids); // [1, S, 1]
                string features = g.Concat([anchor, position], 2); // [1, S, 2]
                var qRow = new float[2 * a.HeadSize];
                qRow[0] = QueryPosition * (a.ContextLength + 8); // anchor weight beats any position difference
                qRow[1] = QueryPosition;
                string qc = g.Add(g.Mul(position, g.Initializer("control_zero", new float[2 * a.HeadSize], 1, 1, 2 * a.HeadSize)), g.Initializer("control_q", qRow, 1, 1, 2 * a.HeadSize));
                string kc = g.MatMul(features, g.Initializer("control_k", Selection(2, a.HeadSize, (0, 0), (1, 1)), 2, a.HeadSize));
                string vc = g.MatMul(features, g.Initializer("control_v", Selection(2, a.HeadSize, (0, 1), (1, 0)), 2, a.HeadSize));
                q = g.Concat([qc, q], 2);
                k = g.Concat([kc, k], 2);
                v = g.Concat([vc, v], 2);
            }

            string attention = a.Gqa
                ? GqaAttention(q, k, v, pastK[layer], pastV[layer], layer, seqlens!, total!)
                : StandardAttention(q, k, v, pastK[layer], pastV[layer], layer, allowed!);
            string mixed = attention;
            if (scripted)
            {
                string heads = Slice(attention, 0, 2 * a.HeadSize);
                control = g.MatMul(heads, g.Initializer("control_select", Selection(2 * a.HeadSize, 3, (0, 0), (1, 1), (a.HeadSize + 1, 2)), 2 * a.HeadSize, 3));
                mixed = Slice(attention, 2 * a.HeadSize, a.Heads * a.HeadSize);
            }

            x = g.Add(x, Project(mixed, qWidth, a.Hidden, $"layers.{layer}.attn.o_proj", 0.5f / MathF.Sqrt(qWidth)));
            if (a.MlpSize > 0)
            {
                string m = a.Norms ? Norm(x, $"layers.{layer}.post_attention_norm") : x;
                string gate = Project(m, a.Hidden, a.MlpSize, $"layers.{layer}.mlp.gate_proj", 1f / MathF.Sqrt(a.Hidden));
                string up = Project(m, a.Hidden, a.MlpSize, $"layers.{layer}.mlp.up_proj", 1f / MathF.Sqrt(a.Hidden));
                string act = g.Mul(g.Mul(gate, g.Sigmoid(gate)), up);
                x = g.Add(x, Project(act, a.MlpSize, a.Hidden, $"layers.{layer}.mlp.down_proj", 0.5f / MathF.Sqrt(a.MlpSize)));
            }
        }

        string final = a.Norms ? Norm(x, "final_norm") : x;
        string small = Project(final, a.Hidden, a.Vocabulary, "lm_head", a.Script is null ? 1f / MathF.Sqrt(a.Hidden) : 0.05f / MathF.Sqrt(a.Hidden));
        if (a.Script is null)
        {
            g.Identity(small, "logits");
        }
        else
        {
            g.Add(small, ScriptedLogits(control!, position), "logits");
        }

        g.Output("logits", OnnxDataType.Float, "batch_size", "sequence_length", a.Vocabulary);
        return _model;
    }

    /// <summary>genai_config.json for the written graph.</summary>
    public JsonObject GenAIConfig(string modelType, IReadOnlyList<int> eos, int? bos, int pad, string fileName, int? maxLength)
    {
        var a = _a;
        var inputs = new JsonObject
        {
            ["input_ids"] = "input_ids",
            ["attention_mask"] = "attention_mask",
            ["past_key_names"] = "past_key_values.%d.key",
            ["past_value_names"] = "past_key_values.%d.value",
        };
        if (!a.Gqa)
        {
            inputs["position_ids"] = "position_ids";
        }

        var model = new JsonObject
        {
            ["bos_token_id"] = bos,
            ["context_length"] = a.ContextLength,
            ["decoder"] = new JsonObject
            {
                ["session_options"] = new JsonObject { ["log_id"] = "onnxruntime-genai", ["provider_options"] = new JsonArray() },
                ["filename"] = fileName,
                ["head_size"] = a.HeadSize,
                ["hidden_size"] = a.Hidden,
                ["inputs"] = inputs,
                ["outputs"] = new JsonObject
                {
                    ["logits"] = "logits",
                    ["present_key_names"] = "present.%d.key",
                    ["present_value_names"] = "present.%d.value",
                },
                ["num_attention_heads"] = a.Heads,
                ["num_hidden_layers"] = a.Layers,
                ["num_key_value_heads"] = a.KvHeads,
            },
            ["eos_token_id"] = eos.Count == 1 ? eos[0] : new JsonArray([.. eos.Select(e => (JsonNode)e)]),
            ["pad_token_id"] = pad,
            ["type"] = modelType,
            ["vocab_size"] = a.Vocabulary,
        };
        var search = new JsonObject
        {
            ["diversity_penalty"] = 0.0,
            ["do_sample"] = false,
            ["early_stopping"] = true,
            ["length_penalty"] = 1.0,
            ["max_length"] = maxLength ?? a.ContextLength,
            ["min_length"] = 0,
            ["no_repeat_ngram_size"] = 0,
            ["num_beams"] = 1,
            ["num_return_sequences"] = 1,
            ["past_present_share_buffer"] = a.Gqa,
            ["repetition_penalty"] = 1.0,
            ["temperature"] = 1.0,
            ["top_k"] = 1,
            ["top_p"] = 1.0,
        };
        return new JsonObject { ["model"] = model, ["search"] = search };
    }

    private string ScriptedLogits(string control, string position)
    {
        var g = _g;
        var script = _a.Script!;
        int width = _a.ContextLength + 1;
        string lastPosition = Slice(control, 0, 1);
        string hasAnchor = Slice(control, 1, 2);
        string meanAnchor = Slice(control, 2, 3);
        string one = g.Initializer(g.UniqueName("one"), [1f], 1);
        // last anchor = h·(p + 1) − 1: the anchor's position, or −1 when there is none.
        string lastAnchor = g.Sub(g.Mul(hasAnchor, g.Add(lastPosition, one)), one);
        string distance = Index(g.Sub(position, lastAnchor), width - 1);
        string count = Index(g.Mul(meanAnchor, g.Add(position, one)), width - 1);

        int replies = Math.Max(1, script.Replies.Count);
        var byCount = new long[width];
        for (int c = 0; c < width; c++)
        {
            byCount[c] = script.ReplyIndex(c);
        }

        var table = new long[replies * width];
        for (int r = 0; r < replies; r++)
        {
            for (int d = 0; d < width; d++)
            {
                table[(r * width) + d] = script.TokenAt(r, d);
            }
        }

        string reply = g.Gather(g.Initializer("script_reply_by_count", byCount, width), count);
        string row = g.Add(g.Mul(reply, Scalar((long)width)), distance);
        string token = g.Gather(g.Initializer("script_tokens", table, table.Length), row); // [1, S, 1]
        string flat = g.Op("Squeeze", [token, Vector(2L)]).Output;
        return g.Op("OneHot", [flat, Vector((long)_a.Vocabulary), g.Initializer("onehot_values", [0f, Big], 2)]).Attr("axis", -1L).Output;
    }

    private string Index(string value, int max)
    {
        var g = _g;
        string rounded = g.Op("Round", [value]).Output;
        string clipped = g.Op("Clip", [rounded, ScalarF(0f), ScalarF(max)]).Output;
        return g.Cast(clipped, OnnxDataType.Int64);
    }

    private string StandardAttention(string q, string k, string v, string pastK, string pastV, int layer, string allowed)
    {
        var g = _g;
        var a = _a;
        string qh = g.Transpose(g.Reshape(q, [0, 0, a.Heads, a.HeadSize]), [0, 2, 1, 3]);
        string kh = g.Transpose(g.Reshape(k, [0, 0, a.KvHeads, a.HeadSize]), [0, 2, 1, 3]);
        string vh = g.Transpose(g.Reshape(v, [0, 0, a.KvHeads, a.HeadSize]), [0, 2, 1, 3]);
        string presentK = g.Concat([pastK, kh], 2, $"present.{layer}.key");
        string presentV = g.Concat([pastV, vh], 2, $"present.{layer}.value");
        g.Output(presentK, OnnxDataType.Float, "batch_size", a.KvHeads, "total_sequence_length", a.HeadSize);
        g.Output(presentV, OnnxDataType.Float, "batch_size", a.KvHeads, "total_sequence_length", a.HeadSize);
        string keys = RepeatKv(presentK);
        string values = RepeatKv(presentV);
        string scores = g.MatMul(qh, g.Transpose(keys, [0, 1, 3, 2])); // [1, H, S, T]
        string masked = g.Op("Where", [allowed, scores, g.Initializer(g.UniqueName("neg_inf"), [float.NegativeInfinity], 1)]).Output;
        string weights = g.Softmax(masked, -1);
        string output = g.MatMul(weights, values); // [1, H, S, hd]
        return g.Reshape(g.Transpose(output, [0, 2, 1, 3]), [0, 0, -1]);
    }

    private string RepeatKv(string kv)
    {
        int group = _a.Heads / _a.KvHeads;
        if (group == 1)
        {
            return kv;
        }

        string u = _g.Unsqueeze(kv, [2]);
        string repeated = _g.Concat(Enumerable.Repeat(u, group), 2); // [1, kv, group, T, hd]
        return _g.Reshape(repeated, [0, _a.Heads, -1, _a.HeadSize]);
    }

    private string GqaAttention(string q, string k, string v, string pastK, string pastV, int layer, string seqlens, string total)
    {
        var a = _a;
        string output = _g.UniqueName("gqa_out");
        _g.Node(
                "GroupQueryAttention",
                [q, k, v, pastK, pastV, seqlens, total],
                [output, $"present.{layer}.key", $"present.{layer}.value"],
                "com.microsoft")
            .Attr("num_heads", a.Heads)
            .Attr("kv_num_heads", a.KvHeads)
            .Attr("scale", 1f)
            .Attr("do_rotary", 0L);
        _g.Output($"present.{layer}.key", OnnxDataType.Float, "batch_size", a.KvHeads, "total_sequence_length", a.HeadSize);
        _g.Output($"present.{layer}.value", OnnxDataType.Float, "batch_size", a.KvHeads, "total_sequence_length", a.HeadSize);
        return output;
    }

    /// <summary>x · W (W random Gaussian with the given std, times <paramref name="extraScale"/>); int4 MatMulNBits in GQA models.</summary>
    private string Project(string x, int k, int n, string name, float std, float extraScale = 1f)
    {
        if (_a.Gqa)
        {
            Int4Matrix matrix;
            if (_a.RandomInt4)
            {
                matrix = Int4Quantizer.Random(_random, k, n, std * extraScale * 2f / 7f);
            }
            else
            {
                var w = Gaussian(k * n, std * extraScale);
                matrix = Int4Quantizer.Quantize(w, k, n);
            }

            return matrix.MatMul(_g, x, name, _a.AccuracyLevel);
        }

        return _g.MatMul(x, _g.Initializer(name + ".weight", Gaussian(k * n, std * extraScale), k, n));
    }

    private string Norm(string x, string name)
    {
        var ones = new float[_a.Hidden];
        Array.Fill(ones, 1f);
        return _g.LayerNormalization(x, _g.Initializer(name + ".weight", ones, _a.Hidden), epsilon: 1e-5f);
    }

    private string Slice(string x, long start, long end) =>
        _g.Op("Slice", [x, Vector(start), Vector(end), Vector(2L)]).Output;

    private string Squeeze(string x) => _g.Op("Squeeze", [x, Vector(0L)]).Output;

    private string Scalar(long value) => _g.Initializer(OnnxTensor.Scalar(_g.UniqueName("c"), value));

    private string ScalarF(float value) => _g.Initializer(OnnxTensor.Scalar(_g.UniqueName("c"), value));

    private string Vector(long value) => _g.Initializer(_g.UniqueName("v"), [value], 1);

    private float[] AnchorFlags()
    {
        var flags = new float[_a.Vocabulary];
        foreach (int id in _a.Script!.AnchorTokenIds)
        {
            flags[id] = 1f;
        }

        return flags;
    }

    private static float[] Selection(int rows, int columns, params (int Row, int Column)[] ones)
    {
        var m = new float[rows * columns];
        foreach (var (row, column) in ones)
        {
            m[(row * columns) + column] = 1f;
        }

        return m;
    }

    private float[] Gaussian(int count, float std)
    {
        var values = new float[count];
        for (int i = 0; i < count; i += 2)
        {
            double u1 = 1.0 - _random.NextDouble();
            double u2 = _random.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            values[i] = (float)(radius * Math.Cos(2 * Math.PI * u2) * std);
            if (i + 1 < count)
            {
                values[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2) * std);
            }
        }

        return values;
    }

}
