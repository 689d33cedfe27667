using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using SkAgents.Testing.Notion;

namespace SkAgents.Plugins.Notion.Tests;

/// <summary>Headers, auth, versions, pagination, errors and retries against the fake Notion server.</summary>
public sealed class NotionProtocolTests : NotionTestBase
{
    [Fact]
    public async Task Requests_carry_bearer_token_version_and_json()
    {
        Server.AddPage("Roadmap");
        using var client = Client();
        var results = await client.SearchAsync("road");

        Assert.Single(results);
        var request = Assert.Single(Server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/search", request.Path);
        Assert.Equal("Bearer " + Server.Token, request.Headers["Authorization"]);
        Assert.Equal("2025-09-03", request.Headers["Notion-Version"]);
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("road", request.Json!["query"]!.GetValue<string>());
    }

    [Fact]
    public async Task Server_requires_the_version_header_and_the_token()
    {
        using var http = new HttpClient();
        using var noVersion = new HttpRequestMessage(HttpMethod.Post, new Uri(Server.BaseUrl, "search")) { Content = new StringContent("{}") };
        noVersion.Headers.Authorization = new("Bearer", Server.Token);
        using var response = await http.SendAsync(noVersion);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("error", error.GetProperty("object").GetString());
        Assert.Equal("missing_version", error.GetProperty("code").GetString());

        using var noToken = new HttpRequestMessage(HttpMethod.Post, new Uri(Server.BaseUrl, "search")) { Content = new StringContent("{}") };
        noToken.Headers.Add("Notion-Version", "2022-06-28");
        using var unauthorized = await http.SendAsync(noToken);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("unauthorized", JsonDocument.Parse(await unauthorized.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Invalid_token_is_a_typed_error_that_never_shows_the_token()
    {
        const string wrong = "ntn_wrong_token_that_must_not_leak_123";
        using var client = Client(token: wrong);
        var ex = await Assert.ThrowsAsync<NotionUnauthorizedException>(() => client.SearchAsync("x"));
        Assert.Equal(401, ex.Status);
        Assert.Equal("unauthorized", ex.Code);
        Assert.Equal(NotionErrorKind.Unauthorized, ex.Kind);
        Assert.Contains("check the integration token", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Server.Token, ex.ToString(), StringComparison.Ordinal);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task Missing_version_error_is_typed()
    {
        Server.EnqueueFault(new NotionFault("POST", "/v1/search", 400, "missing_version", "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`."));
        using var client = Client();
        var ex = await Assert.ThrowsAsync<NotionMissingVersionException>(() => client.SearchAsync("x"));
        Assert.Contains("SkAgents:Plugins:Notion:Version", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Notion-Version header should be defined", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Not_found_says_to_share_the_page_with_the_integration()
    {
        using var client = Client();
        var missing = "0123456789abcdef0123456789abcdef";
        var ex = await Assert.ThrowsAsync<NotionObjectNotFoundException>(() => client.RetrievePageAsync(missing));
        Assert.Equal(404, ex.Status);
        Assert.Equal("object_not_found", ex.Code);
        Assert.Contains("not shared with the integration", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Connections", ex.Message, StringComparison.Ordinal);
        Assert.Contains("GET /v1/pages/01234567-89ab-cdef-0123-456789abcdef", ex.Message, StringComparison.Ordinal);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task Validation_error_carries_notions_message()
    {
        var (_, source) = Server.AddDatabase("Tasks");
        Server.AddRow(source, "Write docs");
        using var client = Client();
        var filter = JsonNode.Parse("""{"property":"Foo","select":{"equals":"x"}}""");
        var ex = await Assert.ThrowsAsync<NotionValidationException>(() => client.QueryDataSourceAsync(source, filter));
        Assert.Equal(400, ex.Status);
        Assert.Equal("Could not find property with name or id: Foo.", ex.NotionMessage);
        Assert.Contains("Could not find property with name or id: Foo.", ex.Message, StringComparison.Ordinal);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task Rate_limited_read_waits_retry_after_then_succeeds()
    {
        var page = Server.AddPage("Quarterly plan");
        Server.EnqueueFault(new NotionFault("GET", "/v1/pages/", 429, "rate_limited", "You have been rate limited. Please try again in a few minutes.", RetryAfterSeconds: 2));
        using var client = Client();

        var result = await client.RetrievePageAsync(page);

        Assert.Equal("Quarterly plan", result.Title);
        Assert.Equal(2, RequestsTo("GET", "/v1/pages/").Count);
        Assert.Contains(TimeSpan.FromSeconds(2), Time.Delays);
        Assert.True(Time.Elapsed >= TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Rate_limited_beyond_the_retries_is_a_typed_error()
    {
        var page = Server.AddPage("Plan");
        for (var i = 0; i < 3; i++)
        {
            Server.EnqueueFault(new NotionFault("GET", "/v1/pages/", 429, "rate_limited", "You have been rate limited.", RetryAfterSeconds: 1));
        }

        using var client = Client(maxRetries: 2);
        var ex = await Assert.ThrowsAsync<NotionRateLimitedException>(() => client.RetrievePageAsync(page));
        Assert.Equal(TimeSpan.FromSeconds(1), ex.RetryAfter);
        Assert.Equal(3, RequestsTo("GET", "/v1/pages/").Count);
    }

    [Fact]
    public async Task Reads_are_retried_with_backoff_after_server_errors()
    {
        var page = Server.AddPage("Plan");
        Server.EnqueueFault(new NotionFault("GET", "/v1/pages/", 503, "service_unavailable", "Notion is unavailable."));
        Server.EnqueueFault(new NotionFault("GET", "/v1/pages/", 504, "gateway_timeout", "Notion timed out."));
        using var client = Client();

        var result = await client.RetrievePageAsync(page);

        Assert.Equal("Plan", result.Title);
        Assert.Equal(3, RequestsTo("GET", "/v1/pages/").Count);
        Assert.Contains(TimeSpan.FromSeconds(1), Time.Delays);
        Assert.Contains(TimeSpan.FromSeconds(2), Time.Delays);
    }

    [Fact]
    public async Task Reads_give_up_after_max_retries_with_a_server_error()
    {
        var page = Server.AddPage("Plan");
        for (var i = 0; i < 4; i++)
        {
            Server.EnqueueFault(new NotionFault("GET", "/v1/pages/", 500, "internal_server_error", "Unexpected error."));
        }

        using var client = Client(maxRetries: 3);
        var ex = await Assert.ThrowsAsync<NotionApiException>(() => client.RetrievePageAsync(page));
        Assert.Equal(NotionErrorKind.ServerError, ex.Kind);
        Assert.Equal(500, ex.Status);
        Assert.Equal(4, RequestsTo("GET", "/v1/pages/").Count);
    }

    [Fact]
    public async Task Search_follows_cursors_with_small_pages()
    {
        Server.PageSizeCap = 2;
        for (var i = 1; i <= 5; i++)
        {
            Server.AddPage($"Meeting notes {i}");
        }

        Server.AddPage("Unrelated");
        using var client = Client();

        var results = await client.SearchAsync("meeting", NotionSearchFilter.Page);

        Assert.Equal(5, results.Count);
        Assert.All(results, r => Assert.StartsWith("Meeting notes", r.Title, StringComparison.Ordinal));
        Assert.Equal(5, results.Select(r => r.Id).Distinct().Count());
        var requests = RequestsTo("POST", "/v1/search");
        Assert.Equal(3, requests.Count);
        Assert.Null(requests[0].Json!["start_cursor"]);
        Assert.NotNull(requests[1].Json!["start_cursor"]);
        Assert.NotEqual(requests[1].Json!["start_cursor"]!.GetValue<string>(), requests[2].Json!["start_cursor"]!.GetValue<string>());
        Assert.Equal("page", requests[0].Json!["filter"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task Version_2022_06_28_searches_and_queries_databases()
    {
        var (database, source) = Server.AddDatabase("Tasks");
        Server.AddRow(source, "Write docs", Status("Done"));
        Server.AddRow(source, "Fix bug", Status("Open"));
        using var client = Client(NotionVersions.Databases20220628);

        var found = await client.SearchAsync("tasks", NotionSearchFilter.DataSource);
        var rows = await client.QueryDataSourceAsync(database, JsonNode.Parse("""{"property":"Status","select":{"equals":"Done"}}"""));

        Assert.Equal("database", Assert.Single(found).Kind);
        Assert.Equal("database", RequestsTo("POST", "/v1/search")[0].Json!["filter"]!["value"]!.GetValue<string>());
        var query = Assert.Single(RequestsTo("POST", "/query"));
        Assert.Equal($"/v1/databases/{database}/query", query.Path);
        Assert.Equal("2022-06-28", query.Headers["Notion-Version"]);
        var row = Assert.Single(rows);
        Assert.Equal("Write docs", row.Title);
        Assert.Equal("Done", row.Properties["Status"]);
        Assert.Equal("database_id", row.ParentType);
    }

    [Theory]
    [InlineData("2025-09-03")]
    [InlineData("2026-03-11")]
    public async Task Data_source_versions_search_and_query_data_sources(string version)
    {
        var (_, source) = Server.AddDatabase("Tasks");
        Server.AddRow(source, "Write docs", Status("Done"));
        Server.AddRow(source, "Fix bug", Status("Open"));
        using var client = Client(version);
        var filter = JsonNode.Parse("""{"or":[{"property":"Status","select":{"equals":"Open"}},{"property":"Name","title":{"contains":"nothing"}}]}""")!;

        var found = await client.SearchAsync("tasks", NotionSearchFilter.DataSource);
        var rows = await client.QueryDataSourceAsync(source, filter);

        Assert.Equal("data_source", Assert.Single(found).Kind);
        Assert.Equal("data_source", RequestsTo("POST", "/v1/search")[0].Json!["filter"]!["value"]!.GetValue<string>());
        var query = Assert.Single(RequestsTo("POST", "/query"));
        Assert.Equal($"/v1/data_sources/{source}/query", query.Path);
        Assert.True(JsonNode.DeepEquals(filter, query.Json!["filter"]), "the filter is passed through unchanged");
        var row = Assert.Single(rows);
        Assert.Equal("Fix bug", row.Title);
        Assert.Equal("data_source_id", row.ParentType);
        Assert.False(row.InTrash);
        var page = Assert.Single(Server.Requests, r => r.Path.Contains("/query", StringComparison.Ordinal));
        Assert.Equal(version, page.Headers["Notion-Version"]);
    }

    [Fact]
    public async Task A_database_id_on_a_data_source_version_queries_its_data_source()
    {
        var (database, source) = Server.AddDatabase("Tasks");
        Server.AddRow(source, "Write docs");
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Server.BaseUrl, $"databases/{database}/query")) { Content = new StringContent("{}") };
        request.Headers.Authorization = new("Bearer", Server.Token);
        request.Headers.Add("Notion-Version", "2025-09-03");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        using var client = Client();
        var rows = await client.QueryDataSourceAsync($"https://www.notion.so/team/{database.Replace("-", "")}?v=0123456789abcdef0123456789abcdef");

        Assert.Equal("Write docs", Assert.Single(rows).Title);
        Assert.Equal(
            [$"POST /v1/data_sources/{database}/query", $"GET /v1/databases/{database}", $"POST /v1/data_sources/{source}/query"],
            Server.Requests.Skip(1).Select(r => $"{r.Method} {r.Path}"));
    }

    [Theory]
    [InlineData("2022-06-28", "archived")]
    [InlineData("2025-09-03", "in_trash")]
    [InlineData("2026-03-11", "in_trash")]
    public async Task Trashed_pages_are_recognised_in_every_version(string version, string field)
    {
        var page = Server.AddPage("Old notes");
        Server.Trash(page);
        using var client = Client(version);

        var result = await client.RetrievePageAsync(page);

        Assert.True(result.InTrash);
        var raw = await RawPageAsync(page, version);
        Assert.Contains($"\"{field}\":true", raw, StringComparison.Ordinal);
        if (version == "2026-03-11")
        {
            Assert.DoesNotContain("archived", raw, StringComparison.Ordinal);
        }
    }

    private async Task<string> RawPageAsync(string page, string version)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Server.BaseUrl, $"pages/{page}"));
        request.Headers.Authorization = new("Bearer", Server.Token);
        request.Headers.Add("Notion-Version", version);
        using var response = await http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Client_keeps_to_about_three_requests_per_second()
    {
        var page = Server.AddPage("Plan");
        using var client = Client();
        for (var i = 0; i < 9; i++)
        {
            await client.RetrievePageAsync(page);
        }

        // Burst of 3, then one every 1/3 s: 6 waits of 1/3 s on the virtual clock.
        Assert.Equal(9, Server.Requests.Count);
        Assert.InRange(Time.Elapsed.TotalSeconds, 1.99, 2.01);
    }

    [Fact]
    public void Options_are_validated_with_names()
    {
        var noToken = Assert.Throws<ArgumentException>(() => new NotionClient(new NotionClientOptions()));
        Assert.Contains("NOTION_TOKEN", noToken.Message, StringComparison.Ordinal);
        var badVersion = Assert.Throws<ArgumentException>(() => new NotionClient(new NotionClientOptions { Token = "t", Version = "latest" }));
        Assert.Contains("'latest'", badVersion.Message, StringComparison.Ordinal);
        Assert.Equal("2025-09-03", new NotionClientOptions().Version);
    }

    private static JsonObject Status(string value) => new()
    {
        ["Status"] = new JsonObject { ["id"] = "st", ["type"] = "select", ["select"] = new JsonObject { ["name"] = value, ["color"] = "green" } },
    };
}
