using SkAgents.ModelFactory.Models;

namespace SkAgents.LocalModels.Tests;

/// <summary>
/// An independent re-implementation (plain arrays, double precision, no padding) of the network written by
/// <see cref="BertEmbedderFactory"/> and of sentence-transformers' pooling and normalization.
/// </summary>
internal static class EmbeddingReference
{
    /// <summary>sentence-transformers concatenates pooling results in this order.</summary>
    public static readonly string[] PoolingOrder = ["cls", "max", "mean", "mean_sqrt_len", "weightedmean", "lasttoken"];

    public static float[] Embed(BertEmbedderWeights w, int[] ids, IEnumerable<string> pooling, bool normalize, bool tokenTypes = true)
    {
        var tokens = TokenVectors(w, ids, tokenTypes);
        var modes = pooling.ToHashSet();
        var result = new List<double>();
        foreach (string mode in PoolingOrder.Where(modes.Contains))
        {
            result.AddRange(Pool(tokens, mode));
        }

        var vector = result.ToArray();
        if (normalize)
        {
            double norm = Math.Sqrt(vector.Sum(v => v * v));
            vector = [.. vector.Select(v => v / Math.Max(norm, 1e-12))];
        }

        return [.. vector.Select(v => (float)v)];
    }

    public static double[] Pool(double[][] tokens, string mode)
    {
        int h = tokens[0].Length, n = tokens.Length;
        var result = new double[h];
        for (int j = 0; j < h; j++)
        {
            result[j] = mode switch
            {
                "cls" => tokens[0][j],
                "lasttoken" => tokens[n - 1][j],
                "max" => tokens.Max(t => t[j]),
                "mean" => tokens.Sum(t => t[j]) / n,
                "mean_sqrt_len" => tokens.Sum(t => t[j]) / Math.Sqrt(n),
                "weightedmean" => tokens.Select((t, i) => t[j] * (i + 1)).Sum() / tokens.Select((_, i) => i + 1.0).Sum(),
                _ => throw new ArgumentException(mode),
            };
        }

        return result;
    }

    /// <summary>last_hidden_state for one unpadded sequence: [S][H].</summary>
    public static double[][] TokenVectors(BertEmbedderWeights w, int[] ids, bool tokenTypes = true)
    {
        int h = w.HiddenSize, s = ids.Length;
        var word = w.Get("word");
        var position = w.Get("position");
        var type = w.Get("type");
        var x = new double[s][];
        for (int t = 0; t < s; t++)
        {
            x[t] = new double[h];
            for (int j = 0; j < h; j++)
            {
                x[t][j] = word[(ids[t] * h) + j] + position[(t * h) + j] + (tokenTypes ? type[j] : 0);
            }

            x[t] = LayerNorm(x[t], w.Get("ln0_g"), w.Get("ln0_b"));
        }

        var q = x.Select(r => Linear(r, w.Get("wq"), w.Get("bq"))).ToArray();
        var k = x.Select(r => Linear(r, w.Get("wk"), w.Get("bk"))).ToArray();
        var v = x.Select(r => Linear(r, w.Get("wv"), w.Get("bv"))).ToArray();
        var output = new double[s][];
        for (int t = 0; t < s; t++)
        {
            var scores = new double[s];
            for (int u = 0; u < s; u++)
            {
                scores[u] = Enumerable.Range(0, h).Sum(j => q[t][j] * k[u][j]) / Math.Sqrt(h);
            }

            double max = scores.Max();
            var e = scores.Select(z => Math.Exp(z - max)).ToArray();
            double total = e.Sum();
            var context = new double[h];
            for (int u = 0; u < s; u++)
            {
                for (int j = 0; j < h; j++)
                {
                    context[j] += e[u] / total * v[u][j];
                }
            }

            var attention = Linear(context, w.Get("wo"), w.Get("bo"));
            var hidden = LayerNorm([.. x[t].Zip(attention, (a, b) => a + b)], w.Get("ln1_g"), w.Get("ln1_b"));
            var ff = Linear(Linear(hidden, w.Get("w1"), w.Get("b1")).Select(Math.Tanh).ToArray(), w.Get("w2"), w.Get("b2"));
            output[t] = LayerNorm([.. hidden.Zip(ff, (a, b) => a + b)], w.Get("ln2_g"), w.Get("ln2_b"));
        }

        return output;
    }

    private static double[] Linear(double[] x, float[] weight, float[] bias)
    {
        int outputs = bias.Length;
        var y = new double[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double sum = bias[o];
            for (int i = 0; i < x.Length; i++)
            {
                sum += x[i] * weight[(i * outputs) + o];
            }

            y[o] = sum;
        }

        return y;
    }

    private static double[] LayerNorm(double[] x, float[] gamma, float[] beta)
    {
        double mean = x.Average();
        double variance = x.Select(v => (v - mean) * (v - mean)).Average();
        double scale = 1 / Math.Sqrt(variance + BertEmbedderWeights.Epsilon);
        return [.. x.Select((v, j) => ((v - mean) * scale * gamma[j]) + beta[j])];
    }
}

/// <summary>Model folders in a per-process temp root, removed at exit.</summary>
internal static class EmbeddingFolders
{
    private static readonly Lazy<string> Root = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), "skagents-embedding-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
        return dir;
    });

    public static string NewFolder(string name = "tiny-bert")
    {
        string dir = Path.Combine(Root.Value, Guid.NewGuid().ToString("N")[..8], name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static (string Folder, BertEmbedderWeights Weights) Create(BertEmbedderSpec? spec = null, string name = "tiny-bert")
    {
        string folder = NewFolder(name);
        return (folder, BertEmbedderFactory.Create(folder, spec));
    }
}
