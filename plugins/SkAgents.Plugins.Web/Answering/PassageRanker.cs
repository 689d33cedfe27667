using System.Text;
using System.Text.RegularExpressions;

namespace SkAgents.Plugins.Web.Answering;

/// <summary>A passage of a fetched page.</summary>
/// <param name="SourceIndex">Which page it came from (index into the caller's page list).</param>
/// <param name="Order">Its position in that page.</param>
/// <param name="Text">The passage (Markdown, with its section heading prefixed when it has one).</param>
public sealed record Passage(int SourceIndex, int Order, string Text);

/// <summary>A passage with its relevance.</summary>
/// <param name="Passage">The passage.</param>
/// <param name="Score">Its BM25 score against the question (0 when no question term occurs).</param>
public sealed record ScoredPassage(Passage Passage, double Score);

/// <summary>
/// Splits Markdown into passages (paragraph groups under their heading) and ranks them against a question with
/// Okapi BM25 (k1 = 1.2, b = 0.75) computed over the passages themselves.
/// </summary>
public static partial class PassageRanker
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "did", "do", "does", "for", "from", "had", "has",
        "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our",
        "so", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "was",
        "we", "were", "what", "when", "where", "which", "who", "whom", "why", "will", "with", "would", "you", "your",
    };

    /// <summary>Splits a page's Markdown into passages of about <paramref name="targetCharacters"/> characters.</summary>
    /// <param name="sourceIndex">The page's index.</param>
    /// <param name="markdown">The page's main text.</param>
    /// <param name="targetCharacters">The passage size to aim for; paragraphs are never split unless one alone exceeds twice this.</param>
    /// <returns>The passages in page order.</returns>
    public static IReadOnlyList<Passage> Split(int sourceIndex, string markdown, int targetCharacters = 800)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetCharacters, 100);
        var passages = new List<Passage>();
        var current = new StringBuilder();
        string? heading = null;

        void Flush()
        {
            var text = current.ToString().Trim();
            current.Clear();
            if (text.Length == 0)
            {
                return;
            }

            passages.Add(new Passage(sourceIndex, passages.Count, heading is null || text.StartsWith(heading, StringComparison.Ordinal) ? text : heading + "\n\n" + text));
        }

        foreach (var block in Blocks().Split(markdown.ReplaceLineEndings("\n")))
        {
            var trimmed = block.Trim();
            if (trimmed.Length == 0)
            {
                continue;
            }

            if (trimmed.StartsWith('#') && !trimmed.Contains('\n', StringComparison.Ordinal))
            {
                Flush();
                heading = trimmed;
                continue;
            }

            foreach (var piece in SplitLong(trimmed, targetCharacters * 2))
            {
                if (current.Length > 0 && current.Length + piece.Length > targetCharacters)
                {
                    Flush();
                }

                if (current.Length > 0)
                {
                    current.Append("\n\n");
                }

                current.Append(piece);
            }
        }

        Flush();
        return passages;
    }

    /// <summary>Scores passages against a question with BM25 (document frequencies and lengths from these passages).</summary>
    /// <param name="question">The question.</param>
    /// <param name="passages">The passages.</param>
    /// <returns>Every passage with its score, best first (ties keep page and passage order).</returns>
    public static IReadOnlyList<ScoredPassage> Rank(string question, IReadOnlyList<Passage> passages)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(passages);
        if (passages.Count == 0)
        {
            return [];
        }

        var queryTerms = Tokenize(question).Distinct(StringComparer.Ordinal).ToList();
        var documents = passages.Select(p => Tokenize(p.Text)).ToList();
        var averageLength = Math.Max(1.0, documents.Average(d => d.Count));
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var term in queryTerms)
        {
            documentFrequency[term] = documents.Count(d => d.Contains(term, StringComparer.Ordinal));
        }

        var n = passages.Count;
        var scored = new List<ScoredPassage>(n);
        for (var i = 0; i < n; i++)
        {
            var terms = documents[i];
            var frequencies = terms.GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            double score = 0;
            foreach (var term in queryTerms)
            {
                if (!frequencies.TryGetValue(term, out var tf))
                {
                    continue;
                }

                var df = documentFrequency[term];
                var idf = Math.Log(1 + ((n - df + 0.5) / (df + 0.5)));
                score += idf * (tf * (K1 + 1)) / (tf + (K1 * (1 - B + (B * terms.Count / averageLength))));
            }

            scored.Add(new ScoredPassage(passages[i], score));
        }

        return [.. scored
            .Select((s, i) => (s, i))
            .OrderByDescending(x => x.s.Score)
            .ThenBy(x => x.i)
            .Select(x => x.s)];
    }

    /// <summary>Splits text into lower-case word terms, leaving out stop words and one-letter words.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The terms in order.</returns>
    public static List<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<string>();
        foreach (Match match in Words().Matches(text))
        {
            var word = match.Value.ToLowerInvariant();
            if (word.Length > 1 && !StopWords.Contains(word))
            {
                terms.Add(Stem(word));
            }
        }

        return terms;
    }

    // A light suffix stripper so "bridges"/"bridge" and "opened"/"open" match; enough for ranking passages.
    private static string Stem(string word)
    {
        if (word.Length > 4 && word.EndsWith("ies", StringComparison.Ordinal))
        {
            return word[..^3] + "y";
        }

        if (word.Length > 4 && (word.EndsWith("ing", StringComparison.Ordinal) || word.EndsWith("ed", StringComparison.Ordinal)))
        {
            return word.EndsWith("ing", StringComparison.Ordinal) ? word[..^3] : word[..^2];
        }

        if (word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal))
        {
            return word[..^1];
        }

        return word;
    }

    private static IEnumerable<string> SplitLong(string block, int max)
    {
        if (block.Length <= max)
        {
            yield return block;
            yield break;
        }

        // Split an overlong paragraph at sentence ends (or lines), keeping pieces under the limit where possible.
        var piece = new StringBuilder();
        foreach (var sentence in Sentences().Split(block))
        {
            if (piece.Length > 0 && piece.Length + sentence.Length + 1 > max)
            {
                yield return piece.ToString().Trim();
                piece.Clear();
            }

            piece.Append(sentence).Append(' ');
        }

        if (piece.Length > 0)
        {
            yield return piece.ToString().Trim();
        }
    }

    [GeneratedRegex(@"\n\s*\n", RegexOptions.CultureInvariant)]
    private static partial Regex Blocks();

    [GeneratedRegex(@"(?<=[.!?])\s+|\n", RegexOptions.CultureInvariant)]
    private static partial Regex Sentences();

    [GeneratedRegex(@"[\p{L}\p{N}]+", RegexOptions.CultureInvariant)]
    private static partial Regex Words();
}
