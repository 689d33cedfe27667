namespace SkAgents.Imaging;

/// <summary>
/// A decoded image as 8-bit RGBA pixels, row-major, top row first (<c>Pixels[(y * Width + x) * 4 + c]</c>, c = R, G, B, A),
/// already turned upright when the file carried an EXIF orientation.
/// </summary>
public sealed class DecodedImage
{
    /// <summary>Creates an image over RGBA pixels.</summary>
    /// <param name="width">Width in pixels (positive).</param>
    /// <param name="height">Height in pixels (positive).</param>
    /// <param name="pixels">Width × height × 4 bytes: R, G, B, A per pixel.</param>
    /// <param name="format">The file format it was decoded from ("png", "jpeg").</param>
    /// <exception cref="ArgumentException">The sizes do not match.</exception>
    public DecodedImage(int width, int height, byte[] pixels, string format)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(format);
        if (pixels.LongLength != (long)width * height * 4)
        {
            throw new ArgumentException($"A {width}×{height} RGBA image needs {(long)width * height * 4} bytes, not {pixels.LongLength}.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
        Format = format;
    }

    /// <summary>Gets the width in pixels.</summary>
    public int Width { get; }

    /// <summary>Gets the height in pixels.</summary>
    public int Height { get; }

    /// <summary>Gets the RGBA pixels (4 bytes per pixel, row-major, top row first).</summary>
    public byte[] Pixels { get; }

    /// <summary>Gets the format it was decoded from: <c>png</c> or <c>jpeg</c>.</summary>
    public string Format { get; }

    /// <summary>Gets one pixel.</summary>
    /// <param name="x">Column, from 0 at the left.</param>
    /// <param name="y">Row, from 0 at the top.</param>
    /// <returns>The pixel's red, green, blue and alpha.</returns>
    public (byte R, byte G, byte B, byte A) GetPixel(int x, int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        var i = ((y * Width) + x) * 4;
        return (Pixels[i], Pixels[i + 1], Pixels[i + 2], Pixels[i + 3]);
    }
}
