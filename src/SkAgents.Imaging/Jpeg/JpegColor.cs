namespace SkAgents.Imaging.Jpeg;

/// <summary>The colour space of the decoded components.</summary>
internal enum JpegColorSpace
{
    Grey,
    YCbCr,
    Rgb,
    Cmyk,
    Ycck,
}

/// <summary>Upsampling of subsampled components and conversion to RGBA.</summary>
internal static class JpegColor
{
    private const int ScaleBits = 16;
    private const int OneHalf = 1 << (ScaleBits - 1);

    private static readonly int[] CrR = new int[256];
    private static readonly int[] CbB = new int[256];
    private static readonly int[] CrG = new int[256];
    private static readonly int[] CbG = new int[256];

#pragma warning disable CA1810 // the tables are filled once, in order
    static JpegColor()
#pragma warning restore CA1810
    {
        // JFIF full-range YCbCr → RGB in 16-bit fixed point, rounded as the IJG reference decoder rounds.
        for (var i = 0; i < 256; i++)
        {
            var x = i - 128;
            CrR[i] = ((Fix(1.40200) * x) + OneHalf) >> ScaleBits;
            CbB[i] = ((Fix(1.77200) * x) + OneHalf) >> ScaleBits;
            CrG[i] = -Fix(0.71414) * x;
            CbG[i] = (-Fix(0.34414) * x) + OneHalf;
        }
    }

    private static int Fix(double x) => (int)((x * (1 << ScaleBits)) + 0.5);

    private static byte Clamp(int v) => (byte)(v < 0 ? 0 : v > 255 ? 255 : v);

    public static byte[] ToRgba(JpegComponent[] components, byte[][] planes, int width, int height, int hMax, int vMax, JpegColorSpace space)
    {
        var full = new byte[components.Length][];
        for (var i = 0; i < components.Length; i++)
        {
            full[i] = Upsample(components[i], planes[i], width, height, hMax / components[i].H, vMax / components[i].V);
            planes[i] = [];
        }

        var rgba = new byte[(long)width * height * 4];
        var n = width * height;
        switch (space)
        {
            case JpegColorSpace.Grey:
                {
                    var y = full[0];
                    for (var p = 0; p < n; p++)
                    {
                        rgba[p * 4] = rgba[(p * 4) + 1] = rgba[(p * 4) + 2] = y[p];
                        rgba[(p * 4) + 3] = 255;
                    }

                    break;
                }

            case JpegColorSpace.Rgb:
                for (var p = 0; p < n; p++)
                {
                    rgba[p * 4] = full[0][p];
                    rgba[(p * 4) + 1] = full[1][p];
                    rgba[(p * 4) + 2] = full[2][p];
                    rgba[(p * 4) + 3] = 255;
                }

                break;
            case JpegColorSpace.YCbCr:
                for (var p = 0; p < n; p++)
                {
                    YccToRgb(full[0][p], full[1][p], full[2][p], out var r, out var g, out var b);
                    rgba[p * 4] = r;
                    rgba[(p * 4) + 1] = g;
                    rgba[(p * 4) + 2] = b;
                    rgba[(p * 4) + 3] = 255;
                }

                break;
            default:
                // Adobe CMYK/YCCK store inverted ink values (255 = no ink): R = C·K / 255 on the stored values.
                for (var p = 0; p < n; p++)
                {
                    int c = full[0][p], m = full[1][p], ye = full[2][p];
                    if (space == JpegColorSpace.Ycck)
                    {
                        YccToRgb((byte)c, (byte)m, (byte)ye, out var r, out var g, out var b);
                        c = 255 - r;
                        m = 255 - g;
                        ye = 255 - b;
                    }

                    var k = full[3][p];
                    rgba[p * 4] = (byte)(((c * k) + 127) / 255);
                    rgba[(p * 4) + 1] = (byte)(((m * k) + 127) / 255);
                    rgba[(p * 4) + 2] = (byte)(((ye * k) + 127) / 255);
                    rgba[(p * 4) + 3] = 255;
                }

                break;
        }

        return rgba;
    }

    private static void YccToRgb(byte y, byte cb, byte cr, out byte r, out byte g, out byte b)
    {
        r = Clamp(y + CrR[cr]);
        g = Clamp(y + ((CbG[cb] + CrG[cr]) >> ScaleBits));
        b = Clamp(y + CbB[cb]);
    }

    /// <summary>Brings one component to full resolution (width × height), cropping the block padding.</summary>
    private static byte[] Upsample(JpegComponent c, byte[] plane, int width, int height, int hr, int vr)
    {
        var stride = c.StorageBlocksPerLine * 8;
        var cw = c.Width;
        var ch = c.Height;
        var output = new byte[(long)width * height];
        if (hr == 1 && vr == 1)
        {
            for (var y = 0; y < height; y++)
            {
                plane.AsSpan(y * stride, width).CopyTo(output.AsSpan(y * width, width));
            }

            return output;
        }

        if (hr == 2 && vr == 1 && cw >= 2)
        {
            var row = new byte[cw * 2];
            for (var y = 0; y < height; y++)
            {
                H2Row(plane.AsSpan(y * stride, cw), row);
                row.AsSpan(0, width).CopyTo(output.AsSpan(y * width, width));
            }

            return output;
        }

        if (hr == 1 && vr == 2)
        {
            for (var y = 0; y < height; y++)
            {
                var sy = y >> 1;
                var near = plane.AsSpan(sy * stride, width);
                var (other, bias) = (y & 1) == 0 ? (Math.Max(sy - 1, 0), 1) : (Math.Min(sy + 1, ch - 1), 2);
                var far = plane.AsSpan(other * stride, width);
                var o = output.AsSpan(y * width, width);
                for (var x = 0; x < width; x++)
                {
                    o[x] = (byte)(((near[x] * 3) + far[x] + bias) >> 2);
                }
            }

            return output;
        }

        if (hr == 2 && vr == 2 && cw >= 2)
        {
            var row = new byte[cw * 2];
            for (var y = 0; y < height; y++)
            {
                var sy = y >> 1;
                var other = (y & 1) == 0 ? Math.Max(sy - 1, 0) : Math.Min(sy + 1, ch - 1);
                H2V2Row(plane.AsSpan(sy * stride, cw), plane.AsSpan(other * stride, cw), row);
                row.AsSpan(0, width).CopyTo(output.AsSpan(y * width, width));
            }

            return output;
        }

        // Other integer factors (and 1-sample-wide components): box replication.
        for (var y = 0; y < height; y++)
        {
            var src = plane.AsSpan(Math.Min(y / vr, ch - 1) * stride, stride);
            var o = output.AsSpan(y * width, width);
            for (var x = 0; x < width; x++)
            {
                o[x] = src[x / hr];
            }
        }

        return output;
    }

    /// <summary>Horizontal 2:1 triangle filter: each output sample is ¾ of the nearer input and ¼ of the further one.</summary>
    private static void H2Row(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var n = input.Length;
        output[0] = input[0];
        output[1] = (byte)(((input[0] * 3) + input[1] + 2) >> 2);
        for (var i = 1; i < n - 1; i++)
        {
            var v = input[i] * 3;
            output[2 * i] = (byte)((v + input[i - 1] + 1) >> 2);
            output[(2 * i) + 1] = (byte)((v + input[i + 1] + 2) >> 2);
        }

        output[(2 * n) - 2] = (byte)(((input[n - 1] * 3) + input[n - 2] + 1) >> 2);
        output[(2 * n) - 1] = input[n - 1];
    }

    /// <summary>2×2 triangle filter for one output row: <paramref name="near"/> is the nearer input row, <paramref name="far"/> the other neighbour.</summary>
    private static void H2V2Row(ReadOnlySpan<byte> near, ReadOnlySpan<byte> far, Span<byte> output)
    {
        var n = near.Length;
        var thisSum = (near[0] * 3) + far[0];
        var nextSum = (near[1] * 3) + far[1];
        output[0] = (byte)(((thisSum * 4) + 8) >> 4);
        output[1] = (byte)(((thisSum * 3) + nextSum + 7) >> 4);
        var lastSum = thisSum;
        thisSum = nextSum;
        for (var i = 1; i < n - 1; i++)
        {
            nextSum = (near[i + 1] * 3) + far[i + 1];
            output[2 * i] = (byte)(((thisSum * 3) + lastSum + 8) >> 4);
            output[(2 * i) + 1] = (byte)(((thisSum * 3) + nextSum + 7) >> 4);
            lastSum = thisSum;
            thisSum = nextSum;
        }

        output[(2 * n) - 2] = (byte)(((thisSum * 3) + lastSum + 8) >> 4);
        output[(2 * n) - 1] = (byte)(((thisSum * 4) + 7) >> 4);
    }
}
