namespace SkAgents.Imaging.Jpeg;

/// <summary>
/// The accurate integer inverse DCT (the Loeffler–Ligtenberg–Moschytz factorisation with 13-bit fixed-point constants and
/// 2 extra bits between passes), producing the same samples as the "islow" IDCT of the IJG reference decoder.
/// </summary>
internal static class JpegIdct
{
    private const int ConstBits = 13;
    private const int Pass1Bits = 2;
    private const int Fix0298631336 = 2446;
    private const int Fix0390180644 = 3196;
    private const int Fix0541196100 = 4433;
    private const int Fix0765366865 = 6270;
    private const int Fix0899976223 = 7373;
    private const int Fix1175875602 = 9633;
    private const int Fix1501321110 = 12299;
    private const int Fix1847759065 = 15137;
    private const int Fix1961570560 = 16069;
    private const int Fix2053119869 = 16819;
    private const int Fix2562915447 = 20995;
    private const int Fix3072711026 = 25172;

    /// <summary>Natural-order index of the k-th coefficient in zig-zag order (T.81 figure A.6), padded so a corrupt index past 63 stays in range.</summary>
    internal static ReadOnlySpan<byte> ZigZag =>
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
        63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    ];

    private static int Descale(int x, int n) => (x + (1 << (n - 1))) >> n;

    private static byte Clamp(int v) => (byte)(v < 0 ? 0 : v > 255 ? 255 : v);

    /// <summary>Dequantises and inverse-transforms one block (natural order) into 8×8 samples at <paramref name="output"/>[offset], row stride <paramref name="stride"/>.</summary>
    public static void Transform(ReadOnlySpan<short> coefficients, ReadOnlySpan<ushort> quant, Span<int> workspace, Span<byte> output, int offset, int stride)
    {
        // Pass 1: columns from the input, into the workspace (scaled up by 2^Pass1Bits).
        for (var c = 0; c < 8; c++)
        {
            if (coefficients[8 + c] == 0 && coefficients[16 + c] == 0 && coefficients[24 + c] == 0 && coefficients[32 + c] == 0
                && coefficients[40 + c] == 0 && coefficients[48 + c] == 0 && coefficients[56 + c] == 0)
            {
                var dc = (coefficients[c] * quant[c]) << Pass1Bits;
                for (var r = 0; r < 8; r++)
                {
                    workspace[(r * 8) + c] = dc;
                }

                continue;
            }

            var z2 = coefficients[16 + c] * quant[16 + c];
            var z3 = coefficients[48 + c] * quant[48 + c];
            var z1 = (z2 + z3) * Fix0541196100;
            var tmp2 = z1 + (z3 * -Fix1847759065);
            var tmp3 = z1 + (z2 * Fix0765366865);
            z2 = coefficients[c] * quant[c];
            z3 = coefficients[32 + c] * quant[32 + c];
            var tmp0 = (z2 + z3) << ConstBits;
            var tmp1 = (z2 - z3) << ConstBits;
            var tmp10 = tmp0 + tmp3;
            var tmp13 = tmp0 - tmp3;
            var tmp11 = tmp1 + tmp2;
            var tmp12 = tmp1 - tmp2;

            tmp0 = coefficients[56 + c] * quant[56 + c];
            tmp1 = coefficients[40 + c] * quant[40 + c];
            tmp2 = coefficients[24 + c] * quant[24 + c];
            tmp3 = coefficients[8 + c] * quant[8 + c];
            Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int shift = ConstBits - Pass1Bits;
            workspace[c] = Descale(tmp10 + tmp3, shift);
            workspace[56 + c] = Descale(tmp10 - tmp3, shift);
            workspace[8 + c] = Descale(tmp11 + tmp2, shift);
            workspace[48 + c] = Descale(tmp11 - tmp2, shift);
            workspace[16 + c] = Descale(tmp12 + tmp1, shift);
            workspace[40 + c] = Descale(tmp12 - tmp1, shift);
            workspace[24 + c] = Descale(tmp13 + tmp0, shift);
            workspace[32 + c] = Descale(tmp13 - tmp0, shift);
        }

        // Pass 2: rows from the workspace, to samples (level shift +128, clamped).
        for (var r = 0; r < 8; r++)
        {
            var w = workspace.Slice(r * 8, 8);
            var o = offset + (r * stride);
            if (w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0)
            {
                var v = Clamp(Descale(w[0], Pass1Bits + 3) + 128);
                output.Slice(o, 8).Fill(v);
                continue;
            }

            var z2 = w[2];
            var z3 = w[6];
            var z1 = (z2 + z3) * Fix0541196100;
            var tmp2 = z1 + (z3 * -Fix1847759065);
            var tmp3 = z1 + (z2 * Fix0765366865);
            var tmp0 = (w[0] + w[4]) << ConstBits;
            var tmp1 = (w[0] - w[4]) << ConstBits;
            var tmp10 = tmp0 + tmp3;
            var tmp13 = tmp0 - tmp3;
            var tmp11 = tmp1 + tmp2;
            var tmp12 = tmp1 - tmp2;

            tmp0 = w[7];
            tmp1 = w[5];
            tmp2 = w[3];
            tmp3 = w[1];
            Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int shift = ConstBits + Pass1Bits + 3;
            output[o] = Clamp(Descale(tmp10 + tmp3, shift) + 128);
            output[o + 7] = Clamp(Descale(tmp10 - tmp3, shift) + 128);
            output[o + 1] = Clamp(Descale(tmp11 + tmp2, shift) + 128);
            output[o + 6] = Clamp(Descale(tmp11 - tmp2, shift) + 128);
            output[o + 2] = Clamp(Descale(tmp12 + tmp1, shift) + 128);
            output[o + 5] = Clamp(Descale(tmp12 - tmp1, shift) + 128);
            output[o + 3] = Clamp(Descale(tmp13 + tmp0, shift) + 128);
            output[o + 4] = Clamp(Descale(tmp13 - tmp0, shift) + 128);
        }
    }

    /// <summary>The odd part: inputs are the coefficients 7, 5, 3, 1; outputs the four odd terms.</summary>
    private static void Odd(ref int tmp0, ref int tmp1, ref int tmp2, ref int tmp3)
    {
        var z1 = tmp0 + tmp3;
        var z2 = tmp1 + tmp2;
        var z3 = tmp0 + tmp2;
        var z4 = tmp1 + tmp3;
        var z5 = (z3 + z4) * Fix1175875602;
        tmp0 *= Fix0298631336;
        tmp1 *= Fix2053119869;
        tmp2 *= Fix3072711026;
        tmp3 *= Fix1501321110;
        z1 *= -Fix0899976223;
        z2 *= -Fix2562915447;
        z3 *= -Fix1961570560;
        z4 *= -Fix0390180644;
        z3 += z5;
        z4 += z5;
        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;
    }
}
