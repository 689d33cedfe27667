using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SkAgents.Plugins.Web.Search;

/// <summary>
/// The Brave Search API: <c>GET {endpoint}res/v1/web/search?q=…&amp;count=…</c> with <c>X-Subscription-Token</c>;
/// results come from <c>web.results[]</c> (title, url, description with &lt;strong&gt; highlights, which are removed).
/// </summary>
public sealed class BraveSearchProvider : WebSearchProviderBase
{
    /// <summary>The public endpoint.</summary>
    public static readonly Uri DefaultEndpoint = new("https://api.search.brave.com/");

    /// <summary>The most results one request returns (<c>count</c> is 1–20).</summary>
    public const int MaxCount = 20;

    /// <summary>The longest query Brave accepts, in characters.</summary>
    public const int MaxQueryLength = 400;

    /// <summary>Creates the provider.</summary>
    /// <param name="options">Settings; <see cref="WebSearchProviderOptions.ApiKey"/> is required.</param>
    /// <param name="logger">Logging.</param>
    /// <exception cref="WebSearchConfigurationException">No API key, or a bad endpoint.</exception>
    public BraveSearchProvider(WebSearchProviderOptions options, ILogger<BraveSearchProvider>? logger = null)
        : base("Brave", options, DefaultEndpoint, logger)
    {
        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            throw new WebSearchConfigurationException(Name, null, $"Brave Search needs an API key (a subscription token from api-dashboard.search.brave.com): set {options.ApiKeySetting}.");
        }
    }

    /// <inheritdoc />
    protected override HttpRequestMessage CreateRequest(string query, int count)
    {
        if (query.Length > MaxQueryLength)
        {
            throw new ArgumentException($"Brave accepts queries of at most {MaxQueryLength} characters; this one has {query.Length}.", nameof(query));
        }

        var clamped = Math.Clamp(count, 1, MaxCount);
        var request = new HttpRequestMessage(HttpMethod.Get, Resolve(
            $"res/v1/web/search?q={Uri.EscapeDataString(query)}&count={clamped.ToString(CultureInfo.InvariantCulture)}"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.TryAddWithoutValidation("X-Subscription-Token", Options.ApiKey);
        return request;
    }

    /// <inheritdoc />
    protected override IReadOnlyList<WebSearchResult> ParseResults(JsonElement root, int count)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException($"the body is a JSON {root.ValueKind}, not an object.");
        }

        // Brave leaves "web" out when there are no web results.
        if (!root.TryGetProperty("web", out var web) || web.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (!web.TryGetProperty("results", out var results))
        {
            return [];
        }

        return ReadResultArray(results, Math.Min(count, MaxCount), "description");
    }

    /// <inheritdoc />
    protected override string? ReadErrorDetail(JsonElement root)
    {
        // {"type":"ErrorResponse","error":{"id":…,"status":401,"code":"SUBSCRIPTION_TOKEN_INVALID","detail":"…"}}
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            var code = GetString(error, "code");
            var detail = GetString(error, "detail");
            return code.Length > 0 && detail.Length > 0 ? $"{detail} ({code})" : detail.Length > 0 ? detail : code;
        }

        return null;
    }
}
