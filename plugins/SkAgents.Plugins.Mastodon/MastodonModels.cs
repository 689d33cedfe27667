using System.Globalization;
using System.Text.Json.Nodes;

namespace SkAgents.Plugins.Mastodon;

/// <summary>A Mastodon account (selected fields).</summary>
/// <param name="Id">The account id (an opaque string).</param>
/// <param name="Username">The local username.</param>
/// <param name="Acct">The webfinger name: <c>user</c> for local accounts, <c>user@domain</c> for remote ones.</param>
/// <param name="DisplayName">The display name.</param>
/// <param name="Url">The profile page.</param>
public sealed record MastodonAccount(string Id, string Username, string Acct, string DisplayName, string? Url)
{
    internal static MastodonAccount Parse(JsonNode node) => new(
        Str(node, "id") ?? throw new MastodonException("The instance returned an account without an id."),
        Str(node, "username") ?? string.Empty,
        Str(node, "acct") ?? string.Empty,
        Str(node, "display_name") ?? string.Empty,
        Str(node, "url"));

    internal static string? Str(JsonNode? node, string name) =>
        node?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>A status (selected fields); <see cref="Text"/> is the plain text of the HTML <see cref="Content"/>.</summary>
/// <param name="Id">The status id (an opaque string).</param>
/// <param name="CreatedAt">When it was posted.</param>
/// <param name="Content">The sanitized HTML content (empty for a boost).</param>
/// <param name="Text">The content as plain text.</param>
/// <param name="SpoilerText">The content warning, or empty.</param>
/// <param name="Visibility">public, unlisted, private or direct.</param>
/// <param name="Language">The ISO 639 language code, when known.</param>
/// <param name="InReplyToId">The status this replies to.</param>
/// <param name="InReplyToAccountId">The account replied to.</param>
/// <param name="Url">The status page.</param>
/// <param name="Account">The author.</param>
/// <param name="Reblog">For a boost, the boosted status (which holds the text).</param>
public sealed record MastodonStatus(
    string Id,
    DateTimeOffset CreatedAt,
    string Content,
    string Text,
    string SpoilerText,
    string Visibility,
    string? Language,
    string? InReplyToId,
    string? InReplyToAccountId,
    string? Url,
    MastodonAccount? Account,
    MastodonStatus? Reblog)
{
    /// <summary>Gets whether this is a boost of another status.</summary>
    public bool IsBoost => Reblog is not null;

    /// <summary>Gets the status that carries the text: the boosted one for a boost, this one otherwise.</summary>
    public MastodonStatus Effective => Reblog ?? this;

    internal static MastodonStatus Parse(JsonNode node)
    {
        var content = MastodonAccount.Str(node, "content") ?? string.Empty;
        var created = DateTimeOffset.TryParse(MastodonAccount.Str(node, "created_at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var c) ? c : default;
        return new MastodonStatus(
            MastodonAccount.Str(node, "id") ?? throw new MastodonException("The instance returned a status without an id."),
            created,
            content,
            MastodonHtml.ToPlainText(content),
            MastodonAccount.Str(node, "spoiler_text") ?? string.Empty,
            MastodonAccount.Str(node, "visibility") ?? "public",
            MastodonAccount.Str(node, "language"),
            MastodonAccount.Str(node, "in_reply_to_id"),
            MastodonAccount.Str(node, "in_reply_to_account_id"),
            MastodonAccount.Str(node, "url"),
            node["account"] is JsonObject a ? MastodonAccount.Parse(a) : null,
            node["reblog"] is JsonObject r ? Parse(r) : null);
    }
}

/// <summary>One page of statuses and the cursor of the next (older) page.</summary>
/// <param name="Statuses">The statuses, newest first.</param>
/// <param name="NextMaxId">The <c>max_id</c> of the next page from the <c>Link</c> header, or null at the end.</param>
public sealed record MastodonStatusPage(IReadOnlyList<MastodonStatus> Statuses, string? NextMaxId);

/// <summary>Options of a statuses query.</summary>
public sealed record MastodonStatusQuery
{
    /// <summary>Gets the page size (1-40; Mastodon's default is 20).</summary>
    public int Limit { get; init; } = 40;

    /// <summary>Gets whether replies to other accounts are left out.</summary>
    public bool ExcludeReplies { get; init; }

    /// <summary>Gets whether boosts are left out.</summary>
    public bool ExcludeReblogs { get; init; }

    /// <summary>Gets the cursor: only statuses older than this id.</summary>
    public string? MaxId { get; init; }
}

/// <summary>The instance's status limits from <c>GET /api/v2/instance</c>.</summary>
/// <param name="MaxCharacters">The most characters in a status (text plus content warning).</param>
/// <param name="CharactersReservedPerUrl">How many characters each URL counts as.</param>
/// <param name="MaxMediaAttachments">The most media attachments.</param>
public sealed record MastodonInstanceLimits(int MaxCharacters, int CharactersReservedPerUrl, int MaxMediaAttachments)
{
    /// <summary>Gets vanilla Mastodon's limits (500 characters, URLs as 23, 4 attachments).</summary>
    public static MastodonInstanceLimits Default { get; } = new(500, 23, 4);
}

/// <summary>A status to post.</summary>
/// <param name="Status">The text.</param>
/// <param name="Visibility">public, unlisted, private or direct; the account's default when null.</param>
/// <param name="SpoilerText">A content warning.</param>
/// <param name="Language">An ISO 639 language code.</param>
/// <param name="InReplyToId">The status to reply to.</param>
public sealed record MastodonNewStatus(string Status, string? Visibility = null, string? SpoilerText = null, string? Language = null, string? InReplyToId = null);
