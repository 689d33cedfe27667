using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace SkAgents.Imaging;

/// <summary>
/// A managed PNG decoder (ISO/IEC 15948, W3C PNG 2nd edition) for untrusted input: every colour type (grey, RGB,
/// palette, grey + alpha, RGBA) at every legal bit depth (1, 2, 4, 8, 16), <c>tRNS</c> transparency, all five row
/// filters and Adam7 interlacing, decoded to 8-bit RGBA.
/// </summary>
/// <remarks>
/// <para>
/// Chunks: <c>IHDR</c>, <c>PLTE</c>, <c>tRNS</c>, <c>IDAT</c> (any number, consecutive, concatenated) and <c>IEND</c>
/// are read; the CRC-32 of every chunk is verified; unknown ancillary chunks (lower-case first letter) are skipped and
/// unknown critical chunks are refused. Bytes after <c>IEND</c> are ignored. Colour-space chunks (<c>gAMA</c>,
/// <c>iCCP</c>, <c>sRGB</c>, ...) are not applied: samples are returned as stored.
/// </para>
/// <para>
/// 16-bit samples are reduced to 8 bits by rounding, <c>round(v × 255 / 65535)</c>, so a 16-bit value
/// <c>v8 × 257</c> comes back as exactly <c>v8</c>. Sub-byte grey samples are scaled to the full range
/// (1 bit × 255, 2 bits × 85, 4 bits × 17). The <c>tRNS</c> colour of grey and RGB images is compared with the
/// samples at their stored bit depth (before any reduction).
/// </para>
/// <para>
/// Limits: the declared size is checked against <see cref="ImageDecoderOptions.MaxPixels"/> as soon as <c>IHDR</c>
/// is read, before anything is allocated or inflated; inflation stops at the exact number of bytes the header
/// implies and fails when the stream holds more (a decompression bomb) or less.
/// </para>
/// </remarks>
public static class PngDecoder
{
    private const long MaxDeflateRatio = 1100;
    private const int ColourGrey = 0;
    private const int ColourRgb = 2;
    private const int ColourPalette = 3;
    private const int ColourGreyAlpha = 4;
    private const int ColourRgba = 6;

    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    // Adam7 passes: x start, y start, x step, y step.
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
    [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ];

    /// <summary>Tells whether the bytes start with the 8-byte PNG signature.</summary>
    /// <param name="data">The file's bytes (at least the first 8).</param>
    /// <returns><see langword="true"/> when the PNG signature is there.</returns>
    public static bool IsPng(ReadOnlySpan<byte> data) => data.Length >= 8 && data[..8].SequenceEqual(Signature);

    /// <summary>Decodes a PNG file to 8-bit RGBA pixels.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="options">Limits; <see cref="ImageDecoderOptions.Default"/> when <see langword="null"/>.</param>
    /// <returns>The image, top row first, format <c>png</c>.</returns>
    /// <exception cref="UnsupportedImageFormatException">The bytes are not a PNG file.</exception>
    /// <exception cref="TruncatedImageException">The file ends early: inside a chunk, before <c>IEND</c>, or the image data inflates to fewer bytes than the image needs.</exception>
    /// <exception cref="ImageTooLargeException">The declared width × height is over <see cref="ImageDecoderOptions.MaxPixels"/>.</exception>
    /// <exception cref="ImageDecodingException">The file is damaged or not valid PNG: bad CRC, bad header values, a filter type other than 0–4, a palette index past the palette, image data that inflates to more than the image needs, a corrupt zlib stream, an unknown critical chunk, chunks out of order.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data, ImageDecoderOptions? options = null)
    {
        options ??= ImageDecoderOptions.Default;
        if (!IsPng(data))
        {
            if (data.Length < 8 && data.Length > 0 && Signature[..data.Length].SequenceEqual(data))
            {
                throw new TruncatedImageException($"The PNG file ends after {data.Length} byte(s), inside its 8-byte signature.");
            }

            throw new UnsupportedImageFormatException($"Not a PNG file: {DescribeSignature(data)}.");
        }

        Header? header = null;
        byte[]? palette = null; // RGB triples
        byte[]? transparency = null;
        var idat = new MemoryStream();
        var idatState = 0; // 0 none yet, 1 in the IDAT run, 2 after it
        var sawEnd = false;
        var pos = 8;
        while (!sawEnd)
        {
            if (data.Length - pos < 8)
            {
                var what = header is null ? "IHDR" : idatState == 0 ? "IDAT" : "IEND";
                throw new TruncatedImageException(
                    $"The PNG file ends at byte {data.Length}, {(data.Length == pos ? "where" : "inside")} a chunk header was expected; the {what} chunk is missing.");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            var typeBytes = data.Slice(pos + 4, 4);
            var type = ChunkName(typeBytes);
            if (length > int.MaxValue)
            {
                throw new ImageDecodingException($"PNG chunk '{type}' at byte {pos} declares a length of {length}, over the 2^31 - 1 the format allows.");
            }

            foreach (var c in typeBytes)
            {
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
                {
                    throw new ImageDecodingException($"PNG chunk at byte {pos} has an invalid type '{type}' (chunk types are four ASCII letters); the file is damaged.");
                }
            }

            if ((long)data.Length - pos - 8 < (long)length + 4)
            {
                throw new TruncatedImageException(
                    $"The PNG file ends inside chunk '{type}' at byte {pos}: it declares {length} data bytes plus a 4-byte CRC, but only {data.Length - pos - 8} byte(s) remain.");
            }

            var body = data.Slice(pos + 8, (int)length);
            var storedCrc = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + (int)length)..]);
            var actualCrc = PngCrc32.Compute(data.Slice(pos + 4, (int)length + 4));
            if (storedCrc != actualCrc)
            {
                throw new ImageDecodingException(
                    $"PNG chunk '{type}' at byte {pos} has a bad CRC (stored 0x{storedCrc:X8}, computed 0x{actualCrc:X8}); the file is damaged.");
            }

            if (header is null && type != "IHDR")
            {
                throw new ImageDecodingException($"The first PNG chunk must be IHDR, but it is '{type}'.");
            }

            if (idatState == 1 && type != "IDAT")
            {
                idatState = 2;
            }

            switch (type)
            {
                case "IHDR":
                    if (header is not null)
                    {
                        throw new ImageDecodingException("The PNG file has a second IHDR chunk.");
                    }

                    header = ReadHeader(body, options);
                    break;
                case "PLTE":
                    if (idatState != 0)
                    {
                        throw new ImageDecodingException("The PNG PLTE chunk comes after the image data (IDAT); it must come before.");
                    }

                    if (palette is not null)
                    {
                        throw new ImageDecodingException("The PNG file has a second PLTE chunk.");
                    }

                    palette = ReadPalette(body, header!);
                    break;
                case "tRNS":
                    if (idatState != 0)
                    {
                        throw new ImageDecodingException("The PNG tRNS chunk comes after the image data (IDAT); it must come before.");
                    }

                    if (transparency is not null)
                    {
                        throw new ImageDecodingException("The PNG file has a second tRNS chunk.");
                    }

                    transparency = ReadTransparency(body, header!, palette);
                    break;
                case "IDAT":
                    if (idatState == 2)
                    {
                        throw new ImageDecodingException($"PNG IDAT chunk at byte {pos} is separated from the earlier IDAT chunks by other chunks; IDAT chunks must be consecutive.");
                    }

                    idatState = 1;
                    idat.Write(body);
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
                default:
                    if (char.IsAsciiLetterUpper(type[0]))
                    {
                        throw new ImageDecodingException($"PNG chunk '{type}' at byte {pos} is critical (upper-case first letter) and unknown to this decoder; the image cannot be decoded safely.");
                    }

                    break; // unknown ancillary chunk: skipped
            }

            pos += 12 + (int)length;
        }

        var h = header!;
        if (idatState == 0)
        {
            throw new TruncatedImageException("The PNG file has no image data: no IDAT chunk before IEND.");
        }

        if (h.ColourType == ColourPalette && palette is null)
        {
            throw new ImageDecodingException("The PNG file is a palette image (colour type 3) but has no PLTE chunk.");
        }

        var raw = Inflate(idat, h);
        var pixels = new byte[(long)h.Width * h.Height * 4];
        var bitsPerPixel = h.Channels * h.BitDepth;
        var filterBpp = Math.Max(1, bitsPerPixel / 8);
        var offset = 0;
        if (!h.Interlaced)
        {
            Unfilter(raw, offset, h.Width, h.Height, bitsPerPixel, filterBpp, pass: -1);
            Expand(raw, offset, h, palette, transparency, pixels, 0, 0, 1, 1, h.Width, h.Height);
        }
        else
        {
            for (var p = 0; p < Adam7.Length; p++)
            {
                var (x0, y0, dx, dy) = Adam7[p];
                var pw = PassSize(h.Width, x0, dx);
                var ph = PassSize(h.Height, y0, dy);
                if (pw == 0 || ph == 0)
                {
                    continue;
                }

                Unfilter(raw, offset, pw, ph, bitsPerPixel, filterBpp, p + 1);
                Expand(raw, offset, h, palette, transparency, pixels, x0, y0, dx, dy, pw, ph);
                offset += (int)(ph * (1 + RowBytes(pw, bitsPerPixel)));
            }
        }

        return new DecodedImage(h.Width, h.Height, pixels, "png");
    }

    private static Header ReadHeader(ReadOnlySpan<byte> body, ImageDecoderOptions options)
    {
        if (body.Length != 13)
        {
            throw new ImageDecodingException($"The PNG IHDR chunk has {body.Length} data bytes; it must have 13.");
        }

        var width = BinaryPrimitives.ReadUInt32BigEndian(body);
        var height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int bitDepth = body[8], colourType = body[9], compression = body[10], filter = body[11], interlace = body[12];
        if (width == 0 || height == 0)
        {
            throw new ImageDecodingException($"The PNG IHDR declares a {width}×{height} image; width and height must be at least 1.");
        }

        if (width > int.MaxValue || height > int.MaxValue)
        {
            throw new ImageDecodingException($"The PNG IHDR declares a {width}×{height} image; width and height must be at most 2^31 - 1.");
        }

        var channels = colourType switch
        {
            ColourGrey => 1,
            ColourRgb => 3,
            ColourPalette => 1,
            ColourGreyAlpha => 2,
            ColourRgba => 4,
            _ => throw new ImageDecodingException($"The PNG IHDR declares colour type {colourType}; valid types are 0, 2, 3, 4 and 6."),
        };
        var depthOk = colourType switch
        {
            ColourGrey => bitDepth is 1 or 2 or 4 or 8 or 16,
            ColourPalette => bitDepth is 1 or 2 or 4 or 8,
            _ => bitDepth is 8 or 16,
        };
        if (!depthOk)
        {
            throw new ImageDecodingException($"The PNG IHDR declares bit depth {bitDepth} with colour type {colourType}, a combination PNG does not allow.");
        }

        if (compression != 0)
        {
            throw new ImageDecodingException($"The PNG IHDR declares compression method {compression}; only 0 (deflate) exists.");
        }

        if (filter != 0)
        {
            throw new ImageDecodingException($"The PNG IHDR declares filter method {filter}; only 0 exists.");
        }

        if (interlace > 1)
        {
            throw new ImageDecodingException($"The PNG IHDR declares interlace method {interlace}; only 0 (none) and 1 (Adam7) exist.");
        }

        var w = (int)width;
        var h = (int)height;
        var limit = Math.Min(options.MaxPixels, Array.MaxLength / 4);
        if ((long)w * h > limit)
        {
            throw new ImageTooLargeException(w, h, limit);
        }

        return new Header(w, h, bitDepth, colourType, channels, interlace == 1);
    }

    private static byte[] ReadPalette(ReadOnlySpan<byte> body, Header header)
    {
        if (header.ColourType is ColourGrey or ColourGreyAlpha)
        {
            throw new ImageDecodingException($"The PNG file has a PLTE chunk, which colour type {header.ColourType} (grey) does not allow.");
        }

        if (body.Length == 0 || body.Length % 3 != 0 || body.Length > 256 * 3)
        {
            throw new ImageDecodingException($"The PNG PLTE chunk has {body.Length} bytes; it must hold 1 to 256 RGB entries (a multiple of 3 bytes).");
        }

        if (header.ColourType == ColourPalette && body.Length / 3 > 1 << header.BitDepth)
        {
            throw new ImageDecodingException($"The PNG PLTE chunk has {body.Length / 3} entries, more than a {header.BitDepth}-bit palette image can index ({1 << header.BitDepth}).");
        }

        return body.ToArray();
    }

    private static byte[] ReadTransparency(ReadOnlySpan<byte> body, Header header, byte[]? palette)
    {
        switch (header.ColourType)
        {
            case ColourGrey when body.Length != 2:
                throw new ImageDecodingException($"The PNG tRNS chunk of a grey image must have 2 bytes, not {body.Length}.");
            case ColourRgb when body.Length != 6:
                throw new ImageDecodingException($"The PNG tRNS chunk of an RGB image must have 6 bytes, not {body.Length}.");
            case ColourPalette:
                if (palette is null)
                {
                    throw new ImageDecodingException("The PNG tRNS chunk of a palette image comes before PLTE; it must come after.");
                }

                if (body.Length > palette.Length / 3)
                {
                    throw new ImageDecodingException($"The PNG tRNS chunk has {body.Length} alpha values but PLTE has only {palette.Length / 3} entries.");
                }

                break;
            case ColourGreyAlpha or ColourRgba:
                throw new ImageDecodingException($"The PNG file has a tRNS chunk, which colour type {header.ColourType} (with an alpha channel) does not allow.");
        }

        return body.ToArray();
    }

    private static byte[] Inflate(MemoryStream idat, Header h)
    {
        var bitsPerPixel = h.Channels * h.BitDepth;
        long expected = 0;
        if (!h.Interlaced)
        {
            expected = h.Height * (1 + RowBytes(h.Width, bitsPerPixel));
        }
        else
        {
            foreach (var (x0, y0, dx, dy) in Adam7)
            {
                var pw = PassSize(h.Width, x0, dx);
                var ph = PassSize(h.Height, y0, dy);
                if (pw > 0 && ph > 0)
                {
                    expected += ph * (1 + RowBytes(pw, bitsPerPixel));
                }
            }
        }

        if (expected > Array.MaxLength)
        {
            throw new ImageDecodingException($"The {h.Width}×{h.Height} PNG image needs {expected:N0} bytes of unpacked image data, more than one .NET array can hold; lower ImageDecoderOptions.MaxPixels.");
        }

        // Deflate cannot expand more than about 1032:1, so image data too short to fill the image is known to be
        // truncated before the buffer is allocated: a tiny file cannot make us allocate for its declared size.
        if (expected > (idat.Length * MaxDeflateRatio) + 1024)
        {
            throw new TruncatedImageException(
                $"The PNG image data (IDAT) is only {idat.Length:N0} compressed bytes, which cannot inflate to the {expected:N0} bytes a {h.Width}×{h.Height} image needs; the image data is truncated.");
        }

        var raw = new byte[expected];
        idat.Position = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress, leaveOpen: true);
            var read = 0;
            while (read < raw.Length)
            {
                var n = z.Read(raw, read, raw.Length - read);
                if (n == 0)
                {
                    throw new TruncatedImageException(
                        $"The PNG image data (IDAT) inflates to {read:N0} bytes, but a {h.Width}×{h.Height} image of colour type {h.ColourType} at {h.BitDepth} bits{(h.Interlaced ? ", interlaced," : string.Empty)} needs {expected:N0}; the image data is truncated.");
                }

                read += n;
            }

            Span<byte> extra = stackalloc byte[1];
            if (z.Read(extra) != 0)
            {
                throw new ImageDecodingException(
                    $"The PNG image data (IDAT) inflates to more than the {expected:N0} bytes a {h.Width}×{h.Height} image needs; refusing it (damaged file or decompression bomb).");
            }
        }
        catch (InvalidDataException ex)
        {
            throw new ImageDecodingException($"The PNG image data (IDAT) is not a valid zlib stream: {ex.Message}", ex);
        }

        return raw;
    }

    private static void Unfilter(byte[] raw, int offset, int width, int height, int bitsPerPixel, int bpp, int pass)
    {
        var rowBytes = (int)RowBytes(width, bitsPerPixel);
        var stride = rowBytes + 1;
        var zeros = new byte[rowBytes]; // the row above the first row
        for (var y = 0; y < height; y++)
        {
            var start = offset + (y * stride);
            var filter = raw[start];
            var row = raw.AsSpan(start + 1, rowBytes);
            ReadOnlySpan<byte> prior = y == 0 ? zeros : raw.AsSpan(start - stride + 1, rowBytes);
            var head = Math.Min(bpp, rowBytes);
            switch (filter)
            {
                case 0:
                    break;
                case 1: // Sub
                    for (var i = bpp; i < rowBytes; i++)
                    {
                        row[i] += row[i - bpp];
                    }

                    break;
                case 2: // Up
                    for (var i = 0; i < rowBytes; i++)
                    {
                        row[i] += prior[i];
                    }

                    break;
                case 3: // Average
                    for (var i = 0; i < head; i++)
                    {
                        row[i] += (byte)(prior[i] >> 1);
                    }

                    for (var i = bpp; i < rowBytes; i++)
                    {
                        row[i] += (byte)((row[i - bpp] + prior[i]) >> 1);
                    }

                    break;
                case 4: // Paeth
                    for (var i = 0; i < head; i++)
                    {
                        row[i] += prior[i]; // a = c = 0: the predictor is b
                    }

                    for (var i = bpp; i < rowBytes; i++)
                    {
                        row[i] += (byte)Paeth(row[i - bpp], prior[i], prior[i - bpp]);
                    }

                    break;
                default:
                    throw new ImageDecodingException(
                        $"PNG row {y}{(pass > 0 ? string.Create(CultureInfo.InvariantCulture, $" of Adam7 pass {pass}") : string.Empty)} has filter type {filter}; valid types are 0 to 4 (None, Sub, Up, Average, Paeth).");
            }
        }
    }

    // The Paeth predictor, written so the JIT can use conditional moves: ties go to a, then b, as the specification says.
    private static int Paeth(int a, int b, int c)
    {
        var pa = Math.Abs(b - c);
        var pb = Math.Abs(a - c);
        var pc = Math.Abs(a + b - c - c);
        if (pb < pa)
        {
            pa = pb;
            a = b;
        }

        return pc < pa ? c : a;
    }

    private static void Expand(
        byte[] raw, int offset, Header h, byte[]? palette, byte[]? trns, byte[] pixels, int x0, int y0, int dx, int dy, int width, int height)
    {
        var bitsPerPixel = h.Channels * h.BitDepth;
        var stride = (int)RowBytes(width, bitsPerPixel) + 1;
        var depth = h.BitDepth;
        var paletteCount = palette is null ? 0 : palette.Length / 3;
        int trnsGrey = -1, trnsR = -1, trnsG = -1, trnsB = -1;
        if (trns is not null && h.ColourType == ColourGrey)
        {
            trnsGrey = (trns[0] << 8) | trns[1];
        }
        else if (trns is not null && h.ColourType == ColourRgb)
        {
            trnsR = (trns[0] << 8) | trns[1];
            trnsG = (trns[2] << 8) | trns[3];
            trnsB = (trns[4] << 8) | trns[5];
        }

        for (var y = 0; y < height; y++)
        {
            var row = raw.AsSpan(offset + (y * stride) + 1, stride - 1);
            var outRow = (long)(y0 + (y * dy)) * h.Width;
            if (depth == 8 && dx == 1 && ExpandRow8(row, h.ColourType, trns, pixels.AsSpan((int)(outRow * 4), width * 4)))
            {
                continue;
            }

            for (var x = 0; x < width; x++)
            {
                var o = (int)((outRow + x0 + ((long)x * dx)) * 4);
                switch (h.ColourType)
                {
                    case ColourGrey:
                    {
                        var v = Sample(row, x, depth);
                        var g = To8(v, depth);
                        pixels[o] = pixels[o + 1] = pixels[o + 2] = g;
                        pixels[o + 3] = v == trnsGrey ? (byte)0 : (byte)255;
                        break;
                    }

                    case ColourRgb:
                    {
                        int r = Sample(row, x * 3, depth), g = Sample(row, (x * 3) + 1, depth), b = Sample(row, (x * 3) + 2, depth);
                        pixels[o] = To8(r, depth);
                        pixels[o + 1] = To8(g, depth);
                        pixels[o + 2] = To8(b, depth);
                        pixels[o + 3] = r == trnsR && g == trnsG && b == trnsB ? (byte)0 : (byte)255;
                        break;
                    }

                    case ColourPalette:
                    {
                        var index = Sample(row, x, depth);
                        if (index >= paletteCount)
                        {
                            throw new ImageDecodingException(
                                $"PNG pixel ({x0 + (x * dx)}, {y0 + (y * dy)}) uses palette index {index}, but PLTE has only {paletteCount} entries.");
                        }

                        pixels[o] = palette![index * 3];
                        pixels[o + 1] = palette[(index * 3) + 1];
                        pixels[o + 2] = palette[(index * 3) + 2];
                        pixels[o + 3] = trns is not null && index < trns.Length ? trns[index] : (byte)255;
                        break;
                    }

                    case ColourGreyAlpha:
                    {
                        var g = To8(Sample(row, x * 2, depth), depth);
                        pixels[o] = pixels[o + 1] = pixels[o + 2] = g;
                        pixels[o + 3] = To8(Sample(row, (x * 2) + 1, depth), depth);
                        break;
                    }

                    default:
                        pixels[o] = To8(Sample(row, x * 4, depth), depth);
                        pixels[o + 1] = To8(Sample(row, (x * 4) + 1, depth), depth);
                        pixels[o + 2] = To8(Sample(row, (x * 4) + 2, depth), depth);
                        pixels[o + 3] = To8(Sample(row, (x * 4) + 3, depth), depth);
                        break;
                }
            }
        }
    }

    // Fast paths for 8-bit rows without interlacing gaps; false when the general path must run.
    private static bool ExpandRow8(ReadOnlySpan<byte> row, int colourType, byte[]? trns, Span<byte> output)
    {
        switch (colourType)
        {
            case ColourRgba:
                row.CopyTo(output);
                return true;
            case ColourRgb when trns is null:
                for (int i = 0, o = 0; o < output.Length; i += 3, o += 4)
                {
                    output[o] = row[i];
                    output[o + 1] = row[i + 1];
                    output[o + 2] = row[i + 2];
                    output[o + 3] = 255;
                }

                return true;
            case ColourGrey when trns is null:
                for (int i = 0, o = 0; o < output.Length; i++, o += 4)
                {
                    output[o] = output[o + 1] = output[o + 2] = row[i];
                    output[o + 3] = 255;
                }

                return true;
            case ColourGreyAlpha:
                for (int i = 0, o = 0; o < output.Length; i += 2, o += 4)
                {
                    output[o] = output[o + 1] = output[o + 2] = row[i];
                    output[o + 3] = row[i + 1];
                }

                return true;
            default:
                return false;
        }
    }

    // The index-th sample of a row at the given bit depth (sub-byte samples are packed most significant bits first).
    private static int Sample(ReadOnlySpan<byte> row, int index, int depth) => depth switch
    {
        8 => row[index],
        16 => (row[index * 2] << 8) | row[(index * 2) + 1],
        _ => (row[(index * depth) >> 3] >> (8 - depth - ((index * depth) & 7))) & ((1 << depth) - 1),
    };

    private static byte To8(int v, int depth) => depth switch
    {
        8 => (byte)v,
        16 => (byte)(((v * 255) + 32767) / 65535),
        4 => (byte)(v * 17),
        2 => (byte)(v * 85),
        _ => (byte)(v * 255),
    };

    private static long RowBytes(int width, int bitsPerPixel) => (((long)width * bitsPerPixel) + 7) / 8;

    private static int PassSize(int size, int start, int step) => size <= start ? 0 : ((size - start - 1) / step) + 1;

    private static string ChunkName(ReadOnlySpan<byte> type)
    {
        var sb = new StringBuilder(4);
        foreach (var c in type)
        {
            sb.Append(c is >= 0x20 and < 0x7F ? (char)c : '?');
        }

        return sb.ToString();
    }

    private static string DescribeSignature(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return "the data is empty";
        }

        var kind = data switch
        {
            [0xFF, 0xD8, 0xFF, ..] => " (that is a JPEG signature)",
            [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => " (that is a GIF signature)",
            [(byte)'B', (byte)'M', ..] => " (that looks like a BMP signature)",
            [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => " (that is a WebP signature)",
            [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => " (a PNG signature with damaged line-ending bytes, e.g. after a text-mode transfer)",
            _ => string.Empty,
        };
        var n = Math.Min(8, data.Length);
        return $"the file starts with {Convert.ToHexString(data[..n])} instead of the PNG signature 89504E470D0A1A0A{kind}";
    }

    private sealed record Header(int Width, int Height, int BitDepth, int ColourType, int Channels, bool Interlaced);
}
