using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SkAgents.Plugins.Mastodon;

/// <summary>An author's style, measured from their recent posts.</summary>
/// <param name="PostCount">How many posts were measured.</param>
/// <param name="MedianCharacters">The typical post length in characters.</param>
/// <param name="EmojiPerPost">Emoji per post on average.</param>
/// <param name="HashtagsPerPost">Hashtags per post on average.</param>
/// <param name="TopHashtags">The hashtags used most, most used first.</param>
/// <param name="TopEmoji">The emoji used most, most used first.</param>
/// <param name="Language">The most common language code, when the posts carry one.</param>
/// <param name="ToneHints">Observations about tone (questions, exclamations, capitals, line breaks…).</param>
public sealed partial record MastodonStyleProfile(
    int PostCount,
    int MedianCharacters,
    double EmojiPerPost,
    double HashtagsPerPost,
    IReadOnlyList<string> TopHashtags,
    IReadOnlyList<string> TopEmoji,
    string? Language,
    IReadOnlyList<string> ToneHints)
{
    /// <summary>Measures the style of some posts.</summary>
    /// <param name="posts">The posts (their plain text and language).</param>
    /// <returns>The profile.</returns>
    public static MastodonStyleProfile Build(IReadOnlyList<MastodonStatus> posts)
    {
        ArgumentNullException.ThrowIfNull(posts);
        var texts = posts.Select(p => p.Text).Where(t => t.Length > 0).ToList();
        if (texts.Count == 0)
        {
            return new MastodonStyleProfile(0, 0, 0, 0, [], [], null, []);
        }

        var lengths = texts.Select(MastodonCharacterCounter.Graphemes).Order().ToList();
        var median = lengths[lengths.Count / 2];
        var emoji = texts.SelectMany(Emoji).ToList();
        var tags = texts.SelectMany(t => Hashtag().Matches(t).Select(m => "#" + m.Groups[1].Value)).ToList();
        var language = posts.Where(p => !string.IsNullOrEmpty(p.Language)).GroupBy(p => p.Language!, StringComparer.OrdinalIgnoreCase)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).FirstOrDefault();

        var hints = new List<string>();
        double Share(Func<string, bool> test) => texts.Count(test) / (double)texts.Count;
        var questions = Share(t => t.Contains('?', StringComparison.Ordinal));
        var exclaims = Share(t => t.Contains('!', StringComparison.Ordinal));
        var lowerStart = Share(t => char.IsLower(t[0]));
        var multiline = Share(t => t.Contains('\n', StringComparison.Ordinal));
        var shouting = Share(t => Regex.IsMatch(t, @"\b[A-Z]{3,}\b"));
        var mentions = Share(t => Regex.IsMatch(t, @"(?<![\w/])@\w+"));
        var links = Share(t => t.Contains("http", StringComparison.OrdinalIgnoreCase));
        if (exclaims >= 0.3)
        {
            hints.Add($"enthusiastic: {exclaims:P0} of posts use exclamation marks");
        }

        if (questions >= 0.3)
        {
            hints.Add($"conversational: {questions:P0} of posts ask questions");
        }

        if (lowerStart >= 0.5)
        {
            hints.Add("casual: posts usually start in lower case");
        }

        if (shouting >= 0.2)
        {
            hints.Add("uses ALL-CAPS words for emphasis");
        }

        if (multiline >= 0.3)
        {
            hints.Add("often breaks posts into several lines or paragraphs");
        }

        if (mentions >= 0.3)
        {
            hints.Add("often mentions other accounts");
        }

        if (links >= 0.3)
        {
            hints.Add("often shares links");
        }

        if (hints.Count == 0)
        {
            hints.Add("plain, even tone");
        }

        return new MastodonStyleProfile(
            texts.Count,
            median,
            Math.Round(emoji.Count / (double)texts.Count, 2),
            Math.Round(tags.Count / (double)texts.Count, 2),
            [.. tags.GroupBy(t => t, StringComparer.OrdinalIgnoreCase).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(8).Select(g => g.First())],
            [.. emoji.GroupBy(e => e, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(8).Select(g => g.Key)],
            language,
            hints);
    }

    /// <summary>Picks the posts whose words overlap most with a topic (ties: newer first).</summary>
    /// <param name="posts">The posts, newest first.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="count">How many to pick.</param>
    /// <returns>The chosen posts' texts.</returns>
    public static IReadOnlyList<string> RelevantSamples(IReadOnlyList<MastodonStatus> posts, string topic, int count)
    {
        ArgumentNullException.ThrowIfNull(posts);
        var topicWords = Words(topic ?? string.Empty).ToHashSet(StringComparer.Ordinal);
        return [.. posts.Select((p, i) => (p.Text, Index: i, Score: Words(p.Text).Distinct(StringComparer.Ordinal).Count(topicWords.Contains)))
            .Where(p => p.Text.Length > 0)
            .OrderByDescending(p => p.Score).ThenBy(p => p.Index)
            .Take(count).Select(p => p.Text)];
    }

    /// <summary>Describes the profile in words for the prompt.</summary>
    /// <returns>A short multi-line description.</returns>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"- Measured on {PostCount} recent posts.\n");
        sb.Append(CultureInfo.InvariantCulture, $"- Typical length: about {MedianCharacters} characters.\n");
        sb.Append(CultureInfo.InvariantCulture, $"- Emoji: {EmojiPerPost:0.##} per post{(TopEmoji.Count > 0 ? ", favourites " + string.Join(' ', TopEmoji) : string.Empty)}.\n");
        sb.Append(CultureInfo.InvariantCulture, $"- Hashtags: {HashtagsPerPost:0.##} per post{(TopHashtags.Count > 0 ? ", most used " + string.Join(' ', TopHashtags) : string.Empty)}.\n");
        if (Language is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"- Language: {Language}.\n");
        }

        sb.Append("- Tone: ").Append(string.Join("; ", ToneHints)).Append('.');
        return sb.ToString();
    }

    private static IEnumerable<string> Words(string text) =>
        WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value).Where(w => w.Length > 2 && !StopWords.Contains(w));

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out", "has", "his", "how",
        "its", "who", "did", "get", "him", "let", "she", "too", "use", "that", "with", "have", "this", "will", "your", "from", "they", "been",
        "were", "what", "when", "which", "their", "there", "about", "would", "these", "into", "just", "some", "than", "then", "them", "https", "http",
    };

    private static IEnumerable<string> Emoji(string text)
    {
        var e = StringInfo.GetTextElementEnumerator(text);
        while (e.MoveNext())
        {
            var element = (string)e.Current;
            var rune = Rune.GetRuneAt(element, 0);
            if (rune.Value >= 0x1F000 || (rune.Value >= 0x2600 && rune.Value <= 0x27BF))
            {
                yield return element;
            }
        }
    }

    [GeneratedRegex(@"(?<![\w/&])#(\w+)")]
    private static partial Regex Hashtag();

    [GeneratedRegex(@"\p{L}[\p{L}\p{N}'’-]*")]
    private static partial Regex WordPattern();
}
