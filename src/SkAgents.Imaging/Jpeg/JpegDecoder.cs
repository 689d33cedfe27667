using SkAgents.Imaging.Jpeg;

namespace SkAgents.Imaging;

/// <summary>
/// A managed JPEG decoder (ITU-T T.81 with JFIF, Adobe APP14 and EXIF): baseline and extended sequential Huffman (SOF0, SOF1)
/// and progressive Huffman (SOF2) with spectral selection and successive approximation, 8-bit precision, 1 (greyscale),
/// 3 (YCbCr, or RGB when an Adobe segment or the component ids say so) or 4 (Adobe CMYK/YCCK) components, any chroma
/// subsampling with integer factors (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1, ...), restart intervals, and EXIF orientation.
/// </summary>
/// <remarks>
/// The output matches the IJG/libjpeg-turbo reference decoder's default settings: the accurate integer IDCT ("islow"),
/// "fancy" triangular upsampling for 2:1 factors (box replication for other factors) and the JFIF full-range YCbCr to RGB
/// conversion. Four-component files are read as Adobe writes them (inverted CMYK, or YCCK when the APP14 transform is 2)
/// and converted to RGB with R = C × K / 255 on the stored values (no ICC colour management). Refused with <see cref="UnsupportedImageFormatException"/> (the message names the frame type): lossless
/// (SOF3), hierarchical/differential (SOF5–SOF7), arithmetic coding (SOF9–SOF15), 12- and 16-bit precision, images whose
/// height is only given by a DNL marker, fractional sampling factors, and component counts other than 1, 3 and 4. Corrupt
/// data never yields partial output: it is an <see cref="ImageDecodingException"/> (or <see cref="TruncatedImageException"/>
/// when the data ends early, including a missing EOI marker).
/// </remarks>
public static class JpegDecoder
{
    /// <summary>Tells whether the bytes start like a JPEG file (an SOI marker followed by another marker: FF D8 FF).</summary>
    /// <param name="data">The file's first bytes (three are enough).</param>
    /// <returns><see langword="true"/> when the data starts with FF D8 FF.</returns>
    public static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

    /// <summary>Decodes a JPEG file to 8-bit RGBA pixels (alpha 255), upright when EXIF orientation applies.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="options">Limits and switches; <see cref="ImageDecoderOptions.Default"/> when null.</param>
    /// <returns>The decoded image, format <c>jpeg</c>.</returns>
    /// <exception cref="UnsupportedImageFormatException">The data is not a JPEG file, or uses a JPEG process this decoder does not implement (named in the message).</exception>
    /// <exception cref="TruncatedImageException">The data ends before the image does (the message names the segment).</exception>
    /// <exception cref="ImageTooLargeException">The frame declares more pixels than <see cref="ImageDecoderOptions.MaxPixels"/>; nothing was allocated for it.</exception>
    /// <exception cref="ImageDecodingException">The file is damaged: corrupt Huffman data, missing tables, bad component ids or marker order.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data, ImageDecoderOptions? options = null)
    {
        options ??= ImageDecoderOptions.Default;
        if (!IsJpeg(data))
        {
            throw new UnsupportedImageFormatException(JpegReader.DescribeSignature(data));
        }

        var reader = new JpegReader(data.ToArray(), options);
        return reader.Decode();
    }
}
