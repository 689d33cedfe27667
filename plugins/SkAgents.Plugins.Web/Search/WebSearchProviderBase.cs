using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SkAgents.Plugins.Web.Search;

/// <summary>
/// The HTTP plumbing the built-in providers share: one <see cref="HttpClient"/>, bounded retries of 429 and 5xx answers
/// (honouring <c>Retry-After</c>), typed errors that name the provider and the setting to fix, and JSON parsing.
/// </summary>
public abstract partial class WebSearchProviderBase : IWebSearchProvider, IDisposable
{
    private const int MaxErrorDetailLength = 300;
    private readonly HttpClient _http;
    private readonly bool _ownsHandler;
    private bool _disposed;

    /// <summary>Creates the provider.</summary>
    /// <param name="name">The provider's display name.</param>
    /// <param name="options">Settings.</param>
    /// <param name="defaultEndpoint">The public endpoint used when <see cref="WebSearchProviderOptions.Endpoint"/> is null; null when one is required.</param>
    /// <param name="logger">Logging (never sees the API key).</param>
    /// <exception cref="WebSearchConfigurationException">The endpoint is missing or not an absolute http(s) URL.</exception>
    protected WebSearchProviderBase(string name, WebSearchProviderOptions options, Uri? defaultEndpoint, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries);
        Name = name;
        Options = options;
        Logger = logger ?? NullLogger.Instance;
        var endpoint = options.Endpoint ?? defaultEndpoint
            ?? throw new WebSearchConfigurationException(name, null, $"{name} needs the base URL of the instance: set {options.EndpointSetting} (for example http://127.0.0.1:8888/).");
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new WebSearchConfigurationException(name, null, $"{options.EndpointSetting} is '{endpoint}'; {name} needs an absolute http or https URL.");
        }

        // Relative paths resolve under the base URL only when it ends with '/'.
        Endpoint = endpoint.AbsoluteUri.EndsWith('/') ? endpoint : new Uri(endpoint.AbsoluteUri + "/");
        _ownsHandler = options.Handler is null;
        var handler = options.Handler ?? new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All, ConnectTimeout = options.Timeout };
        _http = new HttpClient(handler, disposeHandler: _ownsHandler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Gets the base URL (ending with '/').</summary>
    public Uri Endpoint { get; }

    /// <summary>Gets the settings.</summary>
    protected WebSearchProviderOptions Options { get; }

    /// <summary>Gets the logger.</summary>
    protected ILogger Logger { get; }

    /// <inheritdoc />
    public async Task<IReadOnlyList<WebSearchResult>> SearchAsync(string query, int count, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Logger.LogDebug("Searching {Provider} for {Query} ({Count} results).", Name, query, count);
        using var document = await SendAsync(() => CreateRequest(query.Trim(), count), cancellationToken).ConfigureAwait(false);
        try
        {
            var results = ParseResults(document.RootElement, count);
            Logger.LogDebug("{Provider} returned {Count} results.", Name, results.Count);
            return results;
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or FormatException or UriFormatException)
        {
            throw new WebSearchResponseException(Name, $"{Name} answered with JSON that does not have the documented shape: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the HTTP client.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _http.Dispose();
        }

        _disposed = true;
    }

    /// <summary>Builds the HTTP request for a query (called again for each retry).</summary>
    /// <param name="query">The trimmed query.</param>
    /// <param name="count">The requested number of results.</param>
    /// <returns>The request.</returns>
    protected abstract HttpRequestMessage CreateRequest(string query, int count);

    /// <summary>Reads the results out of the provider's JSON answer.</summary>
    /// <param name="root">The parsed body.</param>
    /// <param name="count">The most results to return.</param>
    /// <returns>The results with 1-based ranks.</returns>
    protected abstract IReadOnlyList<WebSearchResult> ParseResults(JsonElement root, int count);

    /// <summary>Maps a failed answer (other than 429 and 5xx) to an exception. The default handles 401 and 403 as a bad key.</summary>
    /// <param name="status">The status.</param>
    /// <param name="detail">The error detail the service sent, already cleaned (may be empty).</param>
    /// <returns>The exception to throw.</returns>
    protected virtual WebSearchException MapError(HttpStatusCode status, string detail)
    {
        var code = (int)status;
        var suffix = detail.Length == 0 ? string.Empty : $" The service said: {detail}";
        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return new WebSearchAuthenticationException(Name, code,
                string.IsNullOrEmpty(Options.ApiKey)
                    ? $"{Name} needs an API key and none is configured (HTTP {code}): set {Options.ApiKeySetting}.{suffix}"
                    : $"{Name} rejected the API key (HTTP {code}): check {Options.ApiKeySetting}.{suffix}");
        }

        return new WebSearchServiceException(Name, code, $"{Name} answered HTTP {code} {status}.{suffix}");
    }

    /// <summary>Reads a human-readable error detail from an error body (provider specific).</summary>
    /// <param name="root">The parsed error body.</param>
    /// <returns>The detail, or null.</returns>
    protected virtual string? ReadErrorDetail(JsonElement root) => null;

    /// <summary>Resolves a path under the base URL.</summary>
    /// <param name="relative">The relative path and query.</param>
    /// <returns>The absolute URL.</returns>
    protected Uri Resolve(string relative) => new(Endpoint, relative);

    /// <summary>Reads a string property, or returns an empty string.</summary>
    /// <param name="element">The object.</param>
    /// <param name="name">The property.</param>
    /// <returns>The value.</returns>
    protected static string GetString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() ?? string.Empty
            : string.Empty;

    /// <summary>Turns an HTML fragment (a snippet with &lt;strong&gt; highlights) into plain text.</summary>
    /// <param name="html">The fragment.</param>
    /// <returns>Plain text with entities decoded and white space collapsed.</returns>
    public static string StripHtml(string? html)
    {
        if (string.IsNullOrEmpty(html))
        {
            return string.Empty;
        }

        var text = Tags().Replace(html, string.Empty);
        text = WebUtility.HtmlDecode(text);
        return Spaces().Replace(text, " ").Trim();
    }

    /// <summary>Reads the results array of a response into results: skips entries without a valid absolute http(s) URL.</summary>
    /// <param name="results">The JSON array.</param>
    /// <param name="count">The most results.</param>
    /// <param name="snippetProperty">The property holding the snippet.</param>
    /// <returns>The results.</returns>
    protected IReadOnlyList<WebSearchResult> ReadResultArray(JsonElement results, int count, string snippetProperty)
    {
        if (results.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOperationException($"'results' is {results.ValueKind}, not an array.");
        }

        var list = new List<WebSearchResult>();
        foreach (var item in results.EnumerateArray())
        {
            if (list.Count == count)
            {
                break;
            }

            var url = GetString(item, "url");
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                Logger.LogDebug("{Provider} returned a result without a usable URL; skipped.", Name);
                continue;
            }

            list.Add(new WebSearchResult(StripHtml(GetString(item, "title")), uri, StripHtml(GetString(item, snippetProperty)), list.Count + 1, Name));
        }

        return list;
    }

    private async Task<JsonDocument> SendAsync(Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = createRequest();
            request.Headers.UserAgent.ParseAdd(Options.UserAgent);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Options.Timeout);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var what = ex is OperationCanceledException ? $"did not answer within {Options.Timeout.TotalSeconds:0.#} s" : $"could not be reached ({ex.Message})";
                if (attempt < Options.MaxRetries)
                {
                    var wait = Backoff(attempt);
                    Logger.LogWarning("{Provider} {What}; retrying in {Delay} (attempt {Attempt} of {Max}).", Name, what, wait, attempt + 1, Options.MaxRetries);
                    await Task.Delay(wait, Options.TimeProvider, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                throw new WebSearchServiceException(Name, null, $"{Name} at {Endpoint} {what}.", ex);
            }

            using (response)
            {
                var body = await ReadBodyAsync(response, timeout.Token, cancellationToken).ConfigureAwait(false);
                var status = response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    try
                    {
                        return JsonDocument.Parse(body);
                    }
                    catch (JsonException ex)
                    {
                        throw new WebSearchResponseException(Name,
                            $"{Name} answered HTTP {(int)status} with a body that is not valid JSON ({Describe(response.Content.Headers.ContentType)}): {ex.Message}", ex);
                    }
                }

                var retryable = status == HttpStatusCode.TooManyRequests || (int)status >= 500;
                var detail = ErrorDetail(body);
                if (!retryable)
                {
                    throw MapError(status, detail);
                }

                var retryAfter = RetryAfter(response);
                var suffix = detail.Length == 0 ? string.Empty : $" The service said: {detail}";
                if (retryAfter is { } asked && asked > Options.MaxRetryDelay)
                {
                    throw status == HttpStatusCode.TooManyRequests
                        ? new WebSearchRateLimitException(Name, $"{Name} is rate limiting this key (HTTP 429) and asks to wait {asked.TotalSeconds:0} s, longer than the {Options.MaxRetryDelay.TotalSeconds:0} s allowed.{suffix}", asked)
                        : new WebSearchServiceException(Name, (int)status, $"{Name} answered HTTP {(int)status} and asks to retry in {asked.TotalSeconds:0} s.{suffix}");
                }

                if (attempt >= Options.MaxRetries)
                {
                    throw status == HttpStatusCode.TooManyRequests
                        ? new WebSearchRateLimitException(Name, $"{Name} is rate limiting this key (HTTP 429) after {attempt + 1} attempts; try again later or check the plan's limits.{suffix}", retryAfter)
                        : new WebSearchServiceException(Name, (int)status, $"{Name} answered HTTP {(int)status} {status} after {attempt + 1} attempts.{suffix}");
                }

                var delay = retryAfter ?? Backoff(attempt);
                Logger.LogWarning("{Provider} answered HTTP {Status}; retrying in {Delay} (attempt {Attempt} of {Max}).", Name, (int)status, delay, attempt + 1, Options.MaxRetries);
                await Task.Delay(delay, Options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsStringAsync(timeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new WebSearchServiceException(Name, (int)response.StatusCode, $"{Name}'s answer could not be read completely: {ex.Message}", ex);
        }
    }

    private TimeSpan Backoff(int attempt) => TimeSpan.FromTicks(Math.Min(Options.MaxRetryDelay.Ticks, Options.InitialRetryDelay.Ticks * (1L << Math.Min(attempt, 20))));

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is { } retry)
        {
            if (retry.Delta is { } delta)
            {
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            }

            if (retry.Date is { } date)
            {
                var wait = date - Options.TimeProvider.GetUtcNow();
                return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
            }
        }

        // Brave reports its windows as "X-RateLimit-Reset: 1, 1419704" (seconds until the per-second and per-month
        // windows reset); on a 429 the shortest one that is exhausted matters, which the first value approximates.
        if (response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.TryGetValues("X-RateLimit-Reset", out var values))
        {
            var first = values.SelectMany(v => v.Split(',')).Select(v => v.Trim()).FirstOrDefault();
            if (int.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            {
                return TimeSpan.FromSeconds(seconds);
            }
        }

        return null;
    }

    private string ErrorDetail(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return string.Empty;
        }

        string? detail = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            detail = ReadErrorDetail(document.RootElement);
        }
        catch (JsonException)
        {
            // Not JSON (an HTML error page from a proxy): show a little of its text.
            detail = StripHtml(body);
        }

        detail = Spaces().Replace(detail ?? string.Empty, " ").Trim();
        if (!string.IsNullOrEmpty(Options.ApiKey))
        {
            // A service could echo the key back; it must never reach a message.
            detail = detail.Replace(Options.ApiKey, "***", StringComparison.Ordinal);
        }

        return detail.Length <= MaxErrorDetailLength ? detail : detail[..MaxErrorDetailLength] + "…";
    }

    private static string Describe(MediaTypeHeaderValue? contentType) => contentType?.MediaType is { } media ? "content type " + media : "no content type";

    [GeneratedRegex("<[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Spaces();
}
