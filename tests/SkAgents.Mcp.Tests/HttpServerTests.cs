using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ModelContextProtocol.Client;
using SkAgents.Cli.Tests;

namespace SkAgents.Mcp.Tests;

/// <summary>
/// <c>skagents mcp serve --http</c> as a separate process: the MCP SDK's client over streamable HTTP, and the transport's
/// HTTP rules (token, Origin, Accept, sessions) checked request by request.
/// </summary>
public sealed class HttpServerTests(HttpServerTests.ServerFixture fixture) : IClassFixture<HttpServerTests.ServerFixture>, IDisposable
{
    private const string Token = "test-token-0123456789";
    private const string Initialize =
        """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""";

    private readonly HttpClient _http = new();
    private readonly HttpServerProcess _server = fixture.Server;
    private readonly TempDirectory _work = fixture.Work;

    public void Dispose() => _http.Dispose();

    /// <summary>One server process for the class; each test opens its own sessions.</summary>
    public sealed class ServerFixture : IAsyncLifetime
    {
        internal TempDirectory Work { get; } = new();

        internal HttpServerProcess Server { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Work.Write("notes/todo.txt", "buy milk\ncall Ada\n");
            Server = await HttpServerProcess.StartAsync(Work.Path, "--token", Token);
        }

        public async Task DisposeAsync()
        {
            await Server.DisposeAsync();
            Work.Dispose();
        }
    }

    private Task<McpClient> ConnectAsync(McpClientOptions? options = null) =>
        McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = _server.Endpoint,
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + Token },
            }),
            options);

    [Fact]
    public void Listens_on_loopback_only_by_default()
    {
        Assert.Equal("127.0.0.1", _server.Endpoint.Host);
        Assert.Equal("/mcp", _server.Endpoint.AbsolutePath);
    }

    [Fact]
    public async Task The_sdk_client_lists_and_calls_tools_over_streamable_http()
    {
        await using var client = await ConnectAsync();

        var tools = await client.ListToolsAsync();
        var result = await client.CallToolAsync("files_read", new Dictionary<string, object?> { ["path"] = "notes/todo.txt" });

        Assert.Contains(tools, t => t.Name == "time_now");
        Assert.Contains(tools, t => t.Name == "files_write");
        Assert.NotEqual(true, result.IsError);
        Assert.Contains("buy milk", SkAgentsMcpProcess.Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tools_are_usable_as_ai_functions_like_semantic_kernel_imports_them()
    {
        await using var client = await ConnectAsync();
        var read = (await client.ListToolsAsync()).Single(t => t.Name == "files_read");

        // McpClientTool is an AIFunction: this is the call SK makes after AsKernelFunction().
        var result = await read.InvokeAsync(new Microsoft.Extensions.AI.AIFunctionArguments { ["path"] = "notes/todo.txt" });

        Assert.Contains("call Ada", result?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Elicitation_works_over_http_for_approval_required_tools()
    {
        var questions = new List<string>();
        await using var client = await ConnectAsync(SkAgentsMcpProcess.Approving(true, questions));

        var result = await client.CallToolAsync("files_write", new Dictionary<string, object?> { ["path"] = "http.txt", ["content"] = "via http" });

        Assert.NotEqual(true, result.IsError);
        Assert.Single(questions);
        Assert.Equal("via http", await File.ReadAllTextAsync(Path.Combine(_work.Path, "http.txt")));
    }

    [Fact]
    public async Task A_request_without_the_token_gets_401_with_a_bearer_challenge()
    {
        using var response = await _http.SendAsync(Post(Initialize, token: null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_wrong_token_gets_401()
    {
        using var response = await _http.SendAsync(Post(Initialize, token: "wrong"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_foreign_browser_origin_gets_403()
    {
        var request = Post(Initialize);
        request.Headers.Add("Origin", "https://attacker.example");
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_loopback_origin_is_allowed()
    {
        var request = Post(Initialize);
        request.Headers.Add("Origin", "http://localhost:3000");
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(response.Headers.GetValues("Mcp-Session-Id").Single());
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"serverInfo\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_post_that_does_not_accept_event_streams_gets_406()
    {
        var request = Post(Initialize);
        request.Headers.Accept.Clear();
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }

    [Fact]
    public async Task A_body_that_is_not_json_gets_400_parse_error()
    {
        using var response = await _http.SendAsync(Post("{ not json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("-32700", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_json_content_type_gets_415()
    {
        var request = Post(Initialize);
        request.Content = new StringContent(Initialize, Encoding.UTF8, "text/plain");
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task A_request_other_than_initialize_without_a_session_gets_400()
    {
        using var response = await _http.SendAsync(Post("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task An_unknown_session_gets_404()
    {
        var request = Post("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}""");
        request.Headers.Add("Mcp-Session-Id", "no-such-session");
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task An_unsupported_protocol_version_header_gets_400()
    {
        var request = Post(Initialize);
        request.Headers.Add("MCP-Protocol-Version", "1999-01-01");
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_notification_gets_202_and_delete_ends_the_session()
    {
        using var initialized = await _http.SendAsync(Post(Initialize));
        var session = initialized.Headers.GetValues("Mcp-Session-Id").Single();

        var notification = Post("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        notification.Headers.Add("Mcp-Session-Id", session);
        using var accepted = await _http.SendAsync(notification);

        var delete = new HttpRequestMessage(HttpMethod.Delete, _server.Endpoint);
        delete.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        delete.Headers.Add("Mcp-Session-Id", session);
        using var deleted = await _http.SendAsync(delete);

        var after = Post("""{"jsonrpc":"2.0","id":3,"method":"tools/list"}""");
        after.Headers.Add("Mcp-Session-Id", session);
        using var gone = await _http.SendAsync(after);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Other_methods_get_405()
    {
        var put = new HttpRequestMessage(HttpMethod.Put, _server.Endpoint) { Content = new StringContent(Initialize, Encoding.UTF8, "application/json") };
        put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await _http.SendAsync(put);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    private HttpRequestMessage Post(string json, string? token = Token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _server.Endpoint) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }
}
