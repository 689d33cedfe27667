using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace SkAgents.Tokenizers;

/// <summary>A slice of text on its way through pre-tokenization.</summary>
/// <param name="Text">The string the slice lives in.</param>
/// <param name="Start">The first character of the slice.</param>
/// <param name="Length">The number of characters.</param>
/// <param name="AtOrigin">Whether the slice starts at the very beginning of the input text (Metaspace <c>prepend_scheme: first</c>).</param>
internal readonly record struct Piece(string Text, int Start, int Length, bool AtOrigin)
{
    public ReadOnlySpan<char> Span => Text.AsSpan(Start, Length);

    public static Piece Of(string text, bool atOrigin) => new(text, 0, text.Length, atOrigin);
}

/// <summary>How a split keeps the delimiters it found.</summary>
internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}

/// <summary>A pre-tokenizer (the <c>pre_tokenizer</c> section): cuts text into words for the model.</summary>
internal abstract class PreTokenizer
{
    [ThreadStatic]
    private static List<(int Start, int Length)>? matchBuffer;

    [ThreadStatic]
    private static List<(int Start, int End, bool Match)>? segmentBuffer;

    public abstract void PreTokenize(Piece piece, List<Piece> output);

    public static PreTokenizer? Create(JsonNav json)
    {
        if (json.IsNull)
        {
            return null;
        }

        var type = json.RequiredString("type");
        return type switch
        {
            "Sequence" => new SequencePreTokenizer([.. json.Required("pretokenizers").Items().Select(Create).OfType<PreTokenizer>()]),
            "Split" => new SplitPreTokenizer(Pattern.Create(json.Required("pattern")), ParseBehavior(json, "behavior", SplitBehavior.Isolated), json.Bool("invert", false)),
            "ByteLevel" => new ByteLevelPreTokenizer(json.Bool("add_prefix_space", true), json.Bool("use_regex", true)),
            "Metaspace" => MetaspacePreTokenizer.Load(json),
            "Whitespace" => new WhitespacePreTokenizer(),
            "WhitespaceSplit" => new CharSplitPreTokenizer(Rune.IsWhiteSpace, SplitBehavior.Removed),
            "BertPreTokenizer" => new SequencePreTokenizer(
                [new CharSplitPreTokenizer(Rune.IsWhiteSpace, SplitBehavior.Removed), new CharSplitPreTokenizer(TextUtilities.IsPunctuation, SplitBehavior.Isolated)]),
            "Punctuation" => new CharSplitPreTokenizer(TextUtilities.IsPunctuation, ParseBehavior(json, "behavior", SplitBehavior.Isolated)),
            "Digits" => new CharSplitPreTokenizer(TextUtilities.IsNumeric, json.Bool("individual_digits", false) ? SplitBehavior.Isolated : SplitBehavior.Contiguous),
            "CharDelimiterSplit" => CreateCharDelimiter(json),
            _ => throw new UnsupportedTokenizerComponentException("pre_tokenizer", type, json.Path),
        };
    }

    private static CharSplitPreTokenizer CreateCharDelimiter(JsonNav json)
    {
        var delimiter = json.Char("delimiter", ' ');
        return new CharSplitPreTokenizer(r => r.Value == delimiter, SplitBehavior.Removed);
    }

    internal static SplitBehavior ParseBehavior(JsonNav json, string name, SplitBehavior defaultValue)
    {
        var text = json.String(name);
        return text switch
        {
            null => defaultValue,
            "Removed" => SplitBehavior.Removed,
            "Isolated" => SplitBehavior.Isolated,
            "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
            "MergedWithNext" => SplitBehavior.MergedWithNext,
            "Contiguous" => SplitBehavior.Contiguous,
            _ => throw new TokenizerFormatException($"Unknown split behavior '{text}'", json.Path + "." + name),
        };
    }

    protected static List<(int Start, int Length)> RentMatches()
    {
        var list = matchBuffer ??= [];
        matchBuffer = null;
        list.Clear();
        return list;
    }

    protected static void ReturnMatches(List<(int Start, int Length)> list) => matchBuffer = list;

    protected static void FindCharMatches(ReadOnlySpan<char> text, Func<Rune, bool> predicate, List<(int Start, int Length)> matches)
    {
        var index = 0;
        while (index < text.Length)
        {
            Rune.DecodeFromUtf16(text[index..], out var rune, out var consumed);
            if (predicate(rune))
            {
                matches.Add((index, consumed));
            }

            index += consumed;
        }
    }

    /// <summary>Cuts <paramref name="piece"/> at <paramref name="matches"/> (sorted, non-overlapping) the way HF's <c>NormalizedString::split</c> does.</summary>
    protected static void Split(Piece piece, List<(int Start, int Length)> matches, SplitBehavior behavior, bool invert, List<Piece> output)
    {
        if (matches.Count == 0 && !invert)
        {
            if (piece.Length > 0)
            {
                output.Add(piece);
            }

            return;
        }

        var segments = segmentBuffer ??= [];
        segmentBuffer = null;
        segments.Clear();
        var previous = 0;
        foreach (var (start, length) in matches)
        {
            if (length == 0)
            {
                continue;
            }

            if (start > previous)
            {
                segments.Add((previous, start, invert));
            }

            segments.Add((start, start + length, !invert));
            previous = start + length;
        }

        if (previous < piece.Length)
        {
            segments.Add((previous, piece.Length, invert));
        }

        switch (behavior)
        {
            case SplitBehavior.Removed:
                foreach (var (start, end, match) in segments)
                {
                    if (!match)
                    {
                        Emit(piece, start, end, output);
                    }
                }

                break;
            case SplitBehavior.Isolated:
                foreach (var (start, end, _) in segments)
                {
                    Emit(piece, start, end, output);
                }

                break;
            case SplitBehavior.Contiguous:
                // Neighbouring segments of the same kind form one piece.
                EmitRuns(piece, segments, output, static (previousMatch, match) => match == previousMatch);
                break;

            case SplitBehavior.MergedWithPrevious:
                // A match joins the piece before it.
                EmitRuns(piece, segments, output, static (previousMatch, match) => match && !previousMatch);
                break;

            case SplitBehavior.MergedWithNext:
                {
                    // Walk backwards: a match joins the piece that follows it.
                    var firstIndex = output.Count;
                    int? pendingEnd = null;
                    var pendingStart = 0;
                    var previousMatch = false;
                    for (var i = segments.Count - 1; i >= 0; i--)
                    {
                        var (start, end, match) = segments[i];
                        if (match && !previousMatch && pendingEnd is not null)
                        {
                            pendingStart = start;
                        }
                        else
                        {
                            if (pendingEnd is { } e)
                            {
                                Emit(piece, pendingStart, e, output);
                            }

                            pendingStart = start;
                            pendingEnd = end;
                        }

                        previousMatch = match;
                    }

                    if (pendingEnd is { } lastEnd)
                    {
                        Emit(piece, pendingStart, lastEnd, output);
                    }

                    output.Reverse(firstIndex, output.Count - firstIndex);
                    break;
                }
        }

        segmentBuffer = segments;
    }

    /// <summary>Emits runs of segments, a segment joining the pending run when <paramref name="joins"/> says so.</summary>
    private static void EmitRuns(Piece piece, List<(int Start, int End, bool Match)> segments, List<Piece> output, Func<bool, bool, bool> joins)
    {
        int? pendingStart = null;
        var pendingEnd = 0;
        var previousMatch = false;
        foreach (var (start, end, match) in segments)
        {
            if (pendingStart is not null && joins(previousMatch, match))
            {
                pendingEnd = end;
            }
            else
            {
                if (pendingStart is { } s)
                {
                    Emit(piece, s, pendingEnd, output);
                }

                pendingStart = start;
                pendingEnd = end;
            }

            previousMatch = match;
        }

        if (pendingStart is { } last)
        {
            Emit(piece, last, pendingEnd, output);
        }
    }

    private static void Emit(Piece piece, int start, int end, List<Piece> output)
    {
        if (end > start)
        {
            output.Add(new Piece(piece.Text, piece.Start + start, end - start, piece.AtOrigin && start == 0));
        }
    }
}

internal sealed class SequencePreTokenizer(PreTokenizer[] steps) : PreTokenizer
{
    public override void PreTokenize(Piece piece, List<Piece> output)
    {
        if (steps.Length == 0)
        {
            output.Add(piece);
            return;
        }

        if (steps.Length == 1)
        {
            steps[0].PreTokenize(piece, output);
            return;
        }

        var current = new List<Piece> { piece };
        var next = new List<Piece>();
        for (var s = 0; s < steps.Length; s++)
        {
            var target = s == steps.Length - 1 ? output : next;
            foreach (var p in current)
            {
                steps[s].PreTokenize(p, target);
            }

            (current, next) = (next, current);
            next.Clear();
        }
    }
}

internal sealed class SplitPreTokenizer(Pattern pattern, SplitBehavior behavior, bool invert) : PreTokenizer
{
    public override void PreTokenize(Piece piece, List<Piece> output)
    {
        var matches = RentMatches();
        pattern.FindMatches(piece.Span, matches);
        Split(piece, matches, behavior, invert, output);
        ReturnMatches(matches);
    }
}

internal sealed class CharSplitPreTokenizer(Func<Rune, bool> predicate, SplitBehavior behavior) : PreTokenizer
{
    public override void PreTokenize(Piece piece, List<Piece> output)
    {
        var matches = RentMatches();
        FindCharMatches(piece.Span, predicate, matches);
        Split(piece, matches, behavior, invert: false, output);
        ReturnMatches(matches);
    }
}

internal sealed class WhitespacePreTokenizer : PreTokenizer
{
    private static readonly Regex Words = RegexTranslator.Create(@"\w+|[^\w\s]+", "$.pre_tokenizer");

    public override void PreTokenize(Piece piece, List<Piece> output)
    {
        var matches = RentMatches();
        foreach (var match in Words.EnumerateMatches(piece.Span))
        {
            matches.Add((match.Index, match.Length));
        }

        Split(piece, matches, SplitBehavior.Removed, invert: true, output);
        ReturnMatches(matches);
    }
}

/// <summary>GPT-2 byte-level pre-tokenizer: optional prefix space, optional GPT-2 regex split, then bytes mapped to printable characters.</summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    internal const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private static readonly Lazy<Regex> Gpt2Regex = new(() => RegexTranslator.Create(Gpt2Pattern, "$.pre_tokenizer"));

    public override void PreTokenize(Piece piece, List<Piece> output)
    {
        if (addPrefixSpace && (piece.Length == 0 || piece.Span[0] != ' '))
        {
            piece = Piece.Of(" " + piece.Span.ToString(), piece.AtOrigin);
        }

        if (!useRegex)
        {
            if (piece.Length > 0)
            {
                output.Add(Piece.Of(ByteLevelMap.Encode(piece.Span), piece.AtOrigin));
            }

            return;
        }

        var first = output.Count;
        var matches = RentMatches();
        foreach (var match in Gpt2Regex.Value.EnumerateMatches(piece.Span))
        {
            matches.Add((match.Index, match.Length));
        }

        Split(piece, matches, SplitBehavior.Isolated, invert: false, output);
        ReturnMatches(matches);
        for (var i = first; i < output.Count; i++)
        {
            output[i] = Piece.Of(ByteLevelMap.Encode(output[i].Span), output[i].AtOrigin);
        }
    }
}

/// <summary>SentencePiece-style Metaspace: spaces become ▁, an optional ▁ is prepended, optional split before each ▁.</summary>
internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split) : PreTokenizer
{
    public static MetaspacePreTokenizer Load(JsonNav json)
    {
        var replacement = json.Char("replacement", '▁');
        var scheme = MetaspaceScheme.Parse(json);
        return new MetaspacePreTokenizer(replacement, scheme, json.Bool("split", true));
    }

    public override void PreTokenize(Piece piece, List<Piece> output)
    {
        var text = piece.Span.ToString().Replace(' ', replacement);
        var prepend = scheme switch
        {
            PrependScheme.Always => !text.StartsWith(replacement),
            PrependScheme.First => piece.AtOrigin && !text.StartsWith(replacement),
            _ => false,
        };
        if (prepend)
        {
            text = replacement + text;
        }

        var replaced = Piece.Of(text, piece.AtOrigin);
        if (!split)
        {
            if (replaced.Length > 0)
            {
                output.Add(replaced);
            }

            return;
        }

        var matches = RentMatches();
        var index = text.IndexOf(replacement, StringComparison.Ordinal);
        while (index >= 0)
        {
            matches.Add((index, 1));
            index = text.IndexOf(replacement, index + 1);
        }

        Split(replaced, matches, SplitBehavior.MergedWithNext, invert: false, output);
        ReturnMatches(matches);
    }
}

/// <summary>Metaspace <c>prepend_scheme</c>.</summary>
internal enum PrependScheme
{
    Always,
    First,
    Never,
}

internal static class MetaspaceScheme
{
    public static PrependScheme Parse(JsonNav json)
    {
        var text = json.String("prepend_scheme");
        if (text is null)
        {
            // Files written before prepend_scheme existed carry add_prefix_space instead.
            return json.Bool("add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never;
        }

        return text switch
        {
            "always" => PrependScheme.Always,
            "first" => PrependScheme.First,
            "never" => PrependScheme.Never,
            _ => throw new TokenizerFormatException($"Unknown prepend_scheme '{text}'", json.Path + ".prepend_scheme"),
        };
    }
}

/// <summary>GPT-2's reversible map between bytes and printable characters.</summary>
internal static class ByteLevelMap
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly short[] CharToByte = BuildCharToByte();

    public static char Map(byte value) => ByteToChar[value];

    public static bool TryUnmap(char c, out byte value)
    {
        if (c < CharToByte.Length && CharToByte[c] >= 0)
        {
            value = (byte)CharToByte[c];
            return true;
        }

        value = 0;
        return false;
    }

    public static string Encode(ReadOnlySpan<char> text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var bytes = max <= 512 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        var count = Encoding.UTF8.GetBytes(text, bytes);
        var chars = count <= 512 ? stackalloc char[count] : new char[count];
        for (var i = 0; i < count; i++)
        {
            chars[i] = ByteToChar[bytes[i]];
        }

        var result = new string(chars);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return result;
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is (>= '!' and <= '~') or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }

        return map;
    }

    private static short[] BuildCharToByte()
    {
        var reverse = new short[324];
        Array.Fill(reverse, (short)-1);
        for (var b = 0; b < 256; b++)
        {
            reverse[ByteToChar[b]] = (short)b;
        }

        return reverse;
    }
}
