using System.Globalization;
using System.Text;

namespace SkAgents.Tokenizers;

/// <summary>A decoder (the <c>decoder</c> section): turns token strings back into text, as HF's <c>decode_chain</c>.</summary>
internal abstract class Decoder
{
    public abstract List<string> DecodeChain(List<string> tokens);

    public static Decoder? Create(JsonNav json)
    {
        if (json.IsNull)
        {
            return null;
        }

        var type = json.RequiredString("type");
        return type switch
        {
            "Sequence" => new SequenceDecoder([.. json.Required("decoders").Items().Select(Create).OfType<Decoder>()]),
            "ByteLevel" => new ByteLevelDecoder(),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(json.Char("content", ' '), json.Int("start", 0), json.Int("stop", 0)),
            "Replace" => new ReplaceDecoder(Pattern.Create(json.Required("pattern")), json.RequiredString("content")),
            "Metaspace" => new MetaspaceDecoder(json.Char("replacement", '▁'), MetaspaceScheme.Parse(json)),
            "WordPiece" => new WordPieceDecoder(json.String("prefix") ?? "##", json.Bool("cleanup", true)),
            "BPEDecoder" => new BpeSuffixDecoder(json.String("suffix") ?? "</w>"),
            _ => throw new UnsupportedTokenizerComponentException("decoder", type, json.Path),
        };
    }
}

internal sealed class SequenceDecoder(Decoder[] decoders) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        foreach (var decoder in decoders)
        {
            tokens = decoder.DecodeChain(tokens);
        }

        return tokens;
    }
}

/// <summary>Maps GPT-2 byte characters back to bytes and decodes UTF-8 (invalid sequences become U+FFFD).</summary>
internal sealed class ByteLevelDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            var start = bytes.Count;
            var mapped = true;
            foreach (var c in token)
            {
                if (!ByteLevelMap.TryUnmap(c, out var b))
                {
                    mapped = false;
                    break;
                }

                bytes.Add(b);
            }

            if (!mapped)
            {
                // A token outside the byte alphabet (an added token such as "<think>"): its own UTF-8 bytes.
                bytes.RemoveRange(start, bytes.Count - start);
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
            }
        }

        return [Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes))];
    }
}

/// <summary>Turns runs of <c>&lt;0xNN&gt;</c> tokens into text; an invalid run gives one U+FFFD per byte.</summary>
internal sealed class ByteFallbackDecoder : Decoder
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (var token in tokens)
        {
            if (TryParseByte(token, out var value))
            {
                pending.Add(value);
                continue;
            }

            Flush(pending, result);
            result.Add(token);
        }

        Flush(pending, result);
        return result;
    }

    internal static bool TryParseByte(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static void Flush(List<byte> pending, List<string> result)
    {
        if (pending.Count == 0)
        {
            return;
        }

        try
        {
            result.Add(StrictUtf8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending)));
        }
        catch (DecoderFallbackException)
        {
            for (var i = 0; i < pending.Count; i++)
            {
                result.Add("\uFFFD");
            }
        }

        pending.Clear();
    }
}

internal sealed class FuseDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing <c>content</c> characters from each token.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        foreach (var token in tokens)
        {
            var from = 0;
            while (from < start && from < token.Length && token[from] == content)
            {
                from++;
            }

            var to = token.Length;
            var removed = 0;
            while (removed < stop && to > from && token[to - 1] == content)
            {
                to--;
                removed++;
            }

            result.Add(token[from..to]);
        }

        return result;
    }
}

internal sealed class ReplaceDecoder(Pattern pattern, string content) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => [.. tokens.Select(t => pattern.Replace(t, content))];
}

/// <summary>Metaspace decoding: ▁ becomes a space; the first token loses its leading space unless the scheme is <c>never</c>.</summary>
internal sealed class MetaspaceDecoder(char replacement, PrependScheme scheme) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            var text = tokens[i].Replace(replacement, ' ');
            if (i == 0 && scheme != PrependScheme.Never && text.StartsWith(' '))
            {
                text = text[1..];
            }

            result.Add(text);
        }

        return result;
    }
}

/// <summary>WordPiece decoding: <c>##</c> pieces join the previous word, others are preceded by a space; optional cleanup.</summary>
internal sealed class WordPieceDecoder(string prefix, bool cleanup) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (i != 0)
            {
                token = token.StartsWith(prefix, StringComparison.Ordinal) ? token[prefix.Length..] : " " + token;
            }

            result.Add(cleanup ? Cleanup(token) : token);
        }

        return result;
    }

    internal static string Cleanup(string text) => text
        .Replace(" .", ".", StringComparison.Ordinal)
        .Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal)
        .Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal)
        .Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal)
        .Replace(" do not", " don't", StringComparison.Ordinal)
        .Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal)
        .Replace(" 're", "'re", StringComparison.Ordinal);
}

/// <summary>BPE with an end-of-word suffix (<c>&lt;/w&gt;</c>): the suffix becomes a space, except on the last token.</summary>
internal sealed class BpeSuffixDecoder(string suffix) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            result.Add(tokens[i].Replace(suffix, i == tokens.Count - 1 ? string.Empty : " ", StringComparison.Ordinal));
        }

        return result;
    }
}
