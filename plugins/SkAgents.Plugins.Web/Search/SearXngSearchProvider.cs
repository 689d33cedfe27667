using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SkAgents.Plugins.Web.Search;

/// <summary>
/// A self-hosted SearXNG instance: <c>GET {endpoint}search?q=…&amp;format=json</c>; results come from <c>results[]</c>
/// (title, url, content, engine, score). SearXNG has no result-count parameter (about 20 per page), so the first
/// <c>count</c> results are kept. The instance must allow the <c>json</c> format (<c>search.formats</c> in
/// <c>settings.yml</c>); otherwise it answers 403.
/// </summary>
public sealed class SearXngSearchProvider : WebSearchProviderBase
{
    /// <summary>Creates the provider.</summary>
    /// <param name="options">Settings; <see cref="WebSearchProviderOptions.Endpoint"/> (the instance's base URL) is required.
    /// An <see cref="WebSearchProviderOptions.ApiKey"/>, when set, is sent as <c>Authorization: Bearer</c> for instances behind an authenticating proxy.</param>
    /// <param name="logger">Logging.</param>
    /// <exception cref="WebSearchConfigurationException">No endpoint, or a bad one.</exception>
    public SearXngSearchProvider(WebSearchProviderOptions options, ILogger<SearXngSearchProvider>? logger = null)
        : base("SearXNG", options, defaultEndpoint: null, logger)
    {
    }

    /// <inheritdoc />
    protected override HttpRequestMessage CreateRequest(string query, int count)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Resolve($"search?q={Uri.EscapeDataString(query)}&format=json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrWhiteSpace(Options.ApiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.ApiKey);
        }

        return request;
    }

    /// <inheritdoc />
    protected override IReadOnlyList<WebSearchResult> ParseResults(JsonElement root, int count)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("results", out var results))
        {
            throw new InvalidOperationException("the body has no 'results' array.");
        }

        return ReadResultArray(results, count, "content");
    }

    /// <inheritdoc />
    protected override WebSearchException MapError(HttpStatusCode status, string detail)
    {
        if (status == HttpStatusCode.Forbidden)
        {
            return new WebSearchConfigurationException(Name, 403,
                $"The SearXNG instance at {Endpoint} refused the JSON API (HTTP 403): its JSON output format is disabled. Enable 'json' in search.formats of settings.yml (formats: [html, json]) and restart it, or point {Options.EndpointSetting} at an instance that allows it.");
        }

        if (status == HttpStatusCode.Unauthorized)
        {
            return new WebSearchAuthenticationException(Name, 401,
                $"The SearXNG instance at {Endpoint} requires authentication (HTTP 401): check {Options.ApiKeySetting}.");
        }

        return base.MapError(status, detail);
    }
}
