using System.Globalization;
using System.Text;
using SkAgents.Tokenizers;

namespace SkAgents.Memory.Partitioning;

/// <summary>Counts the tokens of a text, the unit in which partition budgets are expressed.</summary>
public interface ITokenCounter
{
    /// <summary>Counts the tokens of a text (no special tokens).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The number of tokens.</returns>
    int CountTokens(string text);
}

/// <summary>A <see cref="ITokenCounter"/> over a <see cref="Tokenizer"/> (the embedding model's own tokenizer).</summary>
public sealed class TokenizerTokenCounter : ITokenCounter
{
    private readonly Tokenizer tokenizer;

    /// <summary>Initializes a new instance of the <see cref="TokenizerTokenCounter"/> class.</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    public TokenizerTokenCounter(Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        this.tokenizer = tokenizer;
    }

    /// <inheritdoc />
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? 0 : tokenizer.CountTokens(text, addSpecialTokens: false);
    }
}

/// <summary>
/// A tokenizer-free estimate, used when no tokenizer is configured: whitespace is free, a run of letters or digits
/// costs one token per 4 characters (rounded up), each CJK/kana/hangul character costs one token, and every other
/// character (punctuation, symbols, emoji code points) costs one token. It is deterministic and, for English and CJK,
/// errs on the high side of common BPE vocabularies.
/// </summary>
public sealed class HeuristicTokenCounter : ITokenCounter
{
    /// <summary>Gets the shared instance.</summary>
    public static HeuristicTokenCounter Instance { get; } = new();

    /// <inheritdoc />
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = 0;
        var word = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                tokens += (word + 3) / 4;
                word = 0;
                continue;
            }

            if (IsCjk(rune.Value))
            {
                tokens += ((word + 3) / 4) + 1;
                word = 0;
                continue;
            }

            var category = Rune.GetUnicodeCategory(rune);
            if (Rune.IsLetterOrDigit(rune) || category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark)
            {
                word++;
            }
            else
            {
                tokens += ((word + 3) / 4) + 1;
                word = 0;
            }
        }

        return tokens + ((word + 3) / 4);
    }

    private static bool IsCjk(int c) =>
        c is (>= 0x3040 and <= 0x30FF) // kana
            or (>= 0x3400 and <= 0x4DBF) or (>= 0x4E00 and <= 0x9FFF) or (>= 0xF900 and <= 0xFAFF) // Han
            or (>= 0xAC00 and <= 0xD7AF) or (>= 0x1100 and <= 0x11FF) // Hangul
            or (>= 0x20000 and <= 0x3FFFF); // Han extensions
}
