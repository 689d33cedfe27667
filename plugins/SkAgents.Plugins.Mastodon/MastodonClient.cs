using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SkAgents.Plugins.Mastodon;

/// <summary>
/// A client for the Mastodon REST API: account lookup, paged statuses (<c>Link</c> header), instance limits, and
/// posting with an <c>Idempotency-Key</c> derived from the content, so a retry after a timeout or a dropped response
/// never posts twice. It respects <c>X-RateLimit-*</c> headers and 429 <c>Retry-After</c>, and turns Mastodon's
/// <c>{"error": …}</c> answers into <see cref="MastodonException"/>s that say what to fix. The token is never logged.
/// </summary>
public sealed partial class MastodonClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly MastodonClientOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private MastodonInstanceLimits? _limits;
    private int? _rateRemaining;
    private DateTimeOffset? _rateReset;

    /// <summary>Creates the client.</summary>
    /// <param name="options">The instance, token and limits.</param>
    /// <param name="httpClient">The HTTP client to use (not disposed); a new one when null.</param>
    /// <param name="logger">Logging; the token is never written.</param>
    public MastodonClient(MastodonClientOptions options, HttpClient? httpClient = null, ILogger<MastodonClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        BaseUrl = new Uri(options.Instance!.ToString().TrimEnd('/') + "/");
    }

    /// <summary>Gets the instance base URL.</summary>
    public Uri BaseUrl { get; }

    /// <summary>Gets the settings.</summary>
    internal MastodonClientOptions Options => _options;

    /// <summary>Gets whether an access token is configured.</summary>
    public bool HasAccessToken => !string.IsNullOrWhiteSpace(_options.AccessToken);

    /// <summary>Looks an account up by <c>user</c> or <c>user@domain</c> (a leading <c>@</c> is ignored).</summary>
    /// <param name="acct">The account name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The account.</returns>
    /// <exception cref="MastodonException">Not found (404) or another failure.</exception>
    public async Task<MastodonAccount> LookupAccountAsync(string acct, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(acct);
        var name = acct.Trim().TrimStart('@');
        var node = await SendAsync(HttpMethod.Get, "api/v1/accounts/lookup?acct=" + Uri.EscapeDataString(name), null, null, $"account '{name}'", cancellationToken).ConfigureAwait(false);
        return MastodonAccount.Parse(node.Body ?? throw Unexpected("api/v1/accounts/lookup"));
    }

    /// <summary>Gets one page of an account's statuses, newest first.</summary>
    /// <param name="accountId">The account id.</param>
    /// <param name="query">Page size (capped at 40), cursor and filters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page and the cursor of the next one.</returns>
    public async Task<MastodonStatusPage> GetStatusesAsync(string accountId, MastodonStatusQuery? query = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        query ??= new MastodonStatusQuery();
        var path = new StringBuilder("api/v1/accounts/").Append(Uri.EscapeDataString(accountId)).Append("/statuses?limit=")
            .Append(Math.Clamp(query.Limit, 1, 40).ToString(CultureInfo.InvariantCulture));
        if (query.ExcludeReplies)
        {
            path.Append("&exclude_replies=true");
        }

        if (query.ExcludeReblogs)
        {
            path.Append("&exclude_reblogs=true");
        }

        if (!string.IsNullOrEmpty(query.MaxId))
        {
            path.Append("&max_id=").Append(Uri.EscapeDataString(query.MaxId));
        }

        var result = await SendAsync(HttpMethod.Get, path.ToString(), null, null, $"the statuses of account {accountId}", cancellationToken).ConfigureAwait(false);
        if (result.Body is not JsonArray array)
        {
            throw Unexpected(path.ToString());
        }

        var statuses = array.Where(n => n is not null).Select(n => MastodonStatus.Parse(n!)).ToList();
        return new MastodonStatusPage(statuses, statuses.Count == 0 ? null : NextMaxId(result.Link));
    }

    /// <summary>Gets up to <paramref name="count"/> recent statuses, following the <c>Link</c> header past 40.</summary>
    /// <param name="accountId">The account id.</param>
    /// <param name="count">How many statuses at most.</param>
    /// <param name="excludeReplies">Leave out replies to other accounts.</param>
    /// <param name="excludeReblogs">Leave out boosts.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The statuses, newest first.</returns>
    public async Task<IReadOnlyList<MastodonStatus>> GetRecentStatusesAsync(string accountId, int count, bool excludeReplies = false, bool excludeReblogs = false, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var all = new List<MastodonStatus>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? maxId = null;
        while (all.Count < count)
        {
            var page = await GetStatusesAsync(accountId, new MastodonStatusQuery { Limit = Math.Min(40, count - all.Count), ExcludeReplies = excludeReplies, ExcludeReblogs = excludeReblogs, MaxId = maxId }, cancellationToken).ConfigureAwait(false);
            var added = page.Statuses.Where(s => seen.Add(s.Id)).ToList();
            all.AddRange(added);
            if (page.NextMaxId is null || added.Count == 0 || page.NextMaxId == maxId)
            {
                break;
            }

            maxId = page.NextMaxId;
        }

        return all.Count > count ? all[..count] : all;
    }

    /// <summary>Gets the instance's status limits (cached); vanilla limits when the instance predates <c>/api/v2/instance</c>.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The limits.</returns>
    public async Task<MastodonInstanceLimits> GetInstanceLimitsAsync(CancellationToken cancellationToken = default)
    {
        if (_limits is { } cached)
        {
            return cached;
        }

        MastodonInstanceLimits limits;
        try
        {
            var result = await SendAsync(HttpMethod.Get, "api/v2/instance", null, null, "the instance information", cancellationToken).ConfigureAwait(false);
            var statuses = result.Body?["configuration"]?["statuses"];
            limits = new MastodonInstanceLimits(
                Int(statuses, "max_characters") ?? MastodonInstanceLimits.Default.MaxCharacters,
                Int(statuses, "characters_reserved_per_url") ?? MastodonInstanceLimits.Default.CharactersReservedPerUrl,
                Int(statuses, "max_media_attachments") ?? MastodonInstanceLimits.Default.MaxMediaAttachments);
        }
        catch (MastodonException ex) when (ex.Kind == MastodonErrorKind.NotFound)
        {
            _logger.LogInformation("{Instance} has no /api/v2/instance (before Mastodon 4.0); using the default limits.", BaseUrl.Host);
            limits = MastodonInstanceLimits.Default;
        }

        _limits = limits;
        return limits;
    }

    /// <summary>Counts a status's characters with this instance's URL weight.</summary>
    /// <param name="text">The text.</param>
    /// <param name="spoilerText">The content warning.</param>
    /// <param name="cancellationToken">Cancels the instance call.</param>
    /// <returns>The count and the limit.</returns>
    public async Task<(int Count, int Limit)> CountAsync(string text, string? spoilerText = null, CancellationToken cancellationToken = default)
    {
        var limits = await GetInstanceLimitsAsync(cancellationToken).ConfigureAwait(false);
        return (MastodonCharacterCounter.Count(text, spoilerText, limits.CharactersReservedPerUrl), limits.MaxCharacters);
    }

    /// <summary>
    /// Derives the <c>Idempotency-Key</c> of a status from its content and options: the same status gets the same key,
    /// so the instance (which keeps keys for an hour) creates it once however often the request is sent.
    /// </summary>
    /// <param name="status">The status.</param>
    /// <returns>A hex key.</returns>
    public static string IdempotencyKey(MastodonNewStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var canonical = string.Join('\u001f', "skagents-status-v1", status.Status, status.Visibility ?? string.Empty, status.SpoilerText ?? string.Empty, status.Language ?? string.Empty, status.InReplyToId ?? string.Empty);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..40];
    }

    /// <summary>Posts a status (needs a token with <c>write:statuses</c>), retrying safely with its <c>Idempotency-Key</c>.</summary>
    /// <param name="status">The status.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The created status (or the one created earlier with the same key).</returns>
    /// <exception cref="MastodonException">Too long, no token, or the instance refused it.</exception>
    public async Task<MastodonStatus> PostStatusAsync(MastodonNewStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (string.IsNullOrWhiteSpace(status.Status))
        {
            throw new ArgumentException("The status text is empty.", nameof(status));
        }

        if (!HasAccessToken)
        {
            throw new MastodonException(
                $"Posting to {BaseUrl.Host} needs an access token with the write:statuses scope: set SkAgents:Plugins:Mastodon:AccessToken (or MASTODON_TOKEN).",
                MastodonErrorKind.Unauthorized, null, null);
        }

        var (count, limit) = await CountAsync(status.Status, status.SpoilerText, cancellationToken).ConfigureAwait(false);
        if (count > limit)
        {
            throw new MastodonException($"The status has {count} characters; {BaseUrl.Host} allows {limit} (text and content warning together, URLs count as 23). Shorten it by {count - limit}.", MastodonErrorKind.TooLong, null, null);
        }

        var body = new JsonObject { ["status"] = status.Status };
        if (!string.IsNullOrEmpty(status.Visibility))
        {
            body["visibility"] = status.Visibility;
        }

        if (!string.IsNullOrEmpty(status.SpoilerText))
        {
            body["spoiler_text"] = status.SpoilerText;
        }

        if (!string.IsNullOrEmpty(status.Language))
        {
            body["language"] = status.Language;
        }

        if (!string.IsNullOrEmpty(status.InReplyToId))
        {
            body["in_reply_to_id"] = status.InReplyToId;
        }

        var key = IdempotencyKey(status);
        var result = await SendAsync(HttpMethod.Post, "api/v1/statuses", body, key, "a new status", cancellationToken).ConfigureAwait(false);
        return MastodonStatus.Parse(result.Body ?? throw Unexpected("api/v1/statuses"));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private static int? Int(JsonNode? node, string name) =>
        node?[name] is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;

    private MastodonException Unexpected(string path) =>
        new($"{BaseUrl.Host} answered {path} with an unexpected body (is {BaseUrl} a Mastodon instance?).", MastodonErrorKind.Other, null, null);

    private static string? NextMaxId(string? link)
    {
        if (string.IsNullOrEmpty(link))
        {
            return null;
        }

        foreach (Match m in LinkPart().Matches(link))
        {
            if (m.Groups["rel"].Value.Split(' ').Contains("next", StringComparer.OrdinalIgnoreCase))
            {
                var target = m.Groups["url"].Value;
                var query = target.Contains('?', StringComparison.Ordinal) ? target[(target.IndexOf('?', StringComparison.Ordinal) + 1)..] : string.Empty;
                foreach (var pair in query.Split('&'))
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq > 0 && Uri.UnescapeDataString(pair[..eq]) == "max_id")
                    {
                        return Uri.UnescapeDataString(pair[(eq + 1)..]);
                    }
                }
            }
        }

        return null;
    }

    [GeneratedRegex(@"<(?<url>[^>]*)>\s*;\s*rel=""?(?<rel>[^"";,]+)""?")]
    private static partial Regex LinkPart();

    private sealed record Reply(JsonNode? Body, string? Link);

    private async Task<Reply> SendAsync(HttpMethod method, string path, JsonObject? body, string? idempotencyKey, string what, CancellationToken cancellationToken)
    {
        var isWrite = method != HttpMethod.Get;
        var canRetry = !isWrite || idempotencyKey is not null;
        var url = new Uri(BaseUrl, path);
        var shown = $"{method} {url.GetLeftPart(UriPartial.Path)}";
        for (var attempt = 0; ; attempt++)
        {
            await WaitForRateLimitAsync(shown, cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(method, url);
            request.Headers.UserAgent.ParseAdd(_options.UserAgent);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (HasAccessToken)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.AccessToken);
            }

            if (idempotencyKey is not null)
            {
                request.Headers.Add("Idempotency-Key", idempotencyKey);
            }

            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            }

            HttpResponseMessage response;
            string text;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Timeout);
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var reason = ex is OperationCanceledException ? $"did not answer within {_options.Timeout.TotalSeconds:0.#} s" : $"could not be reached ({ex.Message})";
                if (canRetry && attempt < _options.MaxRetries)
                {
                    _logger.LogWarning("{Request} {Reason}; retrying{Key} (attempt {Attempt}).", shown, reason, idempotencyKey is null ? string.Empty : " with the same Idempotency-Key", attempt + 2);
                    await Task.Delay(Backoff(attempt), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var tail = isWrite && idempotencyKey is not null
                    ? " The status may or may not have been posted; sending it again within an hour is safe (same Idempotency-Key)."
                    : string.Empty;
                throw new MastodonException($"{shown} {reason}.{tail}", MastodonErrorKind.Network, null, null, ex);
            }

            using (response)
            {
                RecordRateLimit(response);
                if (response.IsSuccessStatusCode)
                {
                    var link = response.Headers.TryGetValues("Link", out var links) ? string.Join(", ", links) : null;
                    try
                    {
                        return new Reply(string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text), link);
                    }
                    catch (System.Text.Json.JsonException ex)
                    {
                        throw new MastodonException($"{shown} answered with a body that is not JSON (is {BaseUrl} a Mastodon instance?).", MastodonErrorKind.Other, response.StatusCode, null, ex);
                    }
                }

                var serverError = ErrorText(text);
                var status = (int)response.StatusCode;
                if (status == 429)
                {
                    var wait = RetryWait(response);
                    if (attempt < _options.MaxRetries && wait <= _options.MaxRetryWait)
                    {
                        _logger.LogWarning("{Request} was rate limited; waiting {Wait} before retrying.", shown, wait);
                        await Task.Delay(wait, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    throw new MastodonException(
                        $"{BaseUrl.Host} rate-limited {shown} (429{(serverError is null ? string.Empty : ": " + serverError)}); it asks to wait {wait.TotalSeconds:0} s. Mastodon allows 300 requests per 5 minutes; try again later.",
                        MastodonErrorKind.RateLimited, response.StatusCode, serverError);
                }

                if (status >= 500 && canRetry && attempt < _options.MaxRetries)
                {
                    _logger.LogWarning("{Request} failed with {Status}; retrying.", shown, status);
                    await Task.Delay(Backoff(attempt), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                throw Error(response.StatusCode, serverError, shown, what, isWrite);
            }
        }
    }

    private MastodonException Error(HttpStatusCode code, string? serverError, string shown, string what, bool isWrite)
    {
        var said = serverError is null ? string.Empty : $" (\"{serverError}\")";
        var host = BaseUrl.Host;
        return (int)code switch
        {
            401 => new MastodonException(
                HasAccessToken
                    ? $"{host} rejected the access token for {shown}{said}: it is invalid or revoked. Create a new one under Preferences → Development and set SkAgents:Plugins:Mastodon:AccessToken (or MASTODON_TOKEN)."
                    : $"{host} requires an authenticated user for {shown}{said}. Set SkAgents:Plugins:Mastodon:AccessToken (or MASTODON_TOKEN) to a token with the read scope{(isWrite ? " and write:statuses" : string.Empty)}.",
                MastodonErrorKind.Unauthorized, code, serverError),
            403 => new MastodonException(
                isWrite
                    ? $"{host} refused {shown}{said}: the access token lacks the write:statuses scope, or the account may not post. Create a token with write:statuses and set SkAgents:Plugins:Mastodon:AccessToken."
                    : $"{host} refused {shown}{said}: the token lacks the read scope or the account is not visible to it.",
                MastodonErrorKind.Forbidden, code, serverError),
            404 => new MastodonException($"{host} has no {what} ({shown} answered 404{said}). Check the name; accounts are written user@instance.", MastodonErrorKind.NotFound, code, serverError),
            422 => new MastodonException($"{host} refused {what}{said}. Fix the content and try again.", MastodonErrorKind.Validation, code, serverError),
            _ => new MastodonException($"{shown} failed with HTTP {(int)code}{said}.", MastodonErrorKind.Other, code, serverError),
        };
    }

    private static string? ErrorText(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            var node = JsonNode.Parse(text);
            var error = MastodonAccount.Str(node, "error");
            var description = MastodonAccount.Str(node, "error_description");
            return error is null ? description : description is null ? error : $"{error}: {description}";
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(Math.Pow(2, attempt));

    private TimeSpan RetryWait(HttpResponseMessage response)
    {
        var now = _options.TimeProvider.GetUtcNow();
        if (response.Headers.RetryAfter is { } retry)
        {
            if (retry.Delta is { } delta)
            {
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            }

            if (retry.Date is { } date)
            {
                return date > now ? date - now : TimeSpan.Zero;
            }
        }

        if (ResetTime(response) is { } reset)
        {
            return reset > now ? reset - now : TimeSpan.Zero;
        }

        return TimeSpan.FromSeconds(5);
    }

    private static DateTimeOffset? ResetTime(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-RateLimit-Reset", out var values)
        && DateTimeOffset.TryParse(values.FirstOrDefault(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var reset)
            ? reset
            : null;

    private void RecordRateLimit(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("X-RateLimit-Remaining", out var values)
            && int.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var remaining))
        {
            lock (_gate)
            {
                _rateRemaining = remaining;
                _rateReset = ResetTime(response);
            }
        }
    }

    private async Task WaitForRateLimitAsync(string shown, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_gate)
        {
            if (_rateRemaining is not <= 0 || _rateReset is not { } reset)
            {
                return;
            }

            wait = reset - _options.TimeProvider.GetUtcNow();
            _rateRemaining = null;
        }

        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        if (wait > _options.MaxRetryWait)
        {
            throw new MastodonException($"The rate limit of {BaseUrl.Host} is used up until {_options.TimeProvider.GetUtcNow().Add(wait):u}; {shown} was not sent. Try again later.", MastodonErrorKind.RateLimited, null, null);
        }

        _logger.LogInformation("The rate limit of {Instance} is used up; waiting {Wait} before {Request}.", BaseUrl.Host, wait, shown);
        await Task.Delay(wait, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
    }
}
