using System.Text.RegularExpressions;

namespace SkAgents.Plugins.Notion;

/// <summary>Notion ids: accepts dashed and undashed UUIDs and Notion URLs; produces the dashed form.</summary>
public static partial class NotionIds
{
    /// <summary>Parses a page, block, database or data source id, or a Notion URL that contains one.</summary>
    /// <param name="idOrUrl">
    /// <c>0f3a…</c> (32 hex digits), <c>0f3a…-…</c> (dashed), or a URL such as
    /// <c>https://www.notion.so/team/Roadmap-0f3a…?pvs=4</c> (the id at the end of the path is used; a database
    /// view's <c>?v=</c> is ignored).
    /// </param>
    /// <returns>The dashed, lower-case id.</returns>
    /// <exception cref="ArgumentException">No id could be found.</exception>
    public static string Parse(string idOrUrl)
    {
        if (TryParse(idOrUrl, out var id))
        {
            return id;
        }

        throw new ArgumentException($"'{idOrUrl}' is not a Notion id or URL: expected 32 hexadecimal digits (dashed or not) or a notion.so URL ending in one.", nameof(idOrUrl));
    }

    /// <summary>Tries to parse an id or URL (see <see cref="Parse"/>).</summary>
    /// <param name="idOrUrl">The text.</param>
    /// <param name="id">The dashed, lower-case id.</param>
    /// <returns>Whether an id was found.</returns>
    public static bool TryParse(string? idOrUrl, out string id)
    {
        id = string.Empty;
        if (string.IsNullOrWhiteSpace(idOrUrl))
        {
            return false;
        }

        var text = idOrUrl.Trim();
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            text = Uri.UnescapeDataString(uri.AbsolutePath).TrimEnd('/');
            var match = TrailingId().Match(text);
            if (!match.Success)
            {
                // notion.so/{workspace}/{id}#{block} and the like: take the last id anywhere in the path.
                var all = AnyId().Matches(text);
                if (all.Count == 0)
                {
                    return false;
                }

                match = all[^1];
            }

            id = Dashed(match.Value.Replace("-", string.Empty, StringComparison.Ordinal));
            return true;
        }

        var compact = text.Replace("-", string.Empty, StringComparison.Ordinal);
        if (compact.Length == 32 && compact.All(char.IsAsciiHexDigit) && (text.Length == 32 || DashedId().IsMatch(text)))
        {
            id = Dashed(compact);
            return true;
        }

        return false;
    }

    /// <summary>Gets the 32-digit form without dashes (used in notion.so URLs and document ids).</summary>
    /// <param name="id">A dashed or undashed id.</param>
    /// <returns>The compact id.</returns>
    public static string Compact(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return id.Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
    }

    /// <summary>Gets the notion.so URL of a page or database.</summary>
    /// <param name="id">The id.</param>
    /// <returns>The URL.</returns>
    public static string Url(string id) => "https://www.notion.so/" + Compact(id);

    private static string Dashed(string compact)
    {
        var c = compact.ToLowerInvariant();
        return $"{c[..8]}-{c[8..12]}-{c[12..16]}-{c[16..20]}-{c[20..]}";
    }

    [GeneratedRegex("(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")]
    private static partial Regex TrailingId();

    [GeneratedRegex("(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})")]
    private static partial Regex AnyId();

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex DashedId();
}
