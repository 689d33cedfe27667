using System.Text.Json;
using SkAgents.Plugins.Web.Search;

namespace SkAgents.Plugins.Web.Tests;

public sealed class SearchProviderTests
{
    private const string BraveKey = "BSA-test-key-0123456789";
    private const string TavilyKey = "tvly-test-key-0123456789";

    private static void AddDocuments(FakeSearchServer server)
    {
        server.Documents.Add(new FakeDocument("Golden Gate Bridge - History", "http://127.0.0.1:9/golden-gate", "The Golden Gate Bridge opened in 1937 after four years of construction."));
        server.Documents.Add(new FakeDocument("Bridges of San Francisco", "http://127.0.0.1:9/bridges", "San Francisco has several bridges, the Golden Gate among them."));
        server.Documents.Add(new FakeDocument("Sourdough bread", "http://127.0.0.1:9/bread", "A recipe for sourdough bread with a long fermentation."));
    }

    private static (WebSearchProviderBase Provider, RecordingTimeProvider Clock) Create(FakeSearchServer server, string? key, int maxRetries = 2, TimeSpan? maxRetryDelay = null)
    {
        var clock = new RecordingTimeProvider();
        var options = new WebSearchProviderOptions
        {
            Endpoint = server.RootUri,
            ApiKey = key,
            ApiKeySetting = "SkAgents:Plugins:Web:ApiKey",
            EndpointSetting = "SkAgents:Plugins:Web:Endpoint",
            TimeProvider = clock,
            MaxRetries = maxRetries,
            MaxRetryDelay = maxRetryDelay ?? TimeSpan.FromSeconds(20),
            Timeout = TimeSpan.FromSeconds(20),
        };
        return (WebSearchProviders.Create(server.Kind, options), clock);
    }

    private static string? KeyFor(WebSearchProviderKind kind) => kind switch
    {
        WebSearchProviderKind.Brave => BraveKey,
        WebSearchProviderKind.Tavily => TavilyKey,
        _ => null,
    };

    [Theory]
    [InlineData(WebSearchProviderKind.Brave)]
    [InlineData(WebSearchProviderKind.Tavily)]
    [InlineData(WebSearchProviderKind.SearXNG)]
    public async Task Search_returns_ranked_results_in_each_providers_shape(WebSearchProviderKind kind)
    {
        await using var server = await FakeSearchServer.StartAsync(kind, KeyFor(kind));
        AddDocuments(server);
        var (provider, _) = Create(server, KeyFor(kind));
        using var _1 = provider;

        var results = await provider.SearchAsync("When did the Golden Gate Bridge open?", 5, CancellationToken.None);

        Assert.Equal(2, results.Count);
        Assert.Equal("Golden Gate Bridge - History", results[0].Title);
        Assert.Equal(new Uri("http://127.0.0.1:9/golden-gate"), results[0].Url);
        Assert.Equal("The Golden Gate Bridge opened in 1937 after four years of construction.", results[0].Snippet);
        Assert.Equal([1, 2], results.Select(r => r.Rank));
        Assert.All(results, r => Assert.Equal(provider.Name, r.Provider));
        Assert.DoesNotContain(results, r => r.Snippet.Contains('<', StringComparison.Ordinal));
    }

    [Fact]
    public async Task Brave_sends_the_documented_request()
    {
        await using var server = await FakeSearchServer.StartAsync(WebSearchProviderKind.Brave, BraveKey);
        AddDocuments(server);
        var (provider, _) = Create(server, BraveKey);
        using var _1 = provider;

        await provider.SearchAsync("golden gate", 50, CancellationToken.None);

        var request = Assert.Single(server.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/res/v1/web/search", request.Path);
        Assert.Equal("golden gate", request.QueryParameter("q"));
        Assert.Equal("20", request.QueryParameter("count"));
        Assert.Equal(BraveKey, request.Header("X-Subscription-Token"));
        Assert.Contains("application/json", request.Header("Accept"), StringComparison.Ordinal);
        Assert.Contains("gzip", request.Header("Accept-Encoding"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Brave_strips_strong_highlights_and_entities_from_descriptions()
    {
        await using var server = await FakeSearchServer.StartAsync(WebSearchProviderKind.Brave, BraveKey);
        server.Documents.Add(new FakeDocument("Fish & Chips", "http://127.0.0.1:9/fish", "Classic fish & chips, served hot."));
        var (provider, _) = Create(server, BraveKey);
        using var _1 = provider;

        var result = Assert.Single(await provider.SearchAsync("fish chips", 3, CancellationToken.None));

        Assert.Equal("Classic fish & chips, served hot.", result.Snippet);
        Assert.Equal("Fish & Chips", result.Title);
    }

    [Fact]
    public async Task Brave_with_no_web_results_returns_an_empty_list()
    {
        await using var server = await FakeSearchServer.StartAsync(WebSearchProviderKind.Brave, BraveKey);
        AddDocuments(server);
        var (provider, _) = Create(server, BraveKey);
        using var _1 = provider;

        Assert.Empty(await provider.SearchAsync("zzzzqqqq", 5, CancellationToken.None));
    }

    [Fact]
    public async Task Tavily_posts_the_documented_json_with_a_bearer_key()
    {
        await using var server = await FakeSearchServer.StartAsync(WebSearchProviderKind.Tavily, TavilyKey);
        AddDocuments(server);
        var (provider, _) = Create(server, TavilyKey);
        using var _1 = provider;

        await provider.SearchAsync("golden gate", 3, CancellationToken.None);

        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/search", request.Path);
        Assert.Equal("Bearer " + TavilyKey, request.Header("Authorization"));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("golden gate", body.RootElement.GetProperty("query").GetString());
        Assert.Equal(3, body.RootElement.GetProperty("max_results").GetInt32());
        Assert.Equal("basic", body.RootElement.GetProperty("search_depth").GetString());
        Assert.False(body.RootElement.TryGetProperty("api_key", out _));
    }

    [Fact]
    public async Task SearXng_asks_for_json_and_keeps_only_count_results()
    {
        await using var server = await FakeSearchServer.StartAsync(WebSearchProviderKind.SearXNG);
        AddDocuments(server);
        var (provider, _) = Create(server, key: null);
        using var _1 = provider;

        var results = await provider.SearchAsync("golden gate bridge", 1, CancellationToken.None);

        Assert.Single(results);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/search", request.Path);
        Assert.Equal("json", request.QueryParameter("format"));
        Assert.Equal("golden gate bridge", request.QueryParameter("q"));
    }

    [Theory]
    [InlineData(WebSearchProviderKind.Brave)]
    [InlineData(WebSearchProviderKind.Tavily)]
    public async Task A_wrong_key_is_a_typed_error_naming_the_provider_and_setting_without_the_key(WebSearchProviderKind kind)
    {
        await using var server = await FakeSearchServer.StartAsync(kind, KeyFor(kind));
        AddDocuments(server);
        const string wrongKey = "wrong-secret-key-987654321";
        var (provider, _) = Create(server, wrongKey);
        using var _1 = provider;

        var error = await Assert.ThrowsAsync<WebSearchAuthenticationException>(() => provider.SearchAsync("golden gate", 5, CancellationToken.None));

        Assert.Equal(401, error.StatusCode);
        Assert.Equal(provider.Name, error.Provider);
        Assert.Contains(provider.Name, error.Message, StringComparison.Ordinal);
        Assert.Contains("SkAgents:Plugins:Web:ApiKey", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, error.ToString(), StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Theory]
    [InlineData(WebSearchProviderKind.Brave)]
    [InlineData(WebSearchProviderKind.Tavily)]
    public async Task A_missing_key_is_refused_before_any_request(WebSearchProviderKind kind)
    {
        await using var server = await FakeSearchServer.StartAsync(kind, KeyFor(kind));
        var error = Assert.Throws<WebSearchConfigurationException>(() => Create(server, key: null));
        Assert.Contains("SkAgents:Plugins:Web:ApiKey", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public void SearXng_without_an_endpoint_names_the_setting()
    {
        var error = Assert.Throws<WebSearchConfigurationException>(() => new SearXngSearchProvider(new WebSearchProviderOptions { EndpointSetting = "SkAgents:Plugins:Web:Endpoint" }));
        Assert.Contains("SkAgents:Plugins:Web:Endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearXng_403_says_to_enable_json_in_settings_yml()
    {
        await using var server = await FakeSearchServer.StartAsync(WebSearchProviderKind.SearXNG);
        server.JsonFormatEnabled = false;
        AddDocuments(server);
        var (provider, _) = Create(server, key: null);
        using var _1 = provider;

        var error = await Assert.ThrowsAsync<WebSearchConfigurationException>(() => provider.SearchAsync("golden gate", 5, CancellationToken.None));

        Assert.Equal(403, error.StatusCode);
        Assert.Contains("enable 'json' in search.formats of settings.yml", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(server.RootUri.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Theory]
    [InlineData(WebSearchProviderKind.Brave)]
    [InlineData(WebSearchProviderKind.Tavily)]
    [InlineData(WebSearchProviderKind.SearXNG)]
    public async Task A_429_is_retried_after_the_Retry_After_wait(WebSearchProviderKind kind)
    {
        await using var server = await FakeSearchServer.StartAsync(kind, KeyFor(kind));
        AddDocuments(server);
        server.EnqueueFault(FakeSearchServer.BraveRateLimited(3));
        var (provider, clock) = Create(server, KeyFor(kind));
        using var _1 = provider;

        var results = await provider.SearchAsync("golden gate", 5, CancellationToken.None);

        Assert.NotEmpty(results);
        Assert.Equal(2, server.Requests.Count);
        Assert.Contains(TimeSpan.FromSeconds(3), clock.Waits);
    }

    [Fact]
    public async Task A_Retry_After_longer_than_allowed_fails_at_once_with_the_wait()
    {
        await using var server = await FakeSearchServer.StartAsync(WebSearchProviderKind.Brave, BraveKey);
        server.EnqueueFault(FakeSearchServer.BraveRateLimited(3600));
        var (provider, clock) = Create(server, BraveKey, maxRetryDelay: TimeSpan.FromSeconds(10));
        using var _1 = provider;

        var error = await Assert.ThrowsAsync<WebSearchRateLimitException>(() => provider.SearchAsync("golden gate", 5, CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(3600), error.RetryAfter);
        Assert.Contains("Request rate limit exceeded for plan", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
        Assert.DoesNotContain(clock.Waits, w => w >= TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Repeated_429s_stop_after_the_retry_limit()
    {
        await using var server = await FakeSearchServer.StartAsync(WebSearchProviderKind.Tavily, TavilyKey);
        for (var i = 0; i < 5; i++)
        {
            server.EnqueueFault(new FakeFault(429, "application/json", """{"detail":{"error":"Rate limit exceeded."}}""", new Dictionary<string, string> { ["Retry-After"] = "1" }));
        }

        var (provider, _) = Create(server, TavilyKey, maxRetries: 2);
        using var _1 = provider;

        var error = await Assert.ThrowsAsync<WebSearchRateLimitException>(() => provider.SearchAsync("golden gate", 5, CancellationToken.None));

        Assert.Equal(3, server.Requests.Count);
        Assert.Contains("Rate limit exceeded.", error.Message, StringComparison.Ordinal);
        Assert.Contains("Tavily", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(WebSearchProviderKind.Brave)]
    [InlineData(WebSearchProviderKind.Tavily)]
    [InlineData(WebSearchProviderKind.SearXNG)]
    public async Task A_5xx_is_retried_with_backoff_then_succeeds(WebSearchProviderKind kind)
    {
        await using var server = await FakeSearchServer.StartAsync(kind, KeyFor(kind));
        AddDocuments(server);
        server.EnqueueFault(FakeSearchServer.ServerError(503));
        server.EnqueueFault(FakeSearchServer.ServerError(502));
        var (provider, clock) = Create(server, KeyFor(kind));
        using var _1 = provider;

        var results = await provider.SearchAsync("golden gate", 5, CancellationToken.None);

        Assert.NotEmpty(results);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], clock.Waits.Where(w => w >= TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task A_5xx_that_persists_is_a_service_error_with_the_status()
    {
        await using var server = await FakeSearchServer.StartAsync(WebSearchProviderKind.SearXNG);
        for (var i = 0; i < 3; i++)
        {
            server.EnqueueFault(FakeSearchServer.ServerError(500));
        }

        var (provider, _) = Create(server, key: null, maxRetries: 2);
        using var _1 = provider;

        var error = await Assert.ThrowsAsync<WebSearchServiceException>(() => provider.SearchAsync("golden gate", 5, CancellationToken.None));

        Assert.Equal(500, error.StatusCode);
        Assert.Contains("SearXNG answered HTTP 500", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.Requests.Count);
    }

    [Theory]
    [InlineData(WebSearchProviderKind.Brave, "application/json", "{\"web\": {\"results\": [")]
    [InlineData(WebSearchProviderKind.Tavily, "text/html", "<html><body>Maintenance</body></html>")]
    [InlineData(WebSearchProviderKind.SearXNG, "application/json", "{\"results\": 42}")]
    [InlineData(WebSearchProviderKind.Tavily, "application/json", "[1, 2, 3]")]
    public async Task A_malformed_body_is_a_clear_response_error(WebSearchProviderKind kind, string contentType, string body)
    {
        await using var server = await FakeSearchServer.StartAsync(kind, KeyFor(kind));
        server.EnqueueFault(new FakeFault(200, contentType, body));
        var (provider, _) = Create(server, KeyFor(kind));
        using var _1 = provider;

        var error = await Assert.ThrowsAsync<WebSearchResponseException>(() => provider.SearchAsync("golden gate", 5, CancellationToken.None));

        Assert.Contains(provider.Name, error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Tavily_plan_limit_432_is_a_rate_limit_error_without_retries()
    {
        await using var server = await FakeSearchServer.StartAsync(WebSearchProviderKind.Tavily, TavilyKey);
        server.EnqueueFault(new FakeFault(432, "application/json", """{"detail":{"error":"This request exceeds your plan's set usage limit."}}"""));
        var (provider, _) = Create(server, TavilyKey);
        using var _1 = provider;

        var error = await Assert.ThrowsAsync<WebSearchRateLimitException>(() => provider.SearchAsync("golden gate", 5, CancellationToken.None));

        Assert.Contains("usage limit", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task An_unreachable_service_is_a_service_error_naming_the_endpoint()
    {
        // Port 9 (discard) on loopback is closed: the connection is refused at once.
        var clock = new RecordingTimeProvider();
        using var provider = new SearXngSearchProvider(new WebSearchProviderOptions { Endpoint = new Uri("http://127.0.0.1:9/"), TimeProvider = clock, MaxRetries = 1 });

        var error = await Assert.ThrowsAsync<WebSearchServiceException>(() => provider.SearchAsync("golden gate", 5, CancellationToken.None));

        Assert.Contains("http://127.0.0.1:9/", error.Message, StringComparison.Ordinal);
        Assert.Null(error.StatusCode);
    }

    [Theory]
    [InlineData(WebSearchProviderKind.Brave)]
    [InlineData(WebSearchProviderKind.Tavily)]
    public async Task The_key_never_reaches_the_logs_even_at_debug_level_through_retries_and_failures(WebSearchProviderKind kind)
    {
        await using var server = await FakeSearchServer.StartAsync(kind, KeyFor(kind));
        AddDocuments(server);
        server.EnqueueFault(FakeSearchServer.ServerError(503));
        var echo = kind == WebSearchProviderKind.Brave
            ? $$$"""{"type":"ErrorResponse","error":{"status":401,"code":"SUBSCRIPTION_TOKEN_INVALID","detail":"Key {{{KeyFor(kind)}}} is not valid."}}"""
            : $$$"""{"detail":{"error":"Key {{{KeyFor(kind)}}} is not valid."}}""";
        server.EnqueueFault(new FakeFault(401, "application/json", echo, null));
        var logs = new SkAgents.Testing.RecordingLoggerFactory();
        var options = new WebSearchProviderOptions { Endpoint = server.RootUri, ApiKey = KeyFor(kind), TimeProvider = new RecordingTimeProvider() };
        using var provider = WebSearchProviders.Create(kind, options, logs);

        var error = await Assert.ThrowsAsync<WebSearchAuthenticationException>(() => provider.SearchAsync("golden gate", 5, CancellationToken.None));

        Assert.NotEmpty(logs.Entries);
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains(KeyFor(kind)!, StringComparison.Ordinal));
        Assert.DoesNotContain(KeyFor(kind)!, error.ToString(), StringComparison.Ordinal);
        Assert.Contains("Key *** is not valid.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Retry_After_date_is_turned_into_a_wait()
    {
        await using var server = await FakeSearchServer.StartAsync(WebSearchProviderKind.SearXNG);
        AddDocuments(server);
        var at = DateTimeOffset.UtcNow.AddSeconds(8).ToString("r", System.Globalization.CultureInfo.InvariantCulture);
        server.EnqueueFault(new FakeFault(503, "text/plain", "busy", new Dictionary<string, string> { ["Retry-After"] = at }));
        var (provider, clock) = Create(server, key: null);
        using var _1 = provider;

        Assert.NotEmpty(await provider.SearchAsync("golden gate", 5, CancellationToken.None));

        var wait = Assert.Single(clock.Waits, w => w >= TimeSpan.FromSeconds(1));
        Assert.InRange(wait, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(8));
    }

    [Fact]
    public void StripHtml_removes_tags_decodes_entities_and_collapses_space()
    {
        Assert.Equal("a <b> & \"c\" d", WebSearchProviderBase.StripHtml("a &lt;b&gt; <strong>&amp;</strong>\n  &quot;c&quot; <em>d</em>"));
        Assert.Equal(string.Empty, WebSearchProviderBase.StripHtml(null));
    }
}
