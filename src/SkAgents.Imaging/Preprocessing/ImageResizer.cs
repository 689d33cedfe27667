namespace SkAgents.Imaging;

/// <summary>
/// Resizes 8-bit images the way Pillow's <c>Image.resize(size, resample)</c> does (Pillow 7 to 11, no
/// <c>reducing_gap</c>), so a model sees the same pixels as with its Python preprocessor.
/// </summary>
/// <remarks>
/// <para>
/// Convolution filters (bilinear, bicubic, Lanczos, box, Hamming): pixel centres at half-integers
/// (<c>center = (x + 0.5) × in / out</c>); when downscaling, the filter is widened by the scale factor, which
/// antialiases; weights are normalised to sum to 1 and turned into 22-bit fixed-point integers; the horizontal pass runs
/// first into an 8-bit intermediate image (rounded and clamped), then the vertical pass, exactly as Pillow's
/// <c>ImagingResample</c> for 8-bit images. Results are bit-identical to Pillow for RGB images.
/// </para>
/// <para>
/// Nearest: output pixel <c>x</c> takes source pixel <c>floor((x + 0.5) × in / out)</c>, the position accumulated in
/// double precision as Pillow's affine nearest-neighbour path does.
/// </para>
/// <para>
/// Every channel, alpha included, is resampled on its own; Pillow premultiplies alpha before resizing RGBA images, so
/// for images with partial transparency the colour of (nearly) transparent pixels can differ from Pillow's. Drop or
/// composite alpha first when that matters (<see cref="ImagePreprocessor"/> drops it, as <c>convert("RGB")</c> does).
/// </para>
/// </remarks>
public static class ImageResizer
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes an image.</summary>
    /// <param name="image">The image.</param>
    /// <param name="width">The new width (positive).</param>
    /// <param name="height">The new height (positive).</param>
    /// <param name="filter">The resampling filter.</param>
    /// <returns>A new image of the given size (a copy when the size is unchanged).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is zero or negative, or the filter is unknown.</exception>
    public static DecodedImage Resize(DecodedImage image, int width, int height, ResampleFilter filter)
    {
        ArgumentNullException.ThrowIfNull(image);
        var pixels = Resize(image.Pixels, 4, image.Width, image.Height, width, height, filter);
        return new DecodedImage(width, height, pixels, image.Format);
    }

    /// <summary>Resizes interleaved 8-bit samples.</summary>
    internal static byte[] Resize(byte[] src, int channels, int inWidth, int inHeight, int outWidth, int outHeight, ResampleFilter filter)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outHeight);
        if (!Enum.IsDefined(filter))
        {
            throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown resample filter; use 0 (nearest), 1 (Lanczos), 2 (bilinear), 3 (bicubic), 4 (box) or 5 (Hamming).");
        }

        if (inWidth == outWidth && inHeight == outHeight)
        {
            return (byte[])src.Clone();
        }

        return filter == ResampleFilter.Nearest
            ? Nearest(src, channels, inWidth, inHeight, outWidth, outHeight)
            : Convolve(src, channels, inWidth, inHeight, outWidth, outHeight, filter);
    }

    private static byte[] Nearest(byte[] src, int channels, int inWidth, int inHeight, int outWidth, int outHeight)
    {
        var xScale = (double)inWidth / outWidth;
        var yScale = (double)inHeight / outHeight;
        var xs = new int[outWidth];
        var pos = xScale * 0.5;
        for (var x = 0; x < outWidth; x++)
        {
            xs[x] = Math.Min(inWidth - 1, (int)pos);
            pos += xScale;
        }

        var dst = new byte[(long)outWidth * outHeight * channels];
        var ypos = yScale * 0.5;
        for (var y = 0; y < outHeight; y++)
        {
            var sy = Math.Min(inHeight - 1, (int)ypos);
            ypos += yScale;
            for (var x = 0; x < outWidth; x++)
            {
                Array.Copy(src, ((long)sy * inWidth + xs[x]) * channels, dst, ((long)y * outWidth + x) * channels, channels);
            }
        }

        return dst;
    }

    private static byte[] Convolve(byte[] src, int channels, int inWidth, int inHeight, int outWidth, int outHeight, ResampleFilter filter)
    {
        var needHorizontal = inWidth != outWidth;
        var needVertical = inHeight != outHeight;
        var (boundsH, kernelH, ksizeH) = Coefficients(inWidth, outWidth, filter);
        var (boundsV, kernelV, ksizeV) = Coefficients(inHeight, outHeight, filter);

        // Rows of the source the vertical pass will read (the horizontal pass only computes those).
        var firstRow = 0;
        var rows = inHeight;
        if (needHorizontal && needVertical)
        {
            firstRow = boundsV[0];
            rows = boundsV[(outHeight * 2) - 2] + boundsV[(outHeight * 2) - 1] - firstRow;
        }

        var current = src;
        var currentWidth = inWidth;
        if (needHorizontal)
        {
            var temp = new byte[(long)outWidth * rows * channels];
            for (var y = 0; y < rows; y++)
            {
                var inRow = (long)(y + firstRow) * inWidth * channels;
                var outRow = (long)y * outWidth * channels;
                for (var x = 0; x < outWidth; x++)
                {
                    int xmin = boundsH[x * 2], count = boundsH[(x * 2) + 1];
                    var k = x * ksizeH;
                    for (var c = 0; c < channels; c++)
                    {
                        var ss = 1 << (PrecisionBits - 1);
                        for (var i = 0; i < count; i++)
                        {
                            ss += src[inRow + ((xmin + i) * channels) + c] * kernelH[k + i];
                        }

                        temp[outRow + (x * channels) + c] = Clip8(ss);
                    }
                }
            }

            current = temp;
            currentWidth = outWidth;
        }

        if (!needVertical)
        {
            return current;
        }

        var dst = new byte[(long)outWidth * outHeight * channels];
        for (var y = 0; y < outHeight; y++)
        {
            int ymin = boundsV[y * 2] - firstRow, count = boundsV[(y * 2) + 1];
            var k = y * ksizeV;
            var outRow = (long)y * outWidth * channels;
            for (var x = 0; x < outWidth; x++)
            {
                for (var c = 0; c < channels; c++)
                {
                    var ss = 1 << (PrecisionBits - 1);
                    for (var i = 0; i < count; i++)
                    {
                        ss += current[((long)(ymin + i) * currentWidth * channels) + (x * channels) + c] * kernelV[k + i];
                    }

                    dst[outRow + (x * channels) + c] = Clip8(ss);
                }
            }
        }

        return dst;
    }

    private static byte Clip8(int value)
    {
        var v = value >> PrecisionBits;
        return v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
    }

    // Pillow's precompute_coeffs + normalize_coeffs_8bpc: per output pixel, the first source index, the count, and
    // fixed-point weights.
    private static (int[] Bounds, int[] Kernel, int KernelSize) Coefficients(int inSize, int outSize, ResampleFilter filter)
    {
        var (support, function) = Filter(filter);
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        support *= filterScale;
        var ksize = ((int)Math.Ceiling(support) * 2) + 1;
        var bounds = new int[outSize * 2];
        var kernel = new int[outSize * ksize];
        var weights = new double[ksize];
        var ss = 1.0 / filterScale;
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            var xmin = (int)(center - support + 0.5);
            if (xmin < 0)
            {
                xmin = 0;
            }

            var xmax = (int)(center + support + 0.5);
            if (xmax > inSize)
            {
                xmax = inSize;
            }

            xmax -= xmin;
            var total = 0.0;
            for (var x = 0; x < xmax; x++)
            {
                var w = function((x + xmin - center + 0.5) * ss);
                weights[x] = w;
                total += w;
            }

            for (var x = 0; x < xmax; x++)
            {
                var w = total != 0.0 ? weights[x] / total : weights[x];
                kernel[(xx * ksize) + x] = w < 0 ? (int)(-0.5 + (w * (1 << PrecisionBits))) : (int)(0.5 + (w * (1 << PrecisionBits)));
            }

            bounds[xx * 2] = xmin;
            bounds[(xx * 2) + 1] = xmax;
        }

        return (bounds, kernel, ksize);
    }

    private static (double Support, Func<double, double> Function) Filter(ResampleFilter filter) => filter switch
    {
        ResampleFilter.Box => (0.5, x => x > -0.5 && x <= 0.5 ? 1.0 : 0.0),
        ResampleFilter.Bilinear => (1.0, x =>
        {
            x = Math.Abs(x);
            return x < 1.0 ? 1.0 - x : 0.0;
        }),
        ResampleFilter.Hamming => (1.0, x =>
        {
            x = Math.Abs(x);
            if (x == 0.0)
            {
                return 1.0;
            }

            if (x >= 1.0)
            {
                return 0.0;
            }

            x *= Math.PI;
            return Math.Sin(x) / x * (0.54 + (0.46 * Math.Cos(x)));
        }),
        ResampleFilter.Bicubic => (2.0, x =>
        {
            const double a = -0.5;
            x = Math.Abs(x);
            if (x < 1.0)
            {
                return ((((a + 2.0) * x) - (a + 3.0)) * x * x) + 1;
            }

            if (x < 2.0)
            {
                return ((((x - 5) * x) + 8) * x - 4) * a;
            }

            return 0.0;
        }),
        ResampleFilter.Lanczos => (3.0, x => x >= -3.0 && x < 3.0 ? Sinc(x) * Sinc(x / 3.0) : 0.0),
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "Not a convolution filter."),
    };

    private static double Sinc(double x)
    {
        if (x == 0.0)
        {
            return 1.0;
        }

        x *= Math.PI;
        return Math.Sin(x) / x;
    }
}
