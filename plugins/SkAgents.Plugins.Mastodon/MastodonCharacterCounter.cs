using System.Globalization;
using System.Text.RegularExpressions;

namespace SkAgents.Plugins.Mastodon;

/// <summary>
/// Counts characters the way Mastodon's <c>StatusLengthValidator</c> does: text and content warning together, in
/// grapheme clusters, every URL as <c>characters_reserved_per_url</c> (23), and a remote mention
/// <c>@user@domain</c> as its local part <c>@user</c> only.
/// </summary>
public static partial class MastodonCharacterCounter
{
    /// <summary>Counts a status's characters.</summary>
    /// <param name="text">The status text.</param>
    /// <param name="spoilerText">The content warning.</param>
    /// <param name="charactersPerUrl">How many characters a URL counts as (23 on Mastodon).</param>
    /// <returns>The count the instance will check against its limit.</returns>
    public static int Count(string? text, string? spoilerText = null, int charactersPerUrl = 23)
    {
        var placeholder = new string('x', Math.Max(0, charactersPerUrl));
        var countable = UrlPattern().Replace(text ?? string.Empty, m =>
        {
            var url = m.Value.TrimEnd('.', ',', ';', ':', '!', '?', ')', '\'', '"');
            return placeholder + m.Value[url.Length..];
        });
        countable = MentionPattern().Replace(countable, m => "@" + m.Groups["user"].Value);
        return Graphemes(countable) + Graphemes(spoilerText ?? string.Empty);
    }

    /// <summary>Counts grapheme clusters (what a reader sees as one character: an emoji with modifiers is one).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The number of grapheme clusters.</returns>
    public static int Graphemes(string text) => string.IsNullOrEmpty(text) ? 0 : new StringInfo(text).LengthInTextElements;

    [GeneratedRegex(@"https?://[^\s<>""]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"(?<=^|[^/\w])@(?<user>[a-z0-9_]+(?:[a-z0-9_\.\-]+[a-z0-9_]+)?)@[a-z0-9\.\-]+[a-z0-9]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MentionPattern();
}
