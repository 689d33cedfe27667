using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SkAgents.Tokenizers;

/// <summary>A text normalizer (the <c>normalizer</c> section of tokenizer.json).</summary>
internal abstract class Normalizer
{
    public abstract string Normalize(string text);

    public static Normalizer? Create(JsonNav json)
    {
        if (json.IsNull)
        {
            return null;
        }

        var type = json.RequiredString("type");
        return type switch
        {
            "Sequence" => new SequenceNormalizer([.. json.Required("normalizers").Items().Select(Create).OfType<Normalizer>()]),
            "NFC" => new UnicodeNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "StripAccents" => new StripAccentsNormalizer(),
            "Strip" => new StripNormalizer(json.Bool("strip_left", true), json.Bool("strip_right", true)),
            "Prepend" => new PrependNormalizer(json.RequiredString("prepend")),
            "Replace" => new ReplaceNormalizer(Pattern.Create(json.Required("pattern")), json.RequiredString("content")),
            "BertNormalizer" => new BertNormalizer(
                json.Bool("clean_text", true),
                json.Bool("handle_chinese_chars", true),
                json.OptionalBool("strip_accents"),
                json.Bool("lowercase", true)),
            _ => throw new UnsupportedTokenizerComponentException("normalizer", type, json.Path),
        };
    }
}

/// <summary>A <c>pattern</c> value: <c>{"String": "..."}</c> or <c>{"Regex": "..."}</c>.</summary>
internal sealed class Pattern
{
    private Pattern(string? literal, Regex? regex)
    {
        Literal = literal;
        Regex = regex;
    }

    public string? Literal { get; }

    public Regex? Regex { get; }

    public static Pattern Create(JsonNav json)
    {
        if (json.Element.ValueKind == System.Text.Json.JsonValueKind.String)
        {
            return new Pattern(json.AsString(), null);
        }

        if (json.TryGet("String", out var literal))
        {
            return new Pattern(literal.AsString(), null);
        }

        if (json.TryGet("Regex", out var regex))
        {
            return new Pattern(null, RegexTranslator.Create(regex.AsString(), regex.Path));
        }

        throw new TokenizerFormatException("Expected a pattern object with 'String' or 'Regex'", json.Path);
    }

    public string Replace(string text, string content) => Literal is not null
        ? (Literal.Length == 0 ? text : text.Replace(Literal, content, StringComparison.Ordinal))
        : Regex!.Replace(text, content.Replace("$", "$$", StringComparison.Ordinal));

    /// <summary>Adds the (start, length) of each match in <paramref name="text"/> to <paramref name="matches"/>.</summary>
    public void FindMatches(ReadOnlySpan<char> text, List<(int Start, int Length)> matches)
    {
        if (Literal is not null)
        {
            if (Literal.Length == 0)
            {
                return;
            }

            var offset = 0;
            while (offset <= text.Length)
            {
                var index = text[offset..].IndexOf(Literal.AsSpan(), StringComparison.Ordinal);
                if (index < 0)
                {
                    break;
                }

                matches.Add((offset + index, Literal.Length));
                offset += index + Literal.Length;
            }

            return;
        }

        foreach (var match in Regex!.EnumerateMatches(text))
        {
            matches.Add((match.Index, match.Length));
        }
    }
}

internal sealed class SequenceNormalizer(Normalizer[] normalizers) : Normalizer
{
    public override string Normalize(string text)
    {
        foreach (var normalizer in normalizers)
        {
            text = normalizer.Normalize(text);
        }

        return text;
    }
}

internal sealed class UnicodeNormalizer(NormalizationForm form) : Normalizer
{
    public override string Normalize(string text) => text.IsNormalized(form) ? text : text.Normalize(form);
}

internal sealed class LowercaseNormalizer : Normalizer
{
    public override string Normalize(string text) => text.ToLowerInvariant();
}

internal sealed class StripAccentsNormalizer : Normalizer
{
    public override string Normalize(string text) => TextUtilities.RemoveNonSpacingMarks(text);
}

internal sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override string Normalize(string text) => (left, right) switch
    {
        (true, true) => text.Trim(),
        (true, false) => text.TrimStart(),
        (false, true) => text.TrimEnd(),
        _ => text,
    };
}

internal sealed class PrependNormalizer(string prefix) : Normalizer
{
    public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;
}

internal sealed class ReplaceNormalizer(Pattern pattern, string content) : Normalizer
{
    public override string Normalize(string text) => pattern.Replace(text, content);
}

/// <summary>The BERT normalizer: clean control characters, pad CJK ideographs, strip accents, lowercase.</summary>
internal sealed class BertNormalizer(bool cleanText, bool handleChineseChars, bool? stripAccents, bool lowercase) : Normalizer
{
    public override string Normalize(string text)
    {
        if (cleanText || handleChineseChars)
        {
            var sb = new StringBuilder(text.Length + 8);
            foreach (var rune in text.EnumerateRunes())
            {
                var value = rune.Value;
                if (cleanText)
                {
                    if (value == 0 || value == 0xFFFD || TextUtilities.IsBertControl(rune))
                    {
                        continue;
                    }

                    if (TextUtilities.IsBertWhitespace(rune))
                    {
                        sb.Append(' ');
                        continue;
                    }
                }

                if (handleChineseChars && TextUtilities.IsChineseChar(value))
                {
                    sb.Append(' ');
                    AppendRune(sb, rune);
                    sb.Append(' ');
                    continue;
                }

                AppendRune(sb, rune);
            }

            text = sb.ToString();
        }

        if (stripAccents ?? lowercase)
        {
            text = TextUtilities.RemoveNonSpacingMarks(text.Normalize(NormalizationForm.FormD));
        }

        if (lowercase)
        {
            text = text.ToLowerInvariant();
        }

        return text;
    }

    private static void AppendRune(StringBuilder sb, Rune rune)
    {
        Span<char> buffer = stackalloc char[2];
        var length = rune.EncodeToUtf16(buffer);
        sb.Append(buffer[..length]);
    }
}

/// <summary>Character classes shared by normalizers and pre-tokenizers.</summary>
internal static class TextUtilities
{
    public static string RemoveNonSpacingMarks(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
            {
                sb.Append(rune.ToString());
            }
        }

        return sb.ToString();
    }

    public static bool IsBertWhitespace(Rune rune) => rune.Value is '\t' or '\n' or '\r' || Rune.IsWhiteSpace(rune);

    public static bool IsBertControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r')
        {
            return false;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;
    }

    public static bool IsChineseChar(int cp) =>
        cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    public static bool IsPunctuation(Rune rune) =>
        (rune.IsAscii && char.IsAsciiLetterOrDigit((char)rune.Value) is false && rune.Value is > 32 and < 127)
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    public static bool IsNumeric(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.DecimalDigitNumber
        or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    public static bool IsWordChar(Rune rune) => rune.Value == '_' || Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
        or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
        or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.ConnectorPunctuation;
}
