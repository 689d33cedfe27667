using System.Net;
using System.Text;
using System.Text.Json;
using SkAgents.Testing;

namespace SkAgents.Connectors.OpenAI.Tests;

/// <summary>Checks the test server's wire format directly with HttpClient, independent of the connector.</summary>
public sealed class TestServerWireFormatTests : IAsyncLifetime
{
    private OpenAICompatibleServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _server = await OpenAICompatibleServer.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_server.BaseUri, path))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        return await _http.SendAsync(request);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using JsonDocument doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Listens_on_loopback_with_an_ephemeral_port()
    {
        Assert.Equal("127.0.0.1", _server.BaseUri.Host);
        Assert.NotEqual(0, _server.BaseUri.Port);
        Assert.Equal("/v1/", _server.BaseUri.AbsolutePath);
    }

    [Fact]
    public async Task Non_streaming_completion_has_the_OpenAI_shape()
    {
        _server.Enqueue(ScriptedResponse.Text("hi", 3, 2));

        using HttpResponseMessage response = await PostAsync("chat/completions", """{"model":"test-model","messages":[{"role":"user","content":"x"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("req_", response.Headers.GetValues("x-request-id").Single(), StringComparison.Ordinal);
        JsonElement body = await JsonAsync(response);
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.True(body.GetProperty("created").GetInt64() > 1_600_000_000);
        Assert.Equal("test-model", body.GetProperty("model").GetString());
        JsonElement choice = body.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("hi", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        JsonElement usage = body.GetProperty("usage");
        Assert.Equal((3, 2, 5), (usage.GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32()));
    }

    [Fact]
    public async Task Streaming_is_faithful_SSE_with_fragmented_tool_calls_usage_and_DONE()
    {
        _server.Enqueue(ScriptedResponse.ToolCalls(new ScriptedToolCall("call_1", "f", """{"alpha":1,"beta":"two"}""")));

        using HttpResponseMessage response = await PostAsync(
            "chat/completions",
            """{"model":"test-model","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}""");

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        string[] events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);

        JsonElement[] chunks = [.. events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.Clone())];
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());

        JsonElement[] toolDeltas = [.. chunks
            .Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Where(d => d.TryGetProperty("tool_calls", out _))
            .Select(d => d.GetProperty("tool_calls")[0])];
        Assert.True(toolDeltas.Length >= 3);
        Assert.Equal("call_1", toolDeltas[0].GetProperty("id").GetString());
        Assert.Equal("f", toolDeltas[0].GetProperty("function").GetProperty("name").GetString());
        Assert.All(toolDeltas[1..], d =>
        {
            Assert.False(d.TryGetProperty("id", out _));
            Assert.False(d.GetProperty("function").TryGetProperty("name", out _));
            Assert.Equal(0, d.GetProperty("index").GetInt32());
        });
        Assert.Equal("""{"alpha":1,"beta":"two"}""", string.Concat(toolDeltas.Select(d => d.GetProperty("function").GetProperty("arguments").GetString())));

        JsonElement finish = chunks[^2];
        Assert.Equal("tool_calls", finish.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        JsonElement usageChunk = chunks[^1];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.True(usageChunk.GetProperty("usage").GetProperty("total_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task Streaming_without_include_usage_sends_no_usage_chunk()
    {
        _server.Enqueue(ScriptedResponse.Text("a b c"));

        using HttpResponseMessage response = await PostAsync("chat/completions", """{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}""");

        string text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("\"usage\"", text, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{not json", null)]
    [InlineData("""{"messages":[{"role":"user","content":"x"}]}""", "model")]
    [InlineData("""{"model":"m"}""", "messages")]
    [InlineData("""{"model":"m","messages":[]}""", "messages")]
    public async Task Invalid_requests_get_400_with_the_error_envelope(string body, string? param)
    {
        using HttpResponseMessage response = await PostAsync("chat/completions", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement error = (await JsonAsync(response)).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Unknown_path_gets_404()
    {
        using HttpResponseMessage response = await PostAsync("nope", "{}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Invalid URL", (await JsonAsync(response)).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_endpoint_lists_the_model()
    {
        JsonElement body = await JsonAsync(await _http.GetAsync(new Uri(_server.BaseUri, "models")));

        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.Contains(body.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "test-model" && m.GetProperty("object").GetString() == "model");
    }

    [Fact]
    public async Task Wrong_bearer_key_gets_401_invalid_api_key()
    {
        await using var server = await OpenAICompatibleServer.StartAsync(new OpenAICompatibleServerOptions { RequiredApiKey = "sk-right-123456789" });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUri, "models"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sk-wrong-123456789");

        using HttpResponseMessage response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        JsonElement error = (await JsonAsync(response)).GetProperty("error");
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.DoesNotContain("sk-wrong-123456789", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embeddings_default_to_float_arrays()
    {
        using HttpResponseMessage response = await PostAsync("embeddings", """{"model":"test-embedding-model","input":["a","b"],"dimensions":4}""");

        JsonElement body = await JsonAsync(response);
        Assert.Equal("list", body.GetProperty("object").GetString());
        JsonElement[] data = [.. body.GetProperty("data").EnumerateArray()];
        Assert.Equal(2, data.Length);
        Assert.Equal("embedding", data[1].GetProperty("object").GetString());
        Assert.Equal(1, data[1].GetProperty("index").GetInt32());
        Assert.Equal(4, data[0].GetProperty("embedding").GetArrayLength());
        Assert.Equal(2, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public void Deterministic_embeddings_are_stable_unit_vectors()
    {
        float[] a = OpenAICompatibleServer.DeterministicEmbedding("hello", 32);
        float[] b = OpenAICompatibleServer.DeterministicEmbedding("hello", 32);
        float[] c = OpenAICompatibleServer.DeterministicEmbedding("world", 32);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(1.0, Math.Sqrt(a.Sum(v => (double)v * v)), 4);
    }
}
