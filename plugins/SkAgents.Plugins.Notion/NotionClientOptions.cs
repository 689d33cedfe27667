using System.Globalization;

namespace SkAgents.Plugins.Notion;

/// <summary>The Notion API versions this client speaks (sent as the <c>Notion-Version</c> header).</summary>
public static class NotionVersions
{
    /// <summary>The long-time default: databases are queried with <c>POST /databases/{id}/query</c>; search filters on <c>"database"</c>.</summary>
    public const string Databases20220628 = "2022-06-28";

    /// <summary>The data-source model: databases contain data sources, queried with <c>POST /data_sources/{id}/query</c>; search filters on <c>"data_source"</c>.</summary>
    public const string DataSources20250903 = "2025-09-03";

    /// <summary>The latest version: like 2025-09-03, with <c>archived</c> renamed <c>in_trash</c> everywhere.</summary>
    public const string InTrash20260311 = "2026-03-11";

    /// <summary>
    /// The default, <see cref="DataSources20250903"/>: the data-source model that the official JavaScript SDK (v5) defaults
    /// to. It keeps working when a database gains a second data source (2022-06-28 breaks then), and it is older and
    /// more widely deployed than 2026-03-11, whose only differences that matter here (<c>in_trash</c>) this client
    /// handles anyway.
    /// </summary>
    public const string Default = DataSources20250903;

    /// <summary>Gets whether a version uses data sources (2025-09-03 and later) rather than databases for queries and search.</summary>
    /// <param name="version">The version string.</param>
    /// <returns><see langword="true"/> for 2025-09-03 and later.</returns>
    public static bool UsesDataSources(string version) => string.CompareOrdinal(version, DataSources20250903) >= 0;

    /// <summary>Gets whether a version is well formed (<c>yyyy-MM-dd</c>).</summary>
    /// <param name="version">The version string.</param>
    /// <returns><see langword="true"/> when it is a date.</returns>
    public static bool IsWellFormed(string? version) =>
        version is not null && DateOnly.TryParseExact(version, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
}

/// <summary>Settings of <see cref="NotionClient"/>.</summary>
public sealed class NotionClientOptions
{
    /// <summary>The public API's base URL.</summary>
    public static readonly Uri DefaultBaseUrl = new("https://api.notion.com/v1/");

    /// <summary>Gets or sets the integration token (<c>ntn_…</c> or <c>secret_…</c>). Secret: never logged nor put in messages.</summary>
    public string? Token { get; set; }

    /// <summary>Gets or sets the API base URL, ending in <c>/v1</c>. Default <c>https://api.notion.com/v1</c>.</summary>
    public Uri BaseUrl { get; set; } = DefaultBaseUrl;

    /// <summary>Gets or sets the <c>Notion-Version</c>. Default <see cref="NotionVersions.Default"/> (2025-09-03; see there why).</summary>
    public string Version { get; set; } = NotionVersions.Default;

    /// <summary>Gets or sets the average request rate the client keeps to. Default 3 per second (Notion's documented average).</summary>
    public double RequestsPerSecond { get; set; } = 3;

    /// <summary>Gets or sets how many requests may go out at once before the rate applies. Default 3.</summary>
    public int Burst { get; set; } = 3;

    /// <summary>Gets or sets how often a read is retried after 429 or a 5xx, and a write after 429. Default 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Gets or sets the longest wait before a retry; a longer <c>Retry-After</c> fails at once. Default 60 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets the first back-off delay after a 5xx (doubled each time). Default 1 s.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the timeout of one request. Default 60 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets the <c>page_size</c> asked for when listing (1–100). Default 100.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>Gets or sets the deepest block nesting read (deeper children are left out). Default 25.</summary>
    public int MaxBlockDepth { get; set; } = 25;

    /// <summary>Gets or sets the clock used by the rate limiter and retry delays (tests pass a virtual one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range; the message names it.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Token))
        {
            throw new ArgumentException("The Notion integration token is not set: create an integration at https://www.notion.so/profile/integrations and set SkAgents:Plugins:Notion:Token or NOTION_TOKEN.", nameof(Token));
        }

        if (BaseUrl is null || !BaseUrl.IsAbsoluteUri || (BaseUrl.Scheme != Uri.UriSchemeHttps && BaseUrl.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException($"The Notion base URL '{BaseUrl}' must be an absolute http(s) URL such as {DefaultBaseUrl}.", nameof(BaseUrl));
        }

        if (!NotionVersions.IsWellFormed(Version))
        {
            throw new ArgumentException($"The Notion version '{Version}' is not a date like {NotionVersions.Default} (supported: {NotionVersions.Databases20220628}, {NotionVersions.DataSources20250903}, {NotionVersions.InTrash20260311}).", nameof(Version));
        }

        if (RequestsPerSecond <= 0 || Burst < 1)
        {
            throw new ArgumentException($"RequestsPerSecond ({RequestsPerSecond}) must be positive and Burst ({Burst}) at least 1.", nameof(RequestsPerSecond));
        }

        if (MaxRetries < 0)
        {
            throw new ArgumentException($"MaxRetries ({MaxRetries}) must be 0 or more.", nameof(MaxRetries));
        }

        if (PageSize is < 1 or > 100)
        {
            throw new ArgumentException($"PageSize ({PageSize}) must be between 1 and 100 (Notion's maximum).", nameof(PageSize));
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Timeout ({Timeout}) must be positive.", nameof(Timeout));
        }
    }
}
