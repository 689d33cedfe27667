namespace SkAgents.ModelFactory.Models;

/// <summary>
/// A weight matrix in com.microsoft MatMulNBits layout (4 bits): <c>Y = X · W</c> with W of shape [K, N], stored per
/// output column n as <c>B[n][block][16]</c> bytes (block_size 32 values along K, two per byte, the even k in the low
/// nibble), one float scale per (n, block) and the default zero point 8: <c>w = (q − 8) · scale</c>.
/// </summary>
public sealed class Int4Matrix
{
    internal Int4Matrix(int k, int n, int blockSize, byte[] packed, float[] scales)
    {
        K = k;
        N = n;
        BlockSize = blockSize;
        Packed = packed;
        Scales = scales;
    }

    /// <summary>Gets the input size (rows of W).</summary>
    public int K { get; }

    /// <summary>Gets the output size (columns of W).</summary>
    public int N { get; }

    /// <summary>Gets the block size along K.</summary>
    public int BlockSize { get; }

    /// <summary>Gets the number of blocks per column.</summary>
    public int BlocksPerColumn => (K + BlockSize - 1) / BlockSize;

    /// <summary>Gets the packed bytes, shape [N, blocks, BlockSize / 2].</summary>
    public byte[] Packed { get; }

    /// <summary>Gets the scales, shape [N · blocks].</summary>
    public float[] Scales { get; }

    /// <summary>The dequantized matrix W [K, N] (row-major), what MatMulNBits multiplies by.</summary>
    /// <returns>The values.</returns>
    public float[] Dequantize()
    {
        var w = new float[K * N];
        int half = BlockSize / 2;
        for (int n = 0; n < N; n++)
        {
            for (int k = 0; k < K; k++)
            {
                int block = k / BlockSize;
                int j = k % BlockSize;
                byte b = Packed[(((n * BlocksPerColumn) + block) * half) + (j / 2)];
                int q = (j & 1) == 0 ? b & 0x0F : b >> 4;
                w[(k * N) + n] = (q - 8) * Scales[(n * BlocksPerColumn) + block];
            }
        }

        return w;
    }

    /// <summary>Adds a MatMulNBits node computing <c>x · W</c> (its weights become initializers).</summary>
    /// <param name="g">The graph.</param>
    /// <param name="x">Input [.., K].</param>
    /// <param name="name">Weight name prefix.</param>
    /// <param name="accuracyLevel">accuracy_level (0 = fp32 compute, 4 = int8 activations).</param>
    /// <returns>The output [.., N].</returns>
    public string MatMul(OnnxGraphBuilder g, string x, string name, int accuracyLevel = 0)
    {
        ArgumentNullException.ThrowIfNull(g);
        string b = g.Initializer(OnnxTensor.Create(name + ".qweight", Packed, N, BlocksPerColumn, BlockSize / 2));
        string s = g.Initializer(OnnxTensor.Create(name + ".scales", Scales, (long)N * BlocksPerColumn));
        return g.Op("MatMulNBits", [x, b, s], domain: "com.microsoft")
            .Attr("K", K).Attr("N", N).Attr("bits", 4L).Attr("block_size", BlockSize).Attr("accuracy_level", accuracyLevel).Output;
    }
}

/// <summary>Quantizes float matrices to <see cref="Int4Matrix"/> (symmetric, round to nearest) or makes random ones.</summary>
public static class Int4Quantizer
{
    /// <summary>Quantizes W [K, N] (row-major).</summary>
    /// <param name="w">The weights.</param>
    /// <param name="k">Rows.</param>
    /// <param name="n">Columns.</param>
    /// <param name="blockSize">Block size along K (a multiple of 2; 32 in published CPU models).</param>
    /// <returns>The quantized matrix.</returns>
    public static Int4Matrix Quantize(ReadOnlySpan<float> w, int k, int n, int blockSize = 32)
    {
        if (w.Length != k * n)
        {
            throw new ArgumentException($"Expected {k}×{n} values, got {w.Length}.", nameof(w));
        }

        int blocks = (k + blockSize - 1) / blockSize;
        int half = blockSize / 2;
        var packed = new byte[n * blocks * half];
        var scales = new float[n * blocks];
        for (int col = 0; col < n; col++)
        {
            for (int block = 0; block < blocks; block++)
            {
                float max = 0;
                for (int j = 0; j < blockSize && (block * blockSize) + j < k; j++)
                {
                    max = Math.Max(max, Math.Abs(w[(((block * blockSize) + j) * n) + col]));
                }

                float scale = max == 0 ? 1f : max / 7f;
                scales[(col * blocks) + block] = scale;
                for (int j = 0; j < blockSize; j++)
                {
                    int row = (block * blockSize) + j;
                    int q = row < k ? Math.Clamp((int)MathF.Round(w[(row * n) + col] / scale) + 8, 0, 15) : 8;
                    int index = (((col * blocks) + block) * half) + (j / 2);
                    packed[index] |= (byte)((j & 1) == 0 ? q : q << 4);
                }
            }
        }

        return new Int4Matrix(k, n, blockSize, packed, scales);
    }

    /// <summary>A random matrix (uniform codes, scales around <paramref name="scale"/>): fast, for benchmark models.</summary>
    /// <param name="random">The random source.</param>
    /// <param name="k">Rows.</param>
    /// <param name="n">Columns.</param>
    /// <param name="scale">Typical scale.</param>
    /// <param name="blockSize">Block size.</param>
    /// <returns>The matrix.</returns>
    public static Int4Matrix Random(Random random, int k, int n, float scale, int blockSize = 32)
    {
        ArgumentNullException.ThrowIfNull(random);
        int blocks = (k + blockSize - 1) / blockSize;
        var packed = new byte[n * blocks * (blockSize / 2)];
        random.NextBytes(packed);
        var scales = new float[n * blocks];
        for (int i = 0; i < scales.Length; i++)
        {
            scales[i] = scale * (0.5f + random.NextSingle());
        }

        return new Int4Matrix(k, n, blockSize, packed, scales);
    }
}
