using System.Text.Json.Serialization;

namespace SkAgents.Plugins.Web.Search;

/// <summary>A web search service that answers queries with ranked results.</summary>
public interface IWebSearchProvider
{
    /// <summary>Gets the provider's display name (for example <c>Brave</c>), used in results and errors.</summary>
    string Name { get; }

    /// <summary>Searches the web.</summary>
    /// <param name="query">The query text.</param>
    /// <param name="count">The most results to return (the provider's own limit applies: 20 for all three built-in ones).</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The results, best first, with 1-based ranks.</returns>
    /// <exception cref="WebSearchException">The provider failed; the subclass says why.</exception>
    Task<IReadOnlyList<WebSearchResult>> SearchAsync(string query, int count, CancellationToken cancellationToken);
}

/// <summary>One web search result.</summary>
/// <param name="Title">The page title (plain text).</param>
/// <param name="Url">The page URL.</param>
/// <param name="Snippet">A short extract (plain text; HTML tags removed).</param>
/// <param name="Rank">The 1-based position in the provider's answer.</param>
/// <param name="Provider">The provider that returned it.</param>
public sealed record WebSearchResult(string Title, Uri Url, string Snippet, int Rank, string Provider);

/// <summary>The built-in search providers.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WebSearchProviderKind>))]
public enum WebSearchProviderKind
{
    /// <summary>The Brave Search API (<c>X-Subscription-Token</c>).</summary>
    Brave,

    /// <summary>The Tavily search API (<c>Authorization: Bearer tvly-…</c>).</summary>
    Tavily,

    /// <summary>A self-hosted SearXNG instance with the <c>json</c> format enabled.</summary>
    SearXNG,
}

/// <summary>Settings shared by the built-in search providers.</summary>
public sealed class WebSearchProviderOptions
{
    /// <summary>
    /// Gets or sets the base URL of the service; the provider's public endpoint when null (Brave
    /// <c>https://api.search.brave.com/</c>, Tavily <c>https://api.tavily.com/</c>). Required for SearXNG.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the API key (Brave, Tavily). Never logged and never part of an error message.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the name of the setting holding the API key, shown in errors so the user knows what to fix.</summary>
    public string ApiKeySetting { get; set; } = "ApiKey";

    /// <summary>Gets or sets the name of the setting holding the endpoint, shown in errors.</summary>
    public string EndpointSetting { get; set; } = "Endpoint";

    /// <summary>Gets or sets the time limit for one HTTP request. Default 30 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many times a 429 or 5xx answer (or a network failure) is retried. Default 2.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>
    /// Gets or sets the longest wait before a retry. A <c>Retry-After</c> longer than this is not waited for: the
    /// search fails at once with a <see cref="WebSearchRateLimitException"/> that carries the wait. Default 20 s.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Gets or sets the first back-off delay when the service gives no <c>Retry-After</c> (doubled on each retry). Default 1 s.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the clock used for retry waits (tests use their own). Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets the HTTP handler; a new <see cref="SocketsHttpHandler"/> (owned by the provider) when null.</summary>
    public HttpMessageHandler? Handler { get; set; }

    /// <summary>Gets or sets the <c>User-Agent</c> header.</summary>
    public string UserAgent { get; set; } = "SkAgents-WebSearch/0.1";
}
