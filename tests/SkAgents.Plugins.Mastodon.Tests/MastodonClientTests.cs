using Microsoft.Extensions.Logging;
using System.Net;
using SkAgents.Testing.Mastodon;

namespace SkAgents.Plugins.Mastodon.Tests;

/// <summary>The REST client against the Mastodon-faithful server.</summary>
public sealed class MastodonClientTests : MastodonTestBase
{
    [Fact]
    public async Task Lookup_finds_local_and_full_names_and_404_is_typed()
    {
        var id = Server.AddAccount("alice", "Alice A.");
        using var client = Client(token: null);

        var byName = await client.LookupAccountAsync("alice");
        var byFull = await client.LookupAccountAsync($"@alice@{Server.Domain}");
        var missing = await Assert.ThrowsAsync<MastodonException>(() => client.LookupAccountAsync("nobody@" + Server.Domain));

        Assert.Equal(id, byName.Id);
        Assert.Equal("Alice A.", byName.DisplayName);
        Assert.Equal(id, byFull.Id);
        Assert.Equal(MastodonErrorKind.NotFound, missing.Kind);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("Record not found", missing.ServerError);
        Assert.Contains("nobody", missing.Message, StringComparison.Ordinal);
        Assert.Contains("acct=alice%40", RequestsTo("GET", "/lookup")[1].Query, StringComparison.Ordinal);
        Assert.All(Server.Requests, r => Assert.False(r.Headers.ContainsKey("Authorization")));
    }

    [Fact]
    public async Task Paging_follows_the_link_header_past_40_with_opaque_ids()
    {
        var id = Server.AddAccount("bob");
        var ids = Enumerable.Range(1, 95).Select(i => Server.AddStatus(id, $"<p>post {i}</p>")).ToList();
        using var client = Client(token: null);

        var all = await client.GetRecentStatusesAsync(id, 90);

        Assert.Equal(90, all.Count);
        Assert.Equal(Enumerable.Range(6, 90).Reverse().Select(i => $"post {i}"), all.Select(s => s.Text));
        var pages = RequestsTo("GET", "/statuses");
        Assert.Equal(3, pages.Count);
        Assert.Equal("?limit=40", pages[0].Query);
        Assert.Equal($"?limit=40&max_id={ids[55]}", pages[1].Query);
        Assert.Equal($"?limit=10&max_id={ids[15]}", pages[2].Query);
    }

    [Fact]
    public async Task Paging_stops_when_the_account_has_no_more_posts()
    {
        var id = Server.AddAccount("carol");
        for (var i = 0; i < 45; i++)
        {
            Server.AddStatus(id, $"<p>p{i}</p>");
        }

        using var client = Client(token: null);
        var all = await client.GetRecentStatusesAsync(id, 200);

        Assert.Equal(45, all.Count);
        Assert.Equal(2, RequestsTo("GET", "/statuses").Count);
    }

    [Fact]
    public async Task Boosts_resolve_through_reblog_and_can_be_excluded_as_can_replies()
    {
        var dave = Server.AddAccount("dave");
        var erin = Server.AddAccount("erin");
        var original = Server.AddStatus(erin, "<p>Erin's original <a href=\"https://example.org/x\" rel=\"nofollow noopener\" target=\"_blank\"><span class=\"invisible\">https://</span><span class=\"\">example.org/x</span><span class=\"invisible\"></span></a></p>");
        Server.AddStatus(dave, "<p>mine</p>");
        Server.AddBoost(dave, original);
        Server.AddStatus(dave, "<p>a reply</p>", inReplyToAccountId: erin);
        Server.AddStatus(dave, "<p>thread continues</p>", inReplyToAccountId: dave);
        using var client = Client(token: null);

        var all = (await client.GetStatusesAsync(dave)).Statuses;
        var filtered = (await client.GetStatusesAsync(dave, new MastodonStatusQuery { ExcludeReblogs = true, ExcludeReplies = true })).Statuses;

        var boost = Assert.Single(all, s => s.IsBoost);
        Assert.Equal(string.Empty, boost.Text);
        Assert.Equal("Erin's original https://example.org/x", boost.Effective.Text);
        Assert.Equal("erin", boost.Reblog!.Account!.Username);
        Assert.Equal(4, all.Count);
        Assert.Equal(["thread continues", "mine"], filtered.Select(s => s.Text));
        Assert.Contains("exclude_replies=true&exclude_reblogs=true", RequestsTo("GET", "/statuses")[1].Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Instance_limits_come_from_v2_instance_and_are_cached()
    {
        Server.MaxCharacters = 1000;
        using var client = Client(token: null);

        var limits = await client.GetInstanceLimitsAsync();
        await client.GetInstanceLimitsAsync();
        var (count, limit) = await client.CountAsync("see https://example.org/a/very/long/path/that/is/longer/than/23/characters ok");

        Assert.Equal(new MastodonInstanceLimits(1000, 23, 4), limits);
        Assert.Equal(1000, limit);
        Assert.Equal(4 + 23 + 3, count);
        Assert.Single(RequestsTo("GET", "/api/v2/instance"));
    }

    [Fact]
    public async Task Posting_sends_bearer_json_and_a_content_derived_idempotency_key()
    {
        using var client = Client();
        var status = new MastodonNewStatus("Hello fediverse", "unlisted", "cw", "en");

        var posted = await client.PostStatusAsync(status);

        var request = Assert.Single(RequestsTo("POST", "/api/v1/statuses"));
        Assert.Equal("Bearer " + FakeMastodonServer.WriteToken, request.Headers["Authorization"]);
        Assert.Equal(MastodonClient.IdempotencyKey(status), request.Headers["Idempotency-Key"]);
        Assert.NotEqual(MastodonClient.IdempotencyKey(status), MastodonClient.IdempotencyKey(status with { Visibility = "public" }));
        Assert.Contains("\"spoiler_text\":\"cw\"", request.Body, StringComparison.Ordinal);
        Assert.Equal("Hello fediverse", posted.Text);
        Assert.Equal("unlisted", posted.Visibility);
        Assert.Single(Server.CreatedStatuses);
    }

    [Fact]
    public async Task A_dropped_response_is_retried_with_the_same_key_and_creates_exactly_one_status()
    {
        Server.EnqueueFault(new MastodonFault("POST", "/api/v1/statuses", ProcessThenDrop: true));
        using var client = Client();

        var posted = await client.PostStatusAsync(new MastodonNewStatus("Only once, please"));

        var posts = RequestsTo("POST", "/api/v1/statuses");
        Assert.Equal(2, posts.Count);
        Assert.Equal(posts[0].Headers["Idempotency-Key"], posts[1].Headers["Idempotency-Key"]);
        var created = Assert.Single(Server.CreatedStatuses);
        Assert.Equal(created["id"]!.GetValue<string>(), posted.Id);
        Assert.Single(Time.Delays);
    }

    [Fact]
    public async Task Posting_the_same_text_again_within_an_hour_returns_the_first_status()
    {
        using var client = Client();
        var first = await client.PostStatusAsync(new MastodonNewStatus("Same words"));
        Time.Advance(TimeSpan.FromMinutes(30));
        var second = await client.PostStatusAsync(new MastodonNewStatus("Same words"));
        Time.Advance(TimeSpan.FromMinutes(31));
        var third = await client.PostStatusAsync(new MastodonNewStatus("Same words"));

        Assert.Equal(first.Id, second.Id);
        Assert.NotEqual(first.Id, third.Id);
        Assert.Equal(2, Server.CreatedStatuses.Count);
    }

    [Fact]
    public async Task An_invalid_token_is_401_and_the_message_names_the_setting_not_the_token()
    {
        const string secret = "not-a-valid-token-abc123";
        using var client = Client(token: secret);

        var ex = await Assert.ThrowsAsync<MastodonException>(() => client.PostStatusAsync(new MastodonNewStatus("hi")));

        Assert.Equal(MastodonErrorKind.Unauthorized, ex.Kind);
        Assert.Equal("The access token is invalid", ex.ServerError);
        Assert.Contains("SkAgents:Plugins:Mastodon:AccessToken", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_read_only_token_gets_403_that_says_write_statuses_is_needed()
    {
        using var client = Client(token: FakeMastodonServer.ReadOnlyToken);

        var ex = await Assert.ThrowsAsync<MastodonException>(() => client.PostStatusAsync(new MastodonNewStatus("hi")));

        Assert.Equal(MastodonErrorKind.Forbidden, ex.Kind);
        Assert.Contains("write:statuses", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Server.CreatedStatuses);
    }

    [Fact]
    public async Task Whitelist_mode_reads_without_a_token_get_401_naming_the_setting()
    {
        Server.AddAccount("frank");
        Server.RequireAuthForReads = true;
        using var client = Client(token: null);

        var ex = await Assert.ThrowsAsync<MastodonException>(() => client.LookupAccountAsync("frank"));

        Assert.Equal(MastodonErrorKind.Unauthorized, ex.Kind);
        Assert.Equal("This API requires an authenticated user", ex.ServerError);
        Assert.Contains("MASTODON_TOKEN", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_s_422_is_a_validation_error_with_mastodon_s_words()
    {
        using var client = Client();
        await client.GetInstanceLimitsAsync();
        Server.MaxCharacters = 10;

        var ex = await Assert.ThrowsAsync<MastodonException>(() => client.PostStatusAsync(new MastodonNewStatus("twenty characters!!!")));

        Assert.Equal(MastodonErrorKind.Validation, ex.Kind);
        Assert.Equal("Validation failed: Text character limit of 10 exceeded", ex.ServerError);
        Assert.Single(RequestsTo("POST", "/api/v1/statuses"));
    }

    [Fact]
    public async Task Too_long_text_is_refused_before_sending()
    {
        using var client = Client();

        var ex = await Assert.ThrowsAsync<MastodonException>(() => client.PostStatusAsync(new MastodonNewStatus(new string('a', 501))));

        Assert.Equal(MastodonErrorKind.TooLong, ex.Kind);
        Assert.Contains("501", ex.Message, StringComparison.Ordinal);
        Assert.Contains("500", ex.Message, StringComparison.Ordinal);
        Assert.Empty(RequestsTo("POST", "/api/v1/statuses"));
    }

    [Fact]
    public async Task A_429_waits_for_retry_after_on_the_injected_clock()
    {
        var id = Server.AddAccount("gina");
        Server.EnqueueFault(new MastodonFault("GET", "/api/v1/accounts/lookup", 429, "Too many requests", RetryAfterSeconds: 7));
        using var client = Client(token: null);

        var account = await client.LookupAccountAsync("gina");

        Assert.Equal(id, account.Id);
        Assert.Equal([TimeSpan.FromSeconds(7)], Time.Delays);
        Assert.Equal(2, RequestsTo("GET", "/lookup").Count);
    }

    [Fact]
    public async Task A_429_without_retry_after_waits_until_the_rate_limit_reset()
    {
        Server.AddAccount("hank");
        Server.EnqueueFault(new MastodonFault("GET", "/api/v1/accounts/lookup", 429, "Too many requests", RateLimitResetSeconds: 42));
        using var client = Client(token: null);

        await client.LookupAccountAsync("hank");

        Assert.Equal(TimeSpan.FromSeconds(42), Assert.Single(Time.Delays));
    }

    [Fact]
    public async Task A_429_asking_for_too_long_a_wait_fails_with_a_rate_limit_error()
    {
        Server.EnqueueFault(new MastodonFault("POST", "/api/v1/statuses", 429, "Too many requests", RetryAfterSeconds: 3600));
        using var client = Client();

        var ex = await Assert.ThrowsAsync<MastodonException>(() => client.PostStatusAsync(new MastodonNewStatus("later")));

        Assert.Equal(MastodonErrorKind.RateLimited, ex.Kind);
        Assert.Empty(Time.Delays);
        Assert.Empty(Server.CreatedStatuses);
    }

    [Fact]
    public async Task An_exhausted_rate_limit_waits_for_its_reset_before_the_next_request()
    {
        Server.AddAccount("ivy");
        // A successful answer that says no requests remain until 30 s from now.
        Server.EnqueueFault(new MastodonFault("GET", "/api/v1/accounts/lookup", 404, "Record not found", RateLimitResetSeconds: 30));
        using var client = Client(token: null);

        await Assert.ThrowsAsync<MastodonException>(() => client.LookupAccountAsync("ivy"));
        await client.LookupAccountAsync("ivy");

        Assert.Equal(TimeSpan.FromSeconds(30), Assert.Single(Time.Delays));
    }

    [Fact]
    public async Task Reads_are_retried_after_a_5xx()
    {
        Server.AddAccount("jo");
        Server.EnqueueFault(new MastodonFault("GET", "/lookup", 503, "Remote data could not be fetched"));
        using var client = Client(token: null);

        await client.LookupAccountAsync("jo");

        Assert.Equal(2, RequestsTo("GET", "/lookup").Count);
    }

    [Fact]
    public async Task Retries_and_failures_are_logged_without_the_token()
    {
        using var logs = new SkAgents.Testing.RecordingLoggerFactory();
        Server.EnqueueFault(new MastodonFault("POST", "/api/v1/statuses", ProcessThenDrop: true));
        Server.EnqueueFault(new MastodonFault("GET", "/api/v2/instance", 429, "Too many requests", RetryAfterSeconds: 2));
        using var client = new MastodonClient(
            new MastodonClientOptions { Instance = Server.BaseUrl, AccessToken = FakeMastodonServer.WriteToken, TimeProvider = Time },
            logger: logs.CreateLogger<MastodonClient>());

        await client.PostStatusAsync(new MastodonNewStatus("logged once"));

        Assert.Equal(2, logs.Entries.Count(e => e.Level == LogLevel.Warning));
        Assert.Contains(logs.Entries, e => e.Message.Contains("same Idempotency-Key", StringComparison.Ordinal));
        Assert.All(logs.Entries, e => Assert.DoesNotContain(FakeMastodonServer.WriteToken, e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Posting_without_a_token_fails_before_sending_and_names_the_setting()
    {
        using var client = Client(token: null);

        var ex = await Assert.ThrowsAsync<MastodonException>(() => client.PostStatusAsync(new MastodonNewStatus("hi")));

        Assert.Equal(MastodonErrorKind.Unauthorized, ex.Kind);
        Assert.Contains("MASTODON_TOKEN", ex.Message, StringComparison.Ordinal);
        Assert.Empty(RequestsTo("POST", "/api/v1/statuses"));
    }

    [Fact]
    public async Task A_timeout_after_the_server_created_the_status_is_retried_without_a_duplicate()
    {
        using var handler = new TimeoutAfterFirstPost { InnerHandler = new HttpClientHandler() };
        using var http = new HttpClient(handler);
        using var client = new MastodonClient(new MastodonClientOptions { Instance = Server.BaseUrl, AccessToken = FakeMastodonServer.WriteToken, TimeProvider = Time }, http);

        var posted = await client.PostStatusAsync(new MastodonNewStatus("Timed out once"));

        Assert.Equal(2, RequestsTo("POST", "/api/v1/statuses").Count);
        Assert.Equal(posted.Id, Assert.Single(Server.CreatedStatuses)["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task When_retries_run_out_the_error_says_the_post_may_have_happened_and_retrying_is_safe()
    {
        using var handler = new TimeoutAfterFirstPost { InnerHandler = new HttpClientHandler(), Always = true };
        using var http = new HttpClient(handler);
        using var client = new MastodonClient(new MastodonClientOptions { Instance = Server.BaseUrl, AccessToken = FakeMastodonServer.WriteToken, TimeProvider = Time, MaxRetries = 1 }, http);

        var ex = await Assert.ThrowsAsync<MastodonException>(() => client.PostStatusAsync(new MastodonNewStatus("Never answered")));

        Assert.Equal(MastodonErrorKind.Network, ex.Kind);
        Assert.Contains("may or may not have been posted", ex.Message, StringComparison.Ordinal);
        Assert.Single(Server.CreatedStatuses);
    }

    /// <summary>Lets POSTs reach the server, then reports a client-side timeout instead of the answer.</summary>
    private sealed class TimeoutAfterFirstPost : DelegatingHandler
    {
        private int _posts;

        public bool Always { get; init; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method == HttpMethod.Post && (Always || Interlocked.Increment(ref _posts) == 1))
            {
                response.Dispose();
                throw new TaskCanceledException("The request timed out.", new TimeoutException());
            }

            return response;
        }
    }
}
