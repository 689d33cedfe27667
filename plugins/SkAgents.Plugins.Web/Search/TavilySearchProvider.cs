using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace SkAgents.Plugins.Web.Search;

/// <summary>
/// The Tavily search API: <c>POST {endpoint}search</c> with <c>Authorization: Bearer tvly-…</c> and a JSON body
/// <c>{query, max_results, search_depth}</c>; results come from <c>results[]</c> (title, url, content, score).
/// </summary>
public sealed class TavilySearchProvider : WebSearchProviderBase
{
    /// <summary>The public endpoint.</summary>
    public static readonly Uri DefaultEndpoint = new("https://api.tavily.com/");

    /// <summary>The most results one request returns (<c>max_results</c> is 0–20).</summary>
    public const int MaxCount = 20;

    /// <summary>Creates the provider.</summary>
    /// <param name="options">Settings; <see cref="WebSearchProviderOptions.ApiKey"/> is required.</param>
    /// <param name="searchDepth">The <c>search_depth</c>: <c>basic</c> (default, 1 credit), <c>advanced</c> (2 credits), <c>fast</c> or <c>ultra-fast</c>.</param>
    /// <param name="logger">Logging.</param>
    /// <exception cref="WebSearchConfigurationException">No API key, or a bad endpoint.</exception>
    public TavilySearchProvider(WebSearchProviderOptions options, string searchDepth = "basic", ILogger<TavilySearchProvider>? logger = null)
        : base("Tavily", options, DefaultEndpoint, logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(searchDepth);
        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            throw new WebSearchConfigurationException(Name, null, $"Tavily needs an API key (tvly-…, from app.tavily.com): set {options.ApiKeySetting}.");
        }

        SearchDepth = searchDepth;
    }

    /// <summary>Gets the <c>search_depth</c> sent with every query.</summary>
    public string SearchDepth { get; }

    /// <inheritdoc />
    protected override HttpRequestMessage CreateRequest(string query, int count)
    {
        var body = new JsonObject
        {
            ["query"] = query,
            ["max_results"] = Math.Clamp(count, 1, MaxCount),
            ["search_depth"] = SearchDepth,
        };
        var request = new HttpRequestMessage(HttpMethod.Post, Resolve("search")) { Content = JsonContent.Create(body) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.ApiKey);
        return request;
    }

    /// <inheritdoc />
    protected override IReadOnlyList<WebSearchResult> ParseResults(JsonElement root, int count)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("results", out var results))
        {
            throw new InvalidOperationException("the body has no 'results' array.");
        }

        return ReadResultArray(results, Math.Min(count, MaxCount), "content");
    }

    /// <inheritdoc />
    protected override WebSearchException MapError(HttpStatusCode status, string detail)
    {
        var code = (int)status;
        if (code is 432 or 433)
        {
            var suffix = detail.Length == 0 ? string.Empty : $" The service said: {detail}";
            return new WebSearchRateLimitException(Name, $"Tavily refused the search because the plan's {(code == 432 ? "usage" : "pay-as-you-go")} limit is reached (HTTP {code}); raise the limit on app.tavily.com or wait for the next period.{suffix}", null);
        }

        if (status == HttpStatusCode.BadRequest)
        {
            return new WebSearchServiceException(Name, code, $"Tavily rejected the request (HTTP 400): {(detail.Length == 0 ? "no detail given" : detail)}");
        }

        return base.MapError(status, detail);
    }

    /// <inheritdoc />
    protected override string? ReadErrorDetail(JsonElement root)
    {
        // {"detail":{"error":"Unauthorized: missing or invalid API key."}} (or "detail": "…")
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("detail", out var detail))
        {
            return detail.ValueKind switch
            {
                JsonValueKind.String => detail.GetString(),
                JsonValueKind.Object => GetString(detail, "error"),
                _ => null,
            };
        }

        return null;
    }
}
