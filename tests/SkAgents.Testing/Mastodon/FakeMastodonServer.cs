using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SkAgents.Testing.Mastodon;

/// <summary>One request the fake Mastodon server received.</summary>
/// <param name="Method">GET or POST.</param>
/// <param name="Path">The path.</param>
/// <param name="Query">The query string with its <c>?</c>.</param>
/// <param name="Headers">The headers.</param>
/// <param name="Body">The raw body.</param>
public sealed record MastodonRecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>A scripted failure for the next request whose method matches and whose path contains the text.</summary>
/// <param name="Method">The method to match.</param>
/// <param name="PathContains">Text the path must contain.</param>
/// <param name="Status">The HTTP status to answer (ignored with <paramref name="ProcessThenDrop"/>).</param>
/// <param name="Error">Mastodon's <c>error</c> text.</param>
/// <param name="RetryAfterSeconds">A <c>Retry-After</c> header.</param>
/// <param name="RateLimitResetSeconds">An <c>X-RateLimit-Reset</c> this many seconds after the server's clock, with remaining 0.</param>
/// <param name="ProcessThenDrop">Process the request (create the status), then abort the connection before answering.</param>
public sealed record MastodonFault(string Method, string PathContains, int Status = 500, string Error = "", int? RetryAfterSeconds = null, int? RateLimitResetSeconds = null, bool ProcessThenDrop = false);

/// <summary>A token the fake server accepts, with its OAuth scopes.</summary>
/// <param name="Token">The token.</param>
/// <param name="AccountId">The account it acts as.</param>
/// <param name="Scopes">Its scopes, e.g. <c>read write:statuses</c>.</param>
public sealed record MastodonFakeToken(string Token, string AccountId, string Scopes);

/// <summary>
/// A Mastodon-faithful API server on 127.0.0.1 for tests: <c>/api/v1/accounts/lookup</c>, account statuses (newest
/// first, <c>limit</c> default 20 max 40, <c>max_id</c>/<c>since_id</c>/<c>min_id</c>, <c>exclude_replies</c>,
/// <c>exclude_reblogs</c>, RFC 8288 <c>Link</c> headers), <c>/api/v2/instance</c>, and <c>POST /api/v1/statuses</c>
/// (Bearer token with <c>write:statuses</c>, JSON or form body, Mastodon's length rule, 422 messages, and
/// <c>Idempotency-Key</c> kept for one hour per token). It sends <c>X-RateLimit-*</c> headers (300 per 5 minutes),
/// Mastodon's <c>{"error": …}</c> bodies, and scripted faults. Its clock is the given <see cref="TimeProvider"/>.
/// </summary>
public sealed class FakeMastodonServer : IAsyncDisposable
{
    /// <summary>A token with <c>read write</c> scopes for the owner account.</summary>
    public const string WriteToken = "fake-mastodon-write-token-7c41e9";

    /// <summary>A token with <c>read</c> scope only.</summary>
    public const string ReadOnlyToken = "fake-mastodon-read-token-22b0d1";

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<MastodonRecordedRequest> _requests = [];
    private readonly List<MastodonFault> _faults = [];
    private readonly List<JsonObject> _accounts = [];
    private readonly List<JsonObject> _statuses = [];
    private readonly Dictionary<string, MastodonFakeToken> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTimeOffset At, JsonObject Status)> _idempotency = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private long _nextId = 109_876_543_210_000;
    private int _rateRemaining = 300;
    private DateTimeOffset _rateWindowEnd;

    private FakeMastodonServer(WebApplication app, Uri root, TimeProvider time)
    {
        _app = app;
        BaseUrl = root;
        Domain = root.Authority;
        _time = time;
        _rateWindowEnd = time.GetUtcNow().AddMinutes(5);
        OwnerId = AddAccount("owner", "The Owner");
        _tokens[WriteToken] = new MastodonFakeToken(WriteToken, OwnerId, "read write");
        _tokens[ReadOnlyToken] = new MastodonFakeToken(ReadOnlyToken, OwnerId, "read");
    }

    /// <summary>Gets the instance base URL, e.g. <c>http://127.0.0.1:5123/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>Gets the local domain (host and port), as in <c>user@127.0.0.1:5123</c>.</summary>
    public string Domain { get; }

    /// <summary>Gets the id of the account the tokens post as.</summary>
    public string OwnerId { get; }

    /// <summary>Gets or sets <c>configuration.statuses.max_characters</c>.</summary>
    public int MaxCharacters { get; set; } = 500;

    /// <summary>Gets or sets whether anonymous reads are refused (secure / whitelist mode: 401).</summary>
    public bool RequireAuthForReads { get; set; }

    /// <summary>Gets a snapshot of every request.</summary>
    public IReadOnlyList<MastodonRecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Gets the statuses created through <c>POST /api/v1/statuses</c>, oldest first.</summary>
    public IReadOnlyList<JsonObject> CreatedStatuses
    {
        get
        {
            lock (_gate)
            {
                return [.. _statuses.Where(s => s["_created_by_api"] is not null).Select(s => (JsonObject)s.DeepClone())];
            }
        }
    }

    /// <summary>Starts the server on 127.0.0.1 with an ephemeral port.</summary>
    /// <param name="time">The server's clock (idempotency window, rate-limit reset); the system clock when null.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <returns>The running server.</returns>
    public static async Task<FakeMastodonServer> StartAsync(TimeProvider? time = null, CancellationToken ct = default)
    {
        FakeMastodonServer? server = null;
        var (app, roots) = await LoopbackKestrel.StartAsync(_ => context => server!.HandleAsync(context), cancellationToken: ct).ConfigureAwait(false);
        server = new FakeMastodonServer(app, roots[0], time ?? TimeProvider.System);
        return server;
    }

    /// <summary>Adds a local account.</summary>
    /// <param name="username">The username.</param>
    /// <param name="displayName">The display name.</param>
    /// <returns>Its id.</returns>
    public string AddAccount(string username, string? displayName = null)
    {
        lock (_gate)
        {
            var id = NextId();
            _accounts.Add(new JsonObject
            {
                ["id"] = id,
                ["username"] = username,
                ["acct"] = username,
                ["display_name"] = displayName ?? username,
                ["locked"] = false,
                ["bot"] = false,
                ["created_at"] = "2022-11-01T00:00:00.000Z",
                ["note"] = string.Empty,
                ["url"] = new Uri(BaseUrl, "@" + username).ToString(),
                ["followers_count"] = 0,
                ["following_count"] = 0,
                ["statuses_count"] = 0,
            });
            return id;
        }
    }

    /// <summary>Adds a status by an account (newer than every status added before).</summary>
    /// <param name="accountId">The author.</param>
    /// <param name="html">The sanitized HTML content.</param>
    /// <param name="language">The language code.</param>
    /// <param name="inReplyToAccountId">For a reply, the account replied to.</param>
    /// <param name="spoilerText">A content warning.</param>
    /// <returns>The status id.</returns>
    public string AddStatus(string accountId, string html, string? language = "en", string? inReplyToAccountId = null, string spoilerText = "")
    {
        lock (_gate)
        {
            var status = NewStatus(accountId, html, spoilerText, "public", language, inReplyToAccountId is null ? null : NextId(), inReplyToAccountId);
            _statuses.Add(status);
            return status["id"]!.GetValue<string>();
        }
    }

    /// <summary>Adds a boost: a status by <paramref name="accountId"/> with empty content whose <c>reblog</c> is the original.</summary>
    /// <param name="accountId">The booster.</param>
    /// <param name="originalId">The boosted status.</param>
    /// <returns>The boost's id.</returns>
    public string AddBoost(string accountId, string originalId)
    {
        lock (_gate)
        {
            var original = _statuses.Single(s => s["id"]!.GetValue<string>() == originalId);
            var boost = NewStatus(accountId, string.Empty, string.Empty, "public", null, null, null);
            boost["reblog"] = Public(original);
            _statuses.Add(boost);
            return boost["id"]!.GetValue<string>();
        }
    }

    /// <summary>Queues a failure.</summary>
    /// <param name="fault">The failure.</param>
    public void EnqueueFault(MastodonFault fault)
    {
        lock (_gate)
        {
            _faults.Add(fault);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Connections are dropped.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ request handling

    private sealed record Reply(int Status, JsonNode Body, string? Link = null, int? RetryAfter = null, DateTimeOffset? RateReset = null, bool Drop = false);

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var path = request.Path.Value ?? "/";
        Reply reply;
        int remaining;
        DateTimeOffset reset;
        lock (_gate)
        {
            _requests.Add(new MastodonRecordedRequest(request.Method, path, request.QueryString.Value ?? string.Empty, headers, body));
            var now = _time.GetUtcNow();
            if (now >= _rateWindowEnd)
            {
                _rateRemaining = 300;
                _rateWindowEnd = now.AddMinutes(5);
            }

            _rateRemaining = Math.Max(0, _rateRemaining - 1);
            var fault = _faults.FirstOrDefault(f => string.Equals(f.Method, request.Method, StringComparison.OrdinalIgnoreCase) && path.Contains(f.PathContains, StringComparison.Ordinal));
            if (fault is not null)
            {
                _faults.Remove(fault);
            }

            if (fault is { ProcessThenDrop: false })
            {
                reply = new Reply(fault.Status, Err(fault.Error), null, fault.RetryAfterSeconds, fault.RateLimitResetSeconds is { } s ? now.AddSeconds(s) : null);
            }
            else
            {
                reply = Route(request.Method, path, request.Query, headers, body, request.ContentType);
                if (fault is { ProcessThenDrop: true })
                {
                    reply = reply with { Drop = true };
                }
            }

            remaining = reply.RateReset is null ? _rateRemaining : 0;
            reset = reply.RateReset ?? _rateWindowEnd;
        }

        if (reply.Drop)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = reply.Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers["X-RateLimit-Limit"] = "300";
        context.Response.Headers["X-RateLimit-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["X-RateLimit-Reset"] = reset.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        context.Response.Headers["X-Request-Id"] = Guid.NewGuid().ToString();
        if (reply.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        if (reply.Link is not null)
        {
            context.Response.Headers["Link"] = reply.Link;
        }

        await context.Response.WriteAsync(reply.Body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    private Reply Route(string method, string path, IQueryCollection query, Dictionary<string, string> headers, string body, string? contentType)
    {
        MastodonFakeToken? token = null;
        if (headers.TryGetValue("Authorization", out var auth))
        {
            if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !_tokens.TryGetValue(auth["Bearer ".Length..], out token))
            {
                return new Reply(401, Err("The access token is invalid"));
            }
        }

        if (method == "GET" && path == "/api/v2/instance")
        {
            return new Reply(200, Instance());
        }

        if (method == "GET" && RequireAuthForReads && token is null)
        {
            return new Reply(401, Err("This API requires an authenticated user"));
        }

        if (method == "GET" && path == "/api/v1/accounts/lookup")
        {
            var acct = query["acct"].ToString().TrimStart('@');
            var at = acct.IndexOf('@', StringComparison.Ordinal);
            var user = at < 0 ? acct : acct[..at];
            var domain = at < 0 ? null : acct[(at + 1)..];
            var account = domain is not null && !string.Equals(domain, Domain, StringComparison.OrdinalIgnoreCase)
                ? null
                : _accounts.FirstOrDefault(a => string.Equals(a["username"]!.GetValue<string>(), user, StringComparison.OrdinalIgnoreCase));
            return account is null ? new Reply(404, Err("Record not found")) : new Reply(200, account.DeepClone());
        }

        var statusesMatch = Regex.Match(path, "^/api/v1/accounts/([^/]+)/statuses$");
        if (method == "GET" && statusesMatch.Success)
        {
            return Statuses(statusesMatch.Groups[1].Value, query);
        }

        if (method == "POST" && path == "/api/v1/statuses")
        {
            return Post(token, headers, body, contentType);
        }

        return new Reply(404, Err("Record not found"));
    }

    private Reply Statuses(string accountId, IQueryCollection query)
    {
        if (!_accounts.Any(a => a["id"]!.GetValue<string>() == accountId))
        {
            return new Reply(404, Err("Record not found"));
        }

        var limit = int.TryParse(query["limit"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, 40) : 20;
        var excludeReplies = IsTrue(query["exclude_replies"]);
        var excludeReblogs = IsTrue(query["exclude_reblogs"]);
        var maxId = query["max_id"].ToString();
        var sinceId = query["since_id"].ToString();
        var minId = query["min_id"].ToString();
        IEnumerable<JsonObject> items = _statuses.Where(s => s["account"]!["id"]!.GetValue<string>() == accountId && s["visibility"]!.GetValue<string>() is "public" or "unlisted");
        if (excludeReplies)
        {
            // Mastodon keeps self-replies (threads) and drops replies to other accounts.
            items = items.Where(s => s["in_reply_to_account_id"] is null || s["in_reply_to_account_id"]!.GetValue<string>() == accountId);
        }

        if (excludeReblogs)
        {
            items = items.Where(s => s["reblog"] is null);
        }

        if (maxId.Length > 0)
        {
            items = items.Where(s => CompareIds(s["id"]!.GetValue<string>(), maxId) < 0);
        }

        if (sinceId.Length > 0)
        {
            items = items.Where(s => CompareIds(s["id"]!.GetValue<string>(), sinceId) > 0);
        }

        List<JsonObject> page;
        if (minId.Length > 0)
        {
            page = [.. items.Where(s => CompareIds(s["id"]!.GetValue<string>(), minId) > 0).OrderBy(s => s["id"]!.GetValue<string>(), IdComparer.Instance).Take(limit).Reverse()];
        }
        else
        {
            page = [.. items.OrderByDescending(s => s["id"]!.GetValue<string>(), IdComparer.Instance).Take(limit)];
        }

        string? link = null;
        if (page.Count > 0)
        {
            var basePath = new Uri(BaseUrl, $"api/v1/accounts/{accountId}/statuses").ToString();
            var extra = (excludeReplies ? "&exclude_replies=true" : string.Empty) + (excludeReblogs ? "&exclude_reblogs=true" : string.Empty);
            var parts = new List<string>();
            if (page.Count == limit)
            {
                parts.Add($"<{basePath}?limit={limit}{extra}&max_id={page[^1]["id"]!.GetValue<string>()}>; rel=\"next\"");
            }

            parts.Add($"<{basePath}?limit={limit}{extra}&min_id={page[0]["id"]!.GetValue<string>()}>; rel=\"prev\"");
            link = string.Join(", ", parts);
        }

        return new Reply(200, new JsonArray([.. page.Select(Public)]), link);
    }

    private Reply Post(MastodonFakeToken? token, Dictionary<string, string> headers, string body, string? contentType)
    {
        if (token is null)
        {
            return new Reply(401, Err("The access token is invalid"));
        }

        var scopes = token.Scopes.Split(' ');
        if (!scopes.Contains("write") && !scopes.Contains("write:statuses"))
        {
            return new Reply(403, Err("This action is outside the authorized scopes"));
        }

        var now = _time.GetUtcNow();
        var key = headers.TryGetValue("Idempotency-Key", out var k) && k.Length > 0 ? token.Token + "\n" + k : null;
        if (key is not null && _idempotency.TryGetValue(key, out var seen) && now - seen.At < TimeSpan.FromHours(1))
        {
            return new Reply(200, Public(seen.Status));
        }

        Dictionary<string, string?> form;
        if (contentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            JsonNode? json;
            try
            {
                json = JsonNode.Parse(body);
            }
            catch (JsonException)
            {
                return new Reply(400, Err("Error occurred while parsing request parameters."));
            }

            form = json is JsonObject o ? o.ToDictionary(p => p.Key, p => p.Value is JsonValue v ? v.ToString() : p.Value?.ToJsonString(), StringComparer.Ordinal) : [];
        }
        else
        {
            form = body.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
                .ToDictionary(p => Uri.UnescapeDataString(p[0].Replace('+', ' ')), p => (string?)(p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : string.Empty), StringComparer.Ordinal);
        }

        var text = form.GetValueOrDefault("status") ?? string.Empty;
        var spoiler = form.GetValueOrDefault("spoiler_text") ?? string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            return new Reply(422, Err("Validation failed: Text can't be blank"));
        }

        if (CountCharacters(text, spoiler) > MaxCharacters)
        {
            return new Reply(422, Err($"Validation failed: Text character limit of {MaxCharacters} exceeded"));
        }

        var visibility = form.GetValueOrDefault("visibility") ?? "public";
        if (visibility is not ("public" or "unlisted" or "private" or "direct"))
        {
            return new Reply(422, Err("Validation failed: Visibility is not included in the list"));
        }

        var inReplyTo = form.GetValueOrDefault("in_reply_to_id");
        string? inReplyToAccount = null;
        if (!string.IsNullOrEmpty(inReplyTo))
        {
            var parent = _statuses.FirstOrDefault(s => s["id"]!.GetValue<string>() == inReplyTo);
            if (parent is null)
            {
                return new Reply(404, Err("Record not found"));
            }

            inReplyToAccount = parent["account"]!["id"]!.GetValue<string>();
        }

        var html = string.Join(string.Empty, text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n").Select(p => "<p>" + Escape(p).Replace("\n", "<br />", StringComparison.Ordinal) + "</p>"));
        var status = NewStatus(token.AccountId, html, spoiler, visibility, form.GetValueOrDefault("language"), string.IsNullOrEmpty(inReplyTo) ? null : inReplyTo, inReplyToAccount);
        status["_created_by_api"] = true;
        status["_idempotency_key"] = headers.GetValueOrDefault("Idempotency-Key");
        _statuses.Add(status);
        if (key is not null)
        {
            _idempotency[key] = (now, status);
        }

        return new Reply(200, Public(status));
    }

    private JsonObject NewStatus(string accountId, string html, string spoiler, string visibility, string? language, string? inReplyToId, string? inReplyToAccountId)
    {
        var id = NextId();
        var account = _accounts.Single(a => a["id"]!.GetValue<string>() == accountId);
        return new JsonObject
        {
            ["id"] = id,
            ["created_at"] = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["in_reply_to_id"] = inReplyToId,
            ["in_reply_to_account_id"] = inReplyToAccountId,
            ["sensitive"] = spoiler.Length > 0,
            ["spoiler_text"] = spoiler,
            ["visibility"] = visibility,
            ["language"] = language,
            ["uri"] = new Uri(BaseUrl, $"users/{account["username"]}/statuses/{id}").ToString(),
            ["url"] = new Uri(BaseUrl, $"@{account["username"]}/{id}").ToString(),
            ["replies_count"] = 0,
            ["reblogs_count"] = 0,
            ["favourites_count"] = 0,
            ["content"] = html,
            ["reblog"] = null,
            ["account"] = account.DeepClone(),
            ["media_attachments"] = new JsonArray(),
            ["mentions"] = new JsonArray(),
            ["tags"] = new JsonArray(),
            ["emojis"] = new JsonArray(),
            ["card"] = null,
            ["poll"] = null,
        };
    }

    private static JsonObject Public(JsonObject status)
    {
        var copy = (JsonObject)status.DeepClone();
        copy.Remove("_created_by_api");
        copy.Remove("_idempotency_key");
        return copy;
    }

    private JsonObject Instance() => new()
    {
        ["domain"] = Domain,
        ["title"] = "Fake Mastodon",
        ["version"] = "4.4.0",
        ["source_url"] = "https://github.com/mastodon/mastodon",
        ["configuration"] = new JsonObject
        {
            ["urls"] = new JsonObject { ["streaming"] = "ws://" + Domain },
            ["accounts"] = new JsonObject { ["max_featured_tags"] = 10 },
            ["statuses"] = new JsonObject { ["max_characters"] = MaxCharacters, ["max_media_attachments"] = 4, ["characters_reserved_per_url"] = 23 },
        },
        ["registrations"] = new JsonObject { ["enabled"] = false, ["approval_required"] = false },
    };

    private string NextId() => (++_nextId).ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("\"", "&quot;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);

    private static JsonObject Err(string error) => new() { ["error"] = error };

    private static bool IsTrue(string? value) => value is "true" or "1" or "True";

    /// <summary>Mastodon's id order: shorter ids are older; equal lengths compare as text.</summary>
    private static int CompareIds(string a, string b) => IdComparer.Instance.Compare(a, b);

    /// <summary>Counts like Mastodon's StatusLengthValidator: graphemes of text + spoiler, URLs as 23, remote mentions as their local part.</summary>
    private static int CountCharacters(string text, string spoiler)
    {
        var countable = Regex.Replace(text, @"https?://[^\s<>""]+", m => new string('x', 23), RegexOptions.IgnoreCase);
        countable = Regex.Replace(countable, @"(?<=^|[^/\w])@([a-z0-9_]+)@[a-z0-9\.\-:]+[a-z0-9]", "@$1", RegexOptions.IgnoreCase);
        return new StringInfo(countable).LengthInTextElements + new StringInfo(spoiler).LengthInTextElements;
    }

    private sealed class IdComparer : IComparer<string>
    {
        public static IdComparer Instance { get; } = new();

        public int Compare(string? x, string? y)
        {
            var lengths = (x?.Length ?? 0).CompareTo(y?.Length ?? 0);
            return lengths != 0 ? lengths : string.CompareOrdinal(x, y);
        }
    }
}
