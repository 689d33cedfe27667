using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SkAgents.Plugins.Web.Search;
using SkAgents.Testing;

namespace SkAgents.Plugins.Web.Tests;

/// <summary>A document the fake search engine knows.</summary>
public sealed record FakeDocument(string Title, string Url, string Text);

/// <summary>A request the fake search server received.</summary>
public sealed record FakeSearchRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>Gets a query-string parameter.</summary>
    public string? QueryParameter(string name)
    {
        var parsed = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Query);
        return parsed.TryGetValue(name, out var value) ? value.ToString() : null;
    }

    /// <summary>Gets a header.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>A canned failure answered before the normal handling of the next request.</summary>
public sealed record FakeFault(int Status, string ContentType, string Body, IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>
/// A protocol-faithful search service on 127.0.0.1 (Kestrel, ephemeral port), one provider per instance:
/// <list type="bullet">
/// <item>Brave: <c>GET /res/v1/web/search?q=&amp;count=</c>, <c>X-Subscription-Token</c> required (401
/// <c>SUBSCRIPTION_TOKEN_INVALID</c> in Brave's <c>ErrorResponse</c> envelope), <c>count</c> 1–20 and <c>q</c> ≤ 400
/// characters (422 otherwise), <c>web.results[]</c> with <c>&lt;strong&gt;</c> highlights, <c>web</c> left out when nothing
/// matches, rate-limit headers.</item>
/// <item>Tavily: <c>POST /search</c> with a JSON body (<c>query</c> required, <c>max_results</c> 0–20),
/// <c>Authorization: Bearer</c> required (401 <c>{"detail":{"error":…}}</c>), <c>results[]</c> with content and score.</item>
/// <item>SearXNG: <c>GET /search?q=&amp;format=json</c>; 403 when the JSON format is disabled (as settings.yml does by
/// default), HTML when no format is given; <c>results[]</c> with engine, engines, score, category.</item>
/// </list>
/// Documents match when they share a word with the query and are ranked by how many query words they contain.
/// </summary>
public sealed class FakeSearchServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<FakeSearchRequest> _requests = [];
    private readonly Queue<FakeFault> _faults = new();

    private FakeSearchServer(WebSearchProviderKind kind, WebApplication app, string? apiKey)
    {
        Kind = kind;
        _app = app;
        ApiKey = apiKey;
    }

    /// <summary>Gets which provider this server imitates.</summary>
    public WebSearchProviderKind Kind { get; }

    /// <summary>Gets the key the server requires (Brave, Tavily).</summary>
    public string? ApiKey { get; }

    /// <summary>Gets the server root, e.g. <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri RootUri { get; private set; } = null!;

    /// <summary>Gets the documents the engine searches.</summary>
    public List<FakeDocument> Documents { get; } = [];

    /// <summary>Gets or sets whether SearXNG's JSON format is enabled in its settings.yml.</summary>
    public bool JsonFormatEnabled { get; set; } = true;

    /// <summary>Gets the requests received so far.</summary>
    public IReadOnlyList<FakeSearchRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Starts a server.</summary>
    public static async Task<FakeSearchServer> StartAsync(WebSearchProviderKind kind, string? apiKey = null)
    {
        FakeSearchServer? server = null;
        var (_, roots) = await LoopbackKestrel.StartAsync(app => (server = new FakeSearchServer(kind, app, apiKey)).HandleAsync);
        server!.RootUri = roots[0];
        return server;
    }

    /// <summary>Queues a failure for the next request.</summary>
    public void EnqueueFault(FakeFault fault)
    {
        lock (_gate)
        {
            _faults.Enqueue(fault);
        }
    }

    /// <summary>Brave's 429 (rate limited) with its headers.</summary>
    public static FakeFault BraveRateLimited(int retryAfterSeconds) => new(429, "application/json",
        """{"type":"ErrorResponse","error":{"id":"6b3a","status":429,"code":"RATE_LIMITED","detail":"Request rate limit exceeded for plan.","meta":{"plan":"Free","rate_limit":1,"rate_current":2}},"time":1732262400}""",
        new Dictionary<string, string>
        {
            ["Retry-After"] = retryAfterSeconds.ToString(CultureInfo.InvariantCulture),
            ["X-RateLimit-Limit"] = "1, 2000",
            ["X-RateLimit-Remaining"] = "0, 1990",
            ["X-RateLimit-Reset"] = $"{retryAfterSeconds}, 1419704",
        });

    /// <summary>A 5xx answer.</summary>
    public static FakeFault ServerError(int status = 503) => new(status, "text/html", "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var recorded = new FakeSearchRequest(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.QueryString.Value ?? string.Empty, headers, body);
        FakeFault? fault = null;
        lock (_gate)
        {
            _requests.Add(recorded);
            _faults.TryDequeue(out fault);
        }

        if (fault is not null)
        {
            foreach (var (name, value) in fault.Headers ?? new Dictionary<string, string>())
            {
                context.Response.Headers[name] = value;
            }

            await WriteAsync(context, fault.Status, fault.ContentType, fault.Body);
            return;
        }

        switch (Kind)
        {
            case WebSearchProviderKind.Brave:
                await BraveAsync(context, recorded);
                break;
            case WebSearchProviderKind.Tavily:
                await TavilyAsync(context, recorded);
                break;
            default:
                await SearXngAsync(context, recorded);
                break;
        }
    }

    private async Task BraveAsync(HttpContext context, FakeSearchRequest request)
    {
        if (request.Method != "GET" || request.Path != "/res/v1/web/search")
        {
            await WriteAsync(context, 404, "application/json", BraveError(404, "RESOURCE_NOT_FOUND", "Resource not found."));
            return;
        }

        if (request.Header("X-Subscription-Token") != ApiKey)
        {
            await WriteAsync(context, 401, "application/json", BraveError(401, "SUBSCRIPTION_TOKEN_INVALID", "The provided subscription token is invalid."));
            return;
        }

        var q = request.QueryParameter("q");
        var countText = request.QueryParameter("count") ?? "10";
        if (string.IsNullOrWhiteSpace(q) || q.Length > 400 || !int.TryParse(countText, CultureInfo.InvariantCulture, out var count) || count is < 1 or > 20)
        {
            await WriteAsync(context, 422, "application/json", BraveError(422, "VALIDATION", "Unable to validate request parameter(s)."));
            return;
        }

        context.Response.Headers["X-RateLimit-Limit"] = "1, 2000";
        context.Response.Headers["X-RateLimit-Policy"] = "1;w=1, 2000;w=2592000";
        context.Response.Headers["X-RateLimit-Remaining"] = "0, 1999";
        context.Response.Headers["X-RateLimit-Reset"] = "1, 1419704";
        var matches = Match(q).Take(count).ToList();
        var root = new JsonObject
        {
            ["type"] = "search",
            ["query"] = new JsonObject { ["original"] = q, ["show_strict_warning"] = false, ["is_navigational"] = false, ["more_results_available"] = false },
            ["mixed"] = new JsonObject { ["type"] = "mixed", ["main"] = new JsonArray() },
        };
        if (matches.Count > 0)
        {
            root["web"] = new JsonObject
            {
                ["type"] = "search",
                ["family_friendly"] = true,
                ["results"] = new JsonArray([.. matches.Select(d => (JsonNode)new JsonObject
                {
                    ["title"] = d.Title,
                    ["url"] = d.Url,
                    ["is_source_local"] = false,
                    ["is_source_both"] = false,
                    ["description"] = Highlight(d.Text, q),
                    ["page_age"] = "2024-05-01T00:00:00",
                    ["language"] = "en",
                    ["family_friendly"] = true,
                    ["type"] = "search_result",
                    ["subtype"] = "generic",
                    ["meta_url"] = new JsonObject { ["scheme"] = "http", ["netloc"] = new Uri(d.Url).Authority, ["hostname"] = new Uri(d.Url).Host, ["path"] = new Uri(d.Url).AbsolutePath },
                    ["age"] = "May 1, 2024",
                })]),
            };
        }

        await WriteAsync(context, 200, "application/json", root.ToJsonString());
    }

    private async Task TavilyAsync(HttpContext context, FakeSearchRequest request)
    {
        if (request.Method != "POST" || request.Path != "/search")
        {
            await WriteAsync(context, 404, "application/json", """{"detail":"Not Found"}""");
            return;
        }

        var authorization = request.Header("Authorization");
        if (authorization != "Bearer " + ApiKey)
        {
            await WriteAsync(context, 401, "application/json", """{"detail":{"error":"Unauthorized: missing or invalid API key."}}""");
            return;
        }

        JsonNode? json;
        try
        {
            json = JsonNode.Parse(request.Body);
        }
        catch (JsonException)
        {
            json = null;
        }

        var query = json?["query"]?.GetValue<string>();
        var maxResults = json?["max_results"]?.GetValue<int>() ?? 5;
        if (string.IsNullOrWhiteSpace(query) || maxResults is < 0 or > 20)
        {
            await WriteAsync(context, 400, "application/json", """{"detail":{"error":"Invalid request: query is required and max_results must be between 0 and 20."}}""");
            return;
        }

        var matches = Match(query).Take(maxResults).ToList();
        var root = new JsonObject
        {
            ["query"] = query,
            ["follow_up_questions"] = null,
            ["answer"] = null,
            ["images"] = new JsonArray(),
            ["results"] = new JsonArray([.. matches.Select((d, i) => (JsonNode)new JsonObject
            {
                ["url"] = d.Url,
                ["title"] = d.Title,
                ["content"] = d.Text,
                ["score"] = Math.Round(0.9 - (i * 0.1), 3),
                ["raw_content"] = null,
            })]),
            ["response_time"] = 0.42,
            ["request_id"] = "123e4567-e89b-12d3-a456-426614174111",
        };
        await WriteAsync(context, 200, "application/json", root.ToJsonString());
    }

    private async Task SearXngAsync(HttpContext context, FakeSearchRequest request)
    {
        if (request.Path is not ("/search" or "/"))
        {
            await WriteAsync(context, 404, "text/html", "<html><body>Not Found</body></html>");
            return;
        }

        var format = request.QueryParameter("format") ?? "html";
        if (format != "html" && (format != "json" || !JsonFormatEnabled))
        {
            // searx/webapp.py: a format not in search.formats is refused with 403.
            await WriteAsync(context, 403, "text/html; charset=utf-8", "<!doctype html><title>403 Forbidden</title><h1>Forbidden</h1><p>You don't have the permission to access the requested resource.</p>");
            return;
        }

        var q = request.QueryParameter("q");
        if (format == "html")
        {
            await WriteAsync(context, 200, "text/html; charset=utf-8", $"<html><body><h1>Results for {WebUtility.HtmlEncode(q)}</h1></body></html>");
            return;
        }

        var matches = string.IsNullOrWhiteSpace(q) ? [] : Match(q).ToList();
        var root = new JsonObject
        {
            ["query"] = q,
            ["number_of_results"] = 0,
            ["results"] = new JsonArray([.. matches.Select((d, i) => (JsonNode)new JsonObject
            {
                ["url"] = d.Url,
                ["title"] = d.Title,
                ["content"] = d.Text,
                ["engine"] = "duckduckgo",
                ["parsed_url"] = new JsonArray("http", new Uri(d.Url).Authority, new Uri(d.Url).AbsolutePath, string.Empty, string.Empty, string.Empty),
                ["template"] = "default.html",
                ["engines"] = new JsonArray("duckduckgo", "brave"),
                ["positions"] = new JsonArray(i + 1),
                ["score"] = Math.Round(2.0 / (i + 1), 3),
                ["category"] = "general",
            })]),
            ["answers"] = new JsonArray(),
            ["corrections"] = new JsonArray(),
            ["infoboxes"] = new JsonArray(),
            ["suggestions"] = new JsonArray(),
            ["unresponsive_engines"] = new JsonArray(),
        };
        await WriteAsync(context, 200, "application/json", root.ToJsonString());
    }

    private IEnumerable<FakeDocument> Match(string query)
    {
        var words = Words(query);
        List<FakeDocument> documents;
        lock (_gate)
        {
            documents = [.. Documents];
        }

        return documents
            .Select((d, i) => (d, i, hits: Words(d.Title + " " + d.Text).Intersect(words).Count()))
            .Where(x => x.hits > 0)
            .OrderByDescending(x => x.hits)
            .ThenBy(x => x.i)
            .Select(x => x.d);
    }

    private static HashSet<string> Words(string text) =>
        [.. text.ToLowerInvariant().Split([' ', ',', '.', '?', '!', ':', ';', '"', '\'', '(', ')'], StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length > 3)];

    private static string Highlight(string text, string query)
    {
        var words = Words(query);
        return string.Join(' ', text.Split(' ').Select(w => words.Contains(w.Trim(',', '.').ToLowerInvariant()) ? $"<strong>{WebUtility.HtmlEncode(w)}</strong>" : WebUtility.HtmlEncode(w)));
    }

    private static string BraveError(int status, string code, string detail) =>
        new JsonObject
        {
            ["type"] = "ErrorResponse",
            ["error"] = new JsonObject { ["id"] = "0b5c7e1a", ["status"] = status, ["code"] = code, ["detail"] = detail, ["meta"] = new JsonObject() },
            ["time"] = 1732262400,
        }.ToJsonString();

    private static async Task WriteAsync(HttpContext context, int status, string contentType, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body, context.RequestAborted);
    }
}
