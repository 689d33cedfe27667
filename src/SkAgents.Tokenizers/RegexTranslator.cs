using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SkAgents.Tokenizers;

/// <summary>
/// Turns the Oniguruma / Rust-regex patterns found in <c>tokenizer.json</c> files into .NET patterns with the same meaning.
/// </summary>
/// <remarks>
/// .NET regular expressions see UTF-16 code units, Rust sees code points: a character class such as <c>\p{L}</c> or
/// <c>[^\s\p{L}\p{N}]</c> would otherwise match a lone surrogate of an emoji or miss an astral letter. Each class is
/// rewritten as <c>(?:[BMP part minus surrogates]|astral code points as surrogate pairs)</c>, where the astral part is
/// computed from the Unicode categories of the class. Possessive quantifiers (<c>a++</c>), which .NET lacks, become greedy.
/// </remarks>
internal static class RegexTranslator
{
    private const int AstralCount = 0x110000 - 0x10000;
    private static readonly ConcurrentDictionary<string, Regex> Cache = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string> AstralCache = new(StringComparer.Ordinal);
    private static byte[]? astralCategories;

    private static readonly UnicodeCategory[] WordCategories =
    [
        UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter, UnicodeCategory.ModifierLetter,
        UnicodeCategory.OtherLetter, UnicodeCategory.NonSpacingMark, UnicodeCategory.SpacingCombiningMark, UnicodeCategory.EnclosingMark,
        UnicodeCategory.DecimalDigitNumber, UnicodeCategory.LetterNumber, UnicodeCategory.ConnectorPunctuation,
    ];

    public static Regex Create(string pattern, string jsonPath) => Cache.GetOrAdd(pattern, static (p, path) =>
    {
        try
        {
            return new Regex(Translate(p), RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException ex)
        {
            throw new TokenizerFormatException($"Invalid or unsupported regular expression '{p}': {ex.Message}", path);
        }
    }, jsonPath);

    public static string Translate(string pattern)
    {
        try
        {
            return TranslateCore(pattern);
        }
        catch (NotSupportedException)
        {
            // Constructs we do not rewrite (nested classes, class intersections): use the pattern as written.
            return pattern;
        }
    }

    private static string TranslateCore(string p)
    {
        var sb = new StringBuilder(p.Length * 2);
        var i = 0;
        var previousWasQuantifier = false;
        while (i < p.Length)
        {
            var c = p[i];
            if (c == '\\' && i + 1 < p.Length)
            {
                var item = ParseEscape(p, ref i, inClass: false);
                sb.Append(item.IsLiteral ? LiteralOutsideClass(item.Low) : Expand(negated: false, [item]));
                previousWasQuantifier = false;
                continue;
            }

            if (c == '[')
            {
                i++;
                var negated = false;
                if (i < p.Length && p[i] == '^')
                {
                    negated = true;
                    i++;
                }

                var items = new List<ClassItem>();
                var first = true;
                while (true)
                {
                    if (i >= p.Length)
                    {
                        throw new NotSupportedException("unterminated class");
                    }

                    if (p[i] == ']' && !first)
                    {
                        i++;
                        break;
                    }

                    if (p[i] == '[' || (p[i] == '&' && i + 1 < p.Length && p[i + 1] == '&'))
                    {
                        throw new NotSupportedException("nested class");
                    }

                    first = false;
                    var atom = ParseClassAtom(p, ref i);
                    if (atom.IsLiteral && i + 1 < p.Length && p[i] == '-' && p[i + 1] != ']')
                    {
                        i++;
                        var end = ParseClassAtom(p, ref i);
                        if (!end.IsLiteral || end.Low < atom.Low)
                        {
                            throw new NotSupportedException("bad range");
                        }

                        items.Add(ClassItem.Range(atom.Low, end.Low));
                    }
                    else
                    {
                        items.Add(atom);
                    }
                }

                sb.Append(Expand(negated, items));
                previousWasQuantifier = false;
                continue;
            }

            if (c == '.')
            {
                sb.Append(@"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|.)");
                previousWasQuantifier = false;
                i++;
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < p.Length && char.IsLowSurrogate(p[i + 1]))
            {
                sb.Append(LiteralOutsideClass(char.ConvertToUtf32(c, p[i + 1])));
                i += 2;
                previousWasQuantifier = false;
                continue;
            }

            if (c == '+' && previousWasQuantifier)
            {
                // Possessive quantifier: .NET has none; greedy is the closest meaning.
                previousWasQuantifier = false;
                i++;
                continue;
            }

            var isQuantifier = c is '*' or '+' || (c == '?' && i > 0 && p[i - 1] != '(' && !previousWasQuantifier) || (c == '}' && LooksLikeCountedQuantifier(sb));
            sb.Append(c);
            previousWasQuantifier = isQuantifier;
            i++;
        }

        return sb.ToString();
    }

    private static bool LooksLikeCountedQuantifier(StringBuilder sb)
    {
        var index = sb.Length - 1;
        while (index >= 0 && (char.IsAsciiDigit(sb[index]) || sb[index] == ','))
        {
            index--;
        }

        return index >= 0 && sb[index] == '{' && index < sb.Length - 1;
    }

    private static string LiteralOutsideClass(int codePoint)
    {
        if (codePoint < 0x10000)
        {
            return Escape(codePoint);
        }

        var text = char.ConvertFromUtf32(codePoint);
        return "(?:" + Escape(text[0]) + Escape(text[1]) + ")";
    }

    private static string Escape(int codeUnit) => @"\u" + codeUnit.ToString("X4", CultureInfo.InvariantCulture);

    private static ClassItem ParseClassAtom(string p, ref int i)
    {
        var c = p[i];
        if (c == '\\' && i + 1 < p.Length)
        {
            return ParseEscape(p, ref i, inClass: true);
        }

        if (char.IsHighSurrogate(c) && i + 1 < p.Length && char.IsLowSurrogate(p[i + 1]))
        {
            i += 2;
            return ClassItem.Literal(char.ConvertToUtf32(c, p[i - 1]));
        }

        i++;
        return ClassItem.Literal(c);
    }

    private static ClassItem ParseEscape(string p, ref int i, bool inClass)
    {
        var c = p[i + 1];
        i += 2;
        switch (c)
        {
            case 'p':
            case 'P':
                {
                    string name;
                    if (i < p.Length && p[i] == '{')
                    {
                        var close = p.IndexOf('}', i);
                        if (close < 0)
                        {
                            throw new NotSupportedException("bad \\p");
                        }

                        name = p[(i + 1)..close];
                        i = close + 1;
                    }
                    else if (i < p.Length)
                    {
                        name = p[i].ToString();
                        i++;
                    }
                    else
                    {
                        throw new NotSupportedException("bad \\p");
                    }

                    var negate = c == 'P';
                    if (name.StartsWith('^'))
                    {
                        negate = !negate;
                        name = name[1..];
                    }

                    return ClassItem.Category(ShortCategoryName(name), negate);
                }

            case 's': return ClassItem.Shorthand(@"\s", static _ => false);
            case 'S': return ClassItem.Shorthand(@"\S", static _ => true);
            case 'd': return ClassItem.Shorthand(@"\d", static cp => CategoryOf(cp) == UnicodeCategory.DecimalDigitNumber);
            case 'D': return ClassItem.Shorthand(@"\D", static cp => CategoryOf(cp) != UnicodeCategory.DecimalDigitNumber);
            case 'w': return ClassItem.Shorthand(@"\w", static cp => Array.IndexOf(WordCategories, CategoryOf(cp)) >= 0);
            case 'W': return ClassItem.Shorthand(@"\W", static cp => Array.IndexOf(WordCategories, CategoryOf(cp)) < 0);
            case 'n': return ClassItem.Literal('\n');
            case 'r': return ClassItem.Literal('\r');
            case 't': return ClassItem.Literal('\t');
            case 'f': return ClassItem.Literal('\f');
            case 'v': return ClassItem.Literal('\v');
            case 'e': return ClassItem.Literal(0x1B);
            case 'a': return ClassItem.Literal(0x07);
            case '0': return ClassItem.Literal(0);
            case 'x':
                {
                    if (i < p.Length && p[i] == '{')
                    {
                        var close = p.IndexOf('}', i);
                        var value = int.Parse(p.AsSpan(i + 1, close - i - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                        i = close + 1;
                        return ClassItem.Literal(value);
                    }

                    var hex = int.Parse(p.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    i += 2;
                    return ClassItem.Literal(hex);
                }

            case 'u':
                {
                    var hex = int.Parse(p.AsSpan(i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    i += 4;
                    return ClassItem.Literal(hex);
                }

            default:
                if (char.IsAsciiLetterOrDigit(c) && !inClass)
                {
                    // Anchors and other escapes (\b, \A, \z, \1): keep them as written.
                    return ClassItem.Raw("\\" + c);
                }

                if (char.IsAsciiLetterOrDigit(c))
                {
                    throw new NotSupportedException("escape in class");
                }

                return ClassItem.Literal(c);
        }
    }

    private static string ShortCategoryName(string name) => name switch
    {
        "Letter" => "L",
        "Uppercase_Letter" => "Lu",
        "Lowercase_Letter" => "Ll",
        "Titlecase_Letter" => "Lt",
        "Modifier_Letter" => "Lm",
        "Other_Letter" => "Lo",
        "Mark" or "Combining_Mark" => "M",
        "Nonspacing_Mark" => "Mn",
        "Spacing_Mark" => "Mc",
        "Enclosing_Mark" => "Me",
        "Number" => "N",
        "Decimal_Number" => "Nd",
        "Letter_Number" => "Nl",
        "Other_Number" => "No",
        "Punctuation" => "P",
        "Symbol" => "S",
        "Separator" => "Z",
        "Other" => "C",
        _ => name,
    };

    private static UnicodeCategory[]? CategoriesFor(string shortName) => shortName switch
    {
        "L" => [UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter, UnicodeCategory.ModifierLetter, UnicodeCategory.OtherLetter],
        "Lu" => [UnicodeCategory.UppercaseLetter],
        "Ll" => [UnicodeCategory.LowercaseLetter],
        "Lt" => [UnicodeCategory.TitlecaseLetter],
        "Lm" => [UnicodeCategory.ModifierLetter],
        "Lo" => [UnicodeCategory.OtherLetter],
        "M" => [UnicodeCategory.NonSpacingMark, UnicodeCategory.SpacingCombiningMark, UnicodeCategory.EnclosingMark],
        "Mn" => [UnicodeCategory.NonSpacingMark],
        "Mc" => [UnicodeCategory.SpacingCombiningMark],
        "Me" => [UnicodeCategory.EnclosingMark],
        "N" => [UnicodeCategory.DecimalDigitNumber, UnicodeCategory.LetterNumber, UnicodeCategory.OtherNumber],
        "Nd" => [UnicodeCategory.DecimalDigitNumber],
        "Nl" => [UnicodeCategory.LetterNumber],
        "No" => [UnicodeCategory.OtherNumber],
        "P" => [UnicodeCategory.ConnectorPunctuation, UnicodeCategory.DashPunctuation, UnicodeCategory.OpenPunctuation, UnicodeCategory.ClosePunctuation, UnicodeCategory.InitialQuotePunctuation, UnicodeCategory.FinalQuotePunctuation, UnicodeCategory.OtherPunctuation],
        "Pc" => [UnicodeCategory.ConnectorPunctuation],
        "Pd" => [UnicodeCategory.DashPunctuation],
        "Ps" => [UnicodeCategory.OpenPunctuation],
        "Pe" => [UnicodeCategory.ClosePunctuation],
        "Pi" => [UnicodeCategory.InitialQuotePunctuation],
        "Pf" => [UnicodeCategory.FinalQuotePunctuation],
        "Po" => [UnicodeCategory.OtherPunctuation],
        "S" => [UnicodeCategory.MathSymbol, UnicodeCategory.CurrencySymbol, UnicodeCategory.ModifierSymbol, UnicodeCategory.OtherSymbol],
        "Sm" => [UnicodeCategory.MathSymbol],
        "Sc" => [UnicodeCategory.CurrencySymbol],
        "Sk" => [UnicodeCategory.ModifierSymbol],
        "So" => [UnicodeCategory.OtherSymbol],
        "Z" => [UnicodeCategory.SpaceSeparator, UnicodeCategory.LineSeparator, UnicodeCategory.ParagraphSeparator],
        "Zs" => [UnicodeCategory.SpaceSeparator],
        "Zl" => [UnicodeCategory.LineSeparator],
        "Zp" => [UnicodeCategory.ParagraphSeparator],
        "C" => [UnicodeCategory.Control, UnicodeCategory.Format, UnicodeCategory.Surrogate, UnicodeCategory.PrivateUse, UnicodeCategory.OtherNotAssigned],
        "Cc" => [UnicodeCategory.Control],
        "Cf" => [UnicodeCategory.Format],
        "Cs" => [UnicodeCategory.Surrogate],
        "Co" => [UnicodeCategory.PrivateUse],
        "Cn" => [UnicodeCategory.OtherNotAssigned],
        _ => null,
    };

    private static UnicodeCategory CategoryOf(int astralCodePoint)
    {
        var table = astralCategories;
        if (table is null)
        {
            table = new byte[AstralCount];
            for (var cp = 0; cp < AstralCount; cp++)
            {
                table[cp] = (byte)CharUnicodeInfo.GetUnicodeCategory(cp + 0x10000);
            }

            astralCategories = table;
        }

        return (UnicodeCategory)table[astralCodePoint - 0x10000];
    }

    private static string Expand(bool negated, List<ClassItem> items)
    {
        if (items.Count == 1 && items[0].RawText is { } raw)
        {
            return raw;
        }

        var bmp = new StringBuilder();
        var key = new StringBuilder(negated ? "^" : "+");
        foreach (var item in items)
        {
            bmp.Append(item.Bmp);
            key.Append(item.Key).Append('\u0001');
        }

        var astral = AstralCache.GetOrAdd(key.ToString(), _ => BuildAstral(cp =>
        {
            var any = false;
            foreach (var item in items)
            {
                if (item.MatchesAstral(cp))
                {
                    any = true;
                    break;
                }
            }

            return any != negated;
        }));

        // A positive class only needs the surrogates subtracted when one of its items can match them (\S, \P{L}, ranges).
        var needsSubtraction = items.Exists(item => item.CanMatchSurrogates);
        string? bmpClass = negated
            ? "[^" + bmp + @"\uD800-\uDFFF]"
            : bmp.Length == 0 ? null : needsSubtraction ? "[" + bmp + @"-[\uD800-\uDFFF]]" : "[" + bmp + "]";
        if (astral.Length == 0)
        {
            return bmpClass ?? "(?!)";
        }

        // The lookahead makes a BMP character fail the astral branches with one test instead of one per branch.
        var guarded = astral.Contains('|', StringComparison.Ordinal) ? @"(?=[\uD800-\uDBFF])(?:" + astral + ")" : astral;
        return bmpClass is null ? "(?:" + guarded + ")" : "(?:" + bmpClass + "|" + guarded + ")";
    }

    private static string BuildAstral(Func<int, bool> matches)
    {
        // For each high surrogate, the ranges of low surrogates whose code point matches; equal neighbours are merged.
        var rows = new string[1024];
        var row = new StringBuilder();
        for (var high = 0; high < 1024; high++)
        {
            row.Clear();
            var runStart = -1;
            for (var low = 0; low <= 1024; low++)
            {
                var inside = low < 1024 && matches(0x10000 + (high << 10) + low);
                if (inside && runStart < 0)
                {
                    runStart = low;
                }
                else if (!inside && runStart >= 0)
                {
                    row.Append(Escape(0xDC00 + runStart));
                    if (low - 1 > runStart)
                    {
                        row.Append('-').Append(Escape(0xDC00 + low - 1));
                    }

                    runStart = -1;
                }
            }

            rows[high] = row.ToString();
        }

        var result = new StringBuilder();
        var h = 0;
        while (h < 1024)
        {
            if (rows[h].Length == 0)
            {
                h++;
                continue;
            }

            var end = h;
            while (end + 1 < 1024 && rows[end + 1] == rows[h])
            {
                end++;
            }

            if (result.Length > 0)
            {
                result.Append('|');
            }

            result.Append(end == h ? Escape(0xD800 + h) : "[" + Escape(0xD800 + h) + "-" + Escape(0xD800 + end) + "]");
            result.Append('[').Append(rows[h]).Append(']');
            h = end + 1;
        }

        return result.ToString();
    }

    private sealed class ClassItem
    {
        private Func<int, bool> astral = static _ => false;

        public bool IsLiteral { get; private init; }

        public int Low { get; private init; }

        public string Bmp { get; private init; } = string.Empty;

        public string Key { get; private init; } = string.Empty;

        public string? RawText { get; private init; }

        public bool CanMatchSurrogates { get; private init; }

        public bool MatchesAstral(int codePoint) => astral(codePoint);

        public static ClassItem Literal(int codePoint) => new()
        {
            IsLiteral = true,
            Low = codePoint,
            Bmp = codePoint < 0x10000 ? Escape(codePoint) : string.Empty,
            Key = "l" + codePoint.ToString(CultureInfo.InvariantCulture),
            astral = codePoint < 0x10000 ? static _ => false : cp => cp == codePoint,
        };

        public static ClassItem Range(int low, int high) => new()
        {
            Bmp = low < 0x10000 ? Escape(low) + "-" + Escape(Math.Min(high, 0xFFFF)) : string.Empty,
            Key = "r" + low.ToString(CultureInfo.InvariantCulture) + "-" + high.ToString(CultureInfo.InvariantCulture),
            CanMatchSurrogates = low <= 0xDFFF && high >= 0xD800,
            astral = cp => cp >= low && cp <= high,
        };

        public static ClassItem Shorthand(string text, Func<int, bool> astral) =>
            new() { Bmp = text, Key = text, astral = astral, CanMatchSurrogates = text is @"\S" or @"\W" or @"\D" };

        public static ClassItem Raw(string text) => new() { Bmp = text, Key = text, RawText = text };

        public static ClassItem Category(string shortName, bool negate)
        {
            var categories = CategoriesFor(shortName);
            var text = (negate ? @"\P{" : @"\p{") + shortName + "}";
            if (categories is null)
            {
                // A block or script name .NET may know (IsGreek...): keep it, with no astral part.
                return new ClassItem { Bmp = text, Key = text, CanMatchSurrogates = true };
            }

            return new ClassItem
            {
                Bmp = text,
                Key = text,
                CanMatchSurrogates = negate != categories.Contains(UnicodeCategory.Surrogate),
                astral = cp => Array.IndexOf(categories, CategoryOf(cp)) >= 0 != negate,
            };
        }
    }
}
