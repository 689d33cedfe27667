using System.Text;
using System.Text.RegularExpressions;

namespace SkAgents.Web;

/// <summary>Decoded text and the character encoding that decoded it.</summary>
/// <param name="Text">The text, without a byte order mark.</param>
/// <param name="Charset">The web name of the encoding used (for example <c>utf-8</c>, <c>windows-1252</c>).</param>
public readonly record struct DecodedText(string Text, string Charset);

/// <summary>
/// Turns bytes of web or file content into text. Order: byte order mark; the declared charset (a <c>Content-Type</c>
/// parameter); for HTML a <c>&lt;meta charset&gt;</c> or http-equiv content-type in the first 2 KB; UTF-16 without BOM
/// (zero-byte pattern); strict UTF-8; and Windows-1252 when the bytes are not valid UTF-8.
/// </summary>
/// <remarks>As in browsers (WHATWG Encoding), the labels <c>iso-8859-1</c>, <c>latin1</c> and <c>us-ascii</c> decode as
/// Windows-1252, a superset; legacy code pages come from <see cref="CodePagesEncodingProvider"/>.</remarks>
public static partial class WebTextDecoder
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes <paramref name="bytes"/>.</summary>
    /// <param name="bytes">The content.</param>
    /// <param name="declaredCharset">The charset declared by the transport (for example the <c>Content-Type</c> charset); null when none.</param>
    /// <param name="sniffHtmlMeta">Whether to look for an HTML <c>&lt;meta&gt;</c> charset declaration.</param>
    /// <returns>The text and the encoding used.</returns>
    public static DecodedText Decode(ReadOnlySpan<byte> bytes, string? declaredCharset = null, bool sniffHtmlMeta = false)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return new(Encoding.UTF8.GetString(bytes[3..]), "utf-8");
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0, 0]))
        {
            return new(Encoding.UTF32.GetString(bytes[4..]), "utf-32");
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0, 0, 0xFE, 0xFF]))
        {
            return new(new UTF32Encoding(bigEndian: true, byteOrderMark: false).GetString(bytes[4..]), "utf-32BE");
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return new(Encoding.Unicode.GetString(bytes[2..]), "utf-16");
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return new(Encoding.BigEndianUnicode.GetString(bytes[2..]), "utf-16BE");
        }

        if (GetEncoding(declaredCharset) is { } declared)
        {
            return new(declared.GetString(bytes), declared.WebName);
        }

        if (sniffHtmlMeta && GetEncoding(SniffHtmlCharset(bytes)) is { } meta)
        {
            // A page cannot declare UTF-16 in ASCII-compatible bytes; browsers treat that as UTF-8.
            var encoding = meta is UnicodeEncoding or UTF32Encoding ? Encoding.UTF8 : meta;
            return new(encoding.GetString(bytes), encoding.WebName);
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
                return new(Encoding.Unicode.GetString(bytes), "utf-16");
            }

            if (evenZeros > n / 4 && oddZeros == 0)
            {
                return new(Encoding.BigEndianUnicode.GetString(bytes), "utf-16BE");
            }
        }

        try
        {
            return new(StrictUtf8.GetString(bytes), "utf-8");
        }
        catch (DecoderFallbackException)
        {
            var fallback = GetEncoding("windows-1252") ?? Encoding.Latin1;
            return new(fallback.GetString(bytes), fallback.WebName);
        }
    }

    /// <summary>Finds a <c>&lt;meta charset&gt;</c> or http-equiv content-type charset in the first 2 KB of HTML.</summary>
    /// <param name="bytes">The HTML bytes.</param>
    /// <returns>The charset label, or null.</returns>
    public static string? SniffHtmlCharset(ReadOnlySpan<byte> bytes)
    {
        var head = Encoding.Latin1.GetString(bytes[..Math.Min(bytes.Length, 2048)]);
        var m = MetaCharset().Match(head);
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>The encoding for a charset label (WHATWG aliases applied), or null when unknown.</summary>
    /// <param name="charset">The label, for example <c>ISO-8859-1</c> or <c>"utf-8"</c>.</param>
    /// <returns>The encoding, or null.</returns>
    public static Encoding? GetEncoding(string? charset)
    {
        if (string.IsNullOrWhiteSpace(charset))
        {
            return null;
        }

        var name = charset.Trim().Trim('"', '\'').ToLowerInvariant();
        name = name switch
        {
            "iso-8859-1" or "iso8859-1" or "iso_8859-1" or "latin1" or "l1" or "us-ascii" or "ascii" or "cp1252" or "x-cp1252" => "windows-1252",
            "utf8" => "utf-8",
            _ => name,
        };

        try
        {
            return name == "utf-8" ? Encoding.UTF8 : CodePagesEncodingProvider.Instance.GetEncoding(name) ?? Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    [GeneratedRegex("""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex MetaCharset();
}
