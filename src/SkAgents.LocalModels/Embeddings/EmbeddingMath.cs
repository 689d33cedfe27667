using System.Numerics;
using System.Numerics.Tensors;

namespace SkAgents.LocalModels.Embeddings;

/// <summary>Pooling and normalization on spans (SIMD through <see cref="TensorPrimitives"/>), as sentence-transformers computes them.</summary>
internal static class EmbeddingMath
{
    /// <summary>Same epsilon as torch.nn.functional.normalize.</summary>
    private const float NormEpsilon = 1e-12f;

    /// <summary>How many hidden-sized vectors the modes produce (they are concatenated).</summary>
    public static int Multiplier(PoolingModes modes) => BitOperations.PopCount((uint)modes);

    /// <summary>
    /// Pools one sequence. <paramref name="tokens"/> holds at least <paramref name="length"/> token vectors of
    /// <paramref name="hidden"/> floats; the first <paramref name="length"/> are the real tokens (padding is on the right).
    /// A sequence with no real tokens pools to zeros.
    /// </summary>
    public static void Pool(ReadOnlySpan<float> tokens, int hidden, int length, PoolingModes modes, Span<float> destination)
    {
        int offset = 0;
        for (int bit = 1; bit <= (int)PoolingModes.LastToken; bit <<= 1)
        {
            var mode = (PoolingModes)bit;
            if ((modes & mode) == 0)
            {
                continue;
            }

            var dest = destination.Slice(offset, hidden);
            offset += hidden;
            dest.Clear();
            if (length == 0)
            {
                continue;
            }

            switch (mode)
            {
                case PoolingModes.Cls:
                    tokens[..hidden].CopyTo(dest);
                    break;
                case PoolingModes.LastToken:
                    tokens.Slice((length - 1) * hidden, hidden).CopyTo(dest);
                    break;
                case PoolingModes.Max:
                    tokens[..hidden].CopyTo(dest);
                    for (int t = 1; t < length; t++)
                    {
                        TensorPrimitives.Max(dest, tokens.Slice(t * hidden, hidden), dest);
                    }

                    break;
                case PoolingModes.Mean:
                case PoolingModes.MeanSqrtLength:
                    Sum(tokens, hidden, length, dest);
                    TensorPrimitives.Multiply(dest, 1f / (mode == PoolingModes.Mean ? length : MathF.Sqrt(length)), dest);
                    break;
                case PoolingModes.WeightedMean:
                    for (int t = 0; t < length; t++)
                    {
                        TensorPrimitives.MultiplyAdd(tokens.Slice(t * hidden, hidden), t + 1, dest, dest);
                    }

                    TensorPrimitives.Multiply(dest, 2f / ((float)length * (length + 1)), dest);
                    break;
            }
        }
    }

    /// <summary>Scales <paramref name="vector"/> to unit L2 length (x / max(‖x‖, 1e-12)).</summary>
    public static void Normalize(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        TensorPrimitives.Multiply(vector, 1f / MathF.Max(norm, NormEpsilon), vector);
    }

    private static void Sum(ReadOnlySpan<float> tokens, int hidden, int length, Span<float> dest)
    {
        tokens[..hidden].CopyTo(dest);
        for (int t = 1; t < length; t++)
        {
            TensorPrimitives.Add(dest, tokens.Slice(t * hidden, hidden), dest);
        }
    }
}
