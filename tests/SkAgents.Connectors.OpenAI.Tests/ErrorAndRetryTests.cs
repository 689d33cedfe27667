using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using SkAgents.Connectors.OpenAI;
using SkAgents.Testing;
using static SkAgents.Connectors.OpenAI.Tests.TestHelpers;

namespace SkAgents.Connectors.OpenAI.Tests;

public sealed class ErrorAndRetryTests : IAsyncLifetime
{
    private const string SecretKey = "sk-test-Zq8XvN3pL0rT6yWm2KcB9dFh4JsA7eGu";
    private OpenAICompatibleServer _server = null!;

    public async Task InitializeAsync() => _server = await OpenAICompatibleServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static Dictionary<string, string> Headers(string name, string value) => new() { [name] = value };

    [Fact]
    public async Task Rate_limited_with_Retry_After_is_retried_then_succeeds()
    {
        _server.Enqueue(ScriptedResponse.Error(429, "Rate limit reached for requests", code: "rate_limit_exceeded", headers: Headers("Retry-After", "1")));
        _server.Enqueue(ScriptedResponse.Text("finally"));
        var logs = new RecordingLoggerFactory();
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server, apiKey: SecretKey), logs);
        var watch = Stopwatch.StartNew();

        ChatResponse response = await client.GetResponseAsync(UserSays("x"));

        watch.Stop();
        Assert.Equal("finally", response.Text);
        Assert.Equal(2, _server.Requests.Count);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(900), $"Retry-After: 1 should delay the retry about a second, took {watch.Elapsed}");

        RecordedLogEntry warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("429", warning.Message, StringComparison.Ordinal);
        Assert.Contains("retry 1 of 3", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretKey, warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_after_ms_header_takes_precedence()
    {
        _server.Enqueue(ScriptedResponse.Error(429, "slow down", headers: new Dictionary<string, string> { ["retry-after-ms"] = "50", ["Retry-After"] = "30" }));
        _server.Enqueue(ScriptedResponse.Text("ok"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));
        var watch = Stopwatch.StartNew();

        ChatResponse response = await client.GetResponseAsync(UserSays("x"));

        Assert.Equal("ok", response.Text);
        Assert.Equal(2, _server.Requests.Count);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"retry-after-ms (50 ms) should win over Retry-After (30 s); took {watch.Elapsed}");
    }

    [Fact]
    public async Task Retry_After_http_date_is_honoured()
    {
        string date = DateTimeOffset.UtcNow.AddSeconds(-5).ToString("r", CultureInfo.InvariantCulture); // already passed: retry at once
        _server.Enqueue(ScriptedResponse.Error(503, "busy", headers: Headers("Retry-After", date)));
        _server.Enqueue(ScriptedResponse.Text("ok"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        ChatResponse response = await client.GetResponseAsync(UserSays("x"));

        Assert.Equal("ok", response.Text);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task Rate_limit_exhausted_throws_ModelRateLimitException_with_RetryAfter()
    {
        for (int i = 0; i < 3; i++)
        {
            _server.Enqueue(ScriptedResponse.Error(429, "Rate limit reached for gpt-x in organization org-1 on requests per min.", code: "rate_limit_exceeded", headers: Headers("Retry-After", "0")));
        }

        using var client = new OpenAICompatibleChatClient(OptionsFor(_server, maxRetries: 2));

        var ex = await Assert.ThrowsAsync<ModelRateLimitException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Equal(3, _server.Requests.Count); // 1 try + 2 retries
        Assert.Equal(429, ex.StatusCode);
        Assert.Equal("rate_limit_exceeded", ex.ErrorCode);
        Assert.Equal("requests", ex.ErrorType);
        Assert.Equal(TimeSpan.Zero, ex.RetryAfter);
        Assert.StartsWith("req_", ex.RequestId, StringComparison.Ordinal);
        Assert.Equal(_server.BaseUri, ex.Endpoint);
        Assert.Contains($"The model service at {_server.BaseUri} returned 429 Too Many Requests (rate_limit_exceeded): Rate limit reached", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_asking_for_longer_than_the_cap_fails_fast_without_retrying()
    {
        _server.Enqueue(ScriptedResponse.Error(429, "Come back later", headers: Headers("Retry-After", "120")));
        _server.Enqueue(ScriptedResponse.Text("should not be used"));
        OpenAICompatibleClientOptions options = OptionsFor(_server);
        options.MaxRetryDelay = TimeSpan.FromSeconds(1);
        using var client = new OpenAICompatibleChatClient(options);
        var watch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<ModelRateLimitException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Single(_server.Requests);
        Assert.Equal(TimeSpan.FromSeconds(120), ex.RetryAfter);
        Assert.Contains("retry after 120 s", ex.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(408)]
    public async Task Transient_statuses_are_retried(int status)
    {
        _server.Enqueue(ScriptedResponse.Error(status, "The server had an error while processing your request."));
        _server.Enqueue(ScriptedResponse.Text("recovered"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        ChatResponse response = await client.GetResponseAsync(UserSays("x"));

        Assert.Equal("recovered", response.Text);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task Persistent_503_fails_after_retries_with_ModelServiceException()
    {
        for (int i = 0; i < 4; i++)
        {
            _server.Enqueue(ScriptedResponse.Error(503, "The engine is currently overloaded, please try again later.", type: "server_error"));
        }

        using var client = new OpenAICompatibleChatClient(OptionsFor(_server, maxRetries: 3));

        var ex = await Assert.ThrowsAsync<ModelServiceException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Equal(4, _server.Requests.Count);
        Assert.Equal(503, ex.StatusCode);
        Assert.Equal("server_error", ex.ErrorType);
        Assert.Contains("503 Service Unavailable", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_request_is_not_retried()
    {
        _server.Enqueue(ScriptedResponse.Error(400, "Invalid value for 'temperature'.", code: "invalid_value"));
        _server.Enqueue(ScriptedResponse.Text("should not be used"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        var ex = await Assert.ThrowsAsync<ModelServiceException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Single(_server.Requests);
        Assert.Equal(400, ex.StatusCode);
        Assert.Equal("invalid_value", ex.ErrorCode);
    }

    [Fact]
    public async Task Wrong_key_gives_ModelAuthenticationException_without_leaking_the_key()
    {
        await using var server = await OpenAICompatibleServer.StartAsync(new OpenAICompatibleServerOptions { RequiredApiKey = "sk-the-right-key-0000000000" });
        var logs = new RecordingLoggerFactory();
        using var client = new OpenAICompatibleChatClient(OptionsFor(server, apiKey: SecretKey), logs);

        var ex = await Assert.ThrowsAsync<ModelAuthenticationException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Equal(401, ex.StatusCode);
        Assert.Equal("invalid_api_key", ex.ErrorCode);
        Assert.Single(server.Requests); // 401 is not retried
        Assert.StartsWith($"The model service at {server.BaseUri} returned 401 Unauthorized (invalid_api_key): Incorrect API key provided", ex.Message, StringComparison.Ordinal);

        // The server echoes a masked form (first and last characters of the key); neither it nor the key may surface.
        string masked = SecretKey[..6];
        foreach (string text in new[] { ex.Message, ex.ToString(), ex.ServiceMessage ?? string.Empty })
        {
            Assert.DoesNotContain(SecretKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(SecretKey[^4..], text, StringComparison.Ordinal);
            Assert.DoesNotContain(masked + "*", text, StringComparison.Ordinal);
        }

        Assert.Contains("[REDACTED]", ex.Message, StringComparison.Ordinal);
        Assert.All(logs.Entries, e => Assert.DoesNotContain(SecretKey, e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Key_echoed_in_full_by_a_server_is_redacted()
    {
        _server.Enqueue(ScriptedResponse.Error(403, $"Key {SecretKey} is not allowed to use this model.", type: "permission_error", code: "forbidden"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server, apiKey: SecretKey));

        var ex = await Assert.ThrowsAsync<ModelAuthenticationException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Equal(403, ex.StatusCode);
        Assert.DoesNotContain(SecretKey, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretKey, ex.ToString(), StringComparison.Ordinal);
        Assert.Contains("Key [REDACTED] is not allowed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_model_gives_ModelNotFoundException()
    {
        await using var server = await OpenAICompatibleServer.StartAsync(new OpenAICompatibleServerOptions { RejectUnknownModels = true });
        OpenAICompatibleClientOptions options = OptionsFor(server);
        options.Model = "gpt-does-not-exist";
        using var client = new OpenAICompatibleChatClient(options);

        var ex = await Assert.ThrowsAsync<ModelNotFoundException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Equal(404, ex.StatusCode);
        Assert.Equal("model_not_found", ex.ErrorCode);
        Assert.Contains("gpt-does-not-exist", ex.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Wrong_endpoint_path_gives_ModelNotFoundException()
    {
        OpenAICompatibleClientOptions options = OptionsFor(_server);
        options.Endpoint = new Uri(_server.RootUri, "wrong/");
        using var client = new OpenAICompatibleChatClient(options);

        var ex = await Assert.ThrowsAsync<ModelNotFoundException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Contains("Invalid URL (POST /wrong/chat/completions)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_json_body_gives_ModelResponseFormatException()
    {
        _server.Enqueue(ScriptedResponse.Raw(200, "application/json", """{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"""));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        var ex = await Assert.ThrowsAsync<ModelResponseFormatException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Contains("could not be parsed", ex.Message, StringComparison.Ordinal);
        Assert.Contains(_server.BaseUri.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public async Task Html_error_page_is_summarised_in_the_message()
    {
        _server.Enqueue(ScriptedResponse.Raw(502, "text/html", "<html><body><h1>502 Bad Gateway</h1>\n\n<p>nginx</p></body></html>"));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server, maxRetries: 0));

        var ex = await Assert.ThrowsAsync<ModelServiceException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Equal(502, ex.StatusCode);
        Assert.Contains("returned 502 Bad Gateway: <html><body><h1>502 Bad Gateway</h1> <p>nginx</p>", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_openai_error_shapes_are_understood()
    {
        _server.Enqueue(ScriptedResponse.Raw(400, "application/json", """{"error":"Input validation error: `inputs` must have less than 4096 tokens","error_type":"validation"}"""));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));

        var ex = await Assert.ThrowsAsync<ModelServiceException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Equal("validation", ex.ErrorType);
        Assert.Contains("must have less than 4096 tokens", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_server_is_retried_then_reported()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var logs = new RecordingLoggerFactory();
        using var client = new OpenAICompatibleChatClient(
            new OpenAICompatibleClientOptions
            {
                Endpoint = new Uri($"http://127.0.0.1:{port}/v1/"),
                Model = "m",
                MaxRetries = 1,
                InitialRetryDelay = TimeSpan.FromMilliseconds(10),
            },
            logs);

        var ex = await Assert.ThrowsAsync<ModelServiceException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Null(ex.StatusCode);
        Assert.Contains($"http://127.0.0.1:{port}/v1/", ex.Message, StringComparison.Ordinal);
        Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Network_timeout_gives_ModelTimeoutException()
    {
        _server.Enqueue(ScriptedResponse.Text("late").WithDelay(TimeSpan.FromSeconds(20)));
        OpenAICompatibleClientOptions options = OptionsFor(_server, maxRetries: 0);
        options.NetworkTimeout = TimeSpan.FromMilliseconds(300);
        using var client = new OpenAICompatibleChatClient(options);

        var ex = await Assert.ThrowsAsync<ModelTimeoutException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Contains("did not respond", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Caller_cancellation_is_not_wrapped()
    {
        _server.Enqueue(ScriptedResponse.Text("late").WithDelay(TimeSpan.FromSeconds(20)));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var watch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync(UserSays("x"), cancellationToken: cts.Token));

        Assert.IsNotAssignableFrom<ModelServiceException>(ex);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Cancellation_during_retry_wait_is_prompt()
    {
        _server.Enqueue(ScriptedResponse.Error(429, "wait", headers: Headers("Retry-After", "2")));
        using var client = new OpenAICompatibleChatClient(OptionsFor(_server));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync(UserSays("x"), cancellationToken: cts.Token));

        Assert.Single(_server.Requests);
    }
}
