using System.Text;
using System.Text.RegularExpressions;

namespace SkAgents.Memory.Extraction;

/// <summary>Size-capped reading and charset detection.</summary>
internal static partial class ExtractionInput
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async Task<byte[]> ReadAllAsync(Stream stream, string fileName, long maxBytes, CancellationToken cancellationToken)
    {
        if (stream.CanSeek)
        {
            var remaining = stream.Length - stream.Position;
            if (remaining > maxBytes)
            {
                throw new DocumentTooLargeException(fileName, maxBytes, remaining);
            }
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new DocumentTooLargeException(fileName, maxBytes, null);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Decodes text: byte order mark, then a declared charset, then UTF-16 without BOM (zero-byte pattern),
    /// then strict UTF-8, falling back to Windows-1252.
    /// </summary>
    public static string Decode(byte[] bytes, string? declaredCharset = null)
    {
        var span = bytes.AsSpan();
        if (span.StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }))
        {
            return Encoding.UTF8.GetString(span[3..]);
        }

        if (span.StartsWith(new byte[] { 0xFF, 0xFE, 0, 0 }))
        {
            return Encoding.UTF32.GetString(span[4..]);
        }

        if (span.StartsWith(new byte[] { 0, 0, 0xFE, 0xFF }))
        {
            return new UTF32Encoding(bigEndian: true, byteOrderMark: false).GetString(span[4..]);
        }

        if (span.StartsWith(new byte[] { 0xFF, 0xFE }))
        {
            return Encoding.Unicode.GetString(span[2..]);
        }

        if (span.StartsWith(new byte[] { 0xFE, 0xFF }))
        {
            return Encoding.BigEndianUnicode.GetString(span[2..]);
        }

        if (declaredCharset is not null && TryGetEncoding(declaredCharset) is { } declared)
        {
            return declared.GetString(bytes);
        }

        if (bytes.Length >= 4 && bytes.Length % 2 == 0)
        {
            int evenZeros = 0, oddZeros = 0;
            var n = Math.Min(bytes.Length, 4096);
            for (var i = 0; i < n; i++)
            {
                if (bytes[i] == 0)
                {
                    if (i % 2 == 0) { evenZeros++; } else { oddZeros++; }
                }
            }

            if (oddZeros > n / 4 && evenZeros == 0)
            {
                return Encoding.Unicode.GetString(bytes);
            }

            if (evenZeros > n / 4 && oddZeros == 0)
            {
                return Encoding.BigEndianUnicode.GetString(bytes);
            }
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return (TryGetEncoding("windows-1252") ?? Encoding.Latin1).GetString(bytes);
        }
    }

    /// <summary>Finds a <c>&lt;meta charset&gt;</c> or http-equiv content-type charset in the first 2 KB.</summary>
    public static string? SniffHtmlCharset(byte[] bytes)
    {
        var head = Encoding.Latin1.GetString(bytes, 0, Math.Min(bytes.Length, 2048));
        var m = MetaCharset().Match(head);
        return m.Success ? m.Groups[1].Value : null;
    }

    private static Encoding? TryGetEncoding(string name)
    {
        try
        {
            return Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            try
            {
                return System.Text.CodePagesEncodingProvider.Instance.GetEncoding(name);
            }
            catch (ArgumentException)
            {
                return null;
            }
        }
    }

    [GeneratedRegex("""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex MetaCharset();
}
