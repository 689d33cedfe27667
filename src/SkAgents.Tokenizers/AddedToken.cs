using System.Buffers;
using System.Text;

namespace SkAgents.Tokenizers;

/// <summary>A token from the <c>added_tokens</c> list: matched in the raw text before the model runs.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The token text.</param>
/// <param name="Special">Whether it is a special token (left out by <c>skipSpecialTokens</c>).</param>
/// <param name="SingleWord">Whether it only matches as a whole word.</param>
/// <param name="LStrip">Whether whitespace on its left is absorbed into it.</param>
/// <param name="RStrip">Whether whitespace on its right is absorbed into it.</param>
/// <param name="Normalized">Whether it is matched against the normalized text (otherwise the raw text).</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord, bool LStrip, bool RStrip, bool Normalized);

/// <summary>Finds added tokens in text the way HF's <c>AddedVocabulary</c> does (leftmost-longest, then word/strip rules).</summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, (string Content, AddedToken Token)[]> byFirstChar;
    private readonly SearchValues<char> firstChars;

    public AddedTokenMatcher(IEnumerable<(string Content, AddedToken Token)> tokens)
    {
        byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        firstChars = SearchValues.Create([.. byFirstChar.Keys]);
        IsEmpty = byFirstChar.Count == 0;
    }

    public bool IsEmpty { get; }

    /// <summary>Cuts <paramref name="text"/> into segments: plain text (<c>Token</c> null) and added tokens.</summary>
    public void Split(string text, List<(int Start, int End, AddedToken? Token)> output)
    {
        var segmentStart = 0;
        var position = 0;
        while (position < text.Length)
        {
            var found = text.AsSpan(position).IndexOfAny(firstChars);
            if (found < 0)
            {
                break;
            }

            position += found;
            var match = LongestAt(text, position);
            if (match is null)
            {
                position++;
                continue;
            }

            var start = position;
            var stop = position + match.Value.Content.Length;
            var token = match.Value.Token;
            position = stop;
            if (token.SingleWord)
            {
                var leftOk = start == 0 || !EndsWithWordChar(text.AsSpan(0, start));
                var rightOk = stop == text.Length || !StartsWithWordChar(text.AsSpan(stop));
                if (!leftOk || !rightOk)
                {
                    continue;
                }
            }

            if (token.LStrip)
            {
                var newStart = start;
                while (newStart > segmentStart && char.IsWhiteSpace(text[newStart - 1]))
                {
                    newStart--;
                }

                start = newStart;
            }

            if (token.RStrip)
            {
                while (stop < text.Length && char.IsWhiteSpace(text[stop]))
                {
                    stop++;
                }

                position = stop;
            }

            if (start > segmentStart)
            {
                output.Add((segmentStart, start, null));
            }

            output.Add((start, stop, token));
            segmentStart = stop;
        }

        if (segmentStart < text.Length)
        {
            output.Add((segmentStart, text.Length, null));
        }
    }

    private (string Content, AddedToken Token)? LongestAt(string text, int position)
    {
        if (!byFirstChar.TryGetValue(text[position], out var candidates))
        {
            return null;
        }

        var rest = text.AsSpan(position);
        foreach (var candidate in candidates)
        {
            if (rest.StartsWith(candidate.Content, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool EndsWithWordChar(ReadOnlySpan<char> text) =>
        Rune.DecodeLastFromUtf16(text, out var rune, out _) == OperationStatus.Done && TextUtilities.IsWordChar(rune);

    private static bool StartsWithWordChar(ReadOnlySpan<char> text) =>
        Rune.DecodeFromUtf16(text, out var rune, out _) == OperationStatus.Done && TextUtilities.IsWordChar(rune);
}
