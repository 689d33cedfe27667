using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SkAgents.Testing;

/// <summary>
/// A protocol-faithful OpenAI-compatible server on 127.0.0.1 (Kestrel, ephemeral port) for tests:
/// <c>POST /v1/chat/completions</c> (JSON or SSE streaming), <c>POST /v1/embeddings</c>, <c>GET /v1/models</c>.
/// Answers come from a FIFO queue of <see cref="ScriptedResponse"/>s, then <see cref="ChatHandler"/>, then a default echo.
/// Every request is recorded in <see cref="Requests"/>. Paths are also served under <c>/openai/v1/</c> (Azure v1 layout).
/// </summary>
public sealed class OpenAICompatibleServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions CompactJson = new() { WriteIndented = false };

    private readonly OpenAICompatibleServerOptions _options;
    private readonly WebApplication _app;
    private readonly Queue<ScriptedResponse> _queue = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    private OpenAICompatibleServer(OpenAICompatibleServerOptions options, WebApplication app, Uri baseUri)
    {
        _options = options;
        _app = app;
        BaseUri = baseUri;
        RootUri = new Uri(baseUri, "/");
    }

    /// <summary>Gets the API base URI, e.g. <c>http://127.0.0.1:54321/v1/</c>.</summary>
    public Uri BaseUri { get; private set; }

    /// <summary>Gets the server root, e.g. <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri RootUri { get; private set; }

    /// <summary>Gets the Azure OpenAI v1 style base URI, e.g. <c>http://127.0.0.1:54321/openai/v1/</c>.</summary>
    public Uri AzureBaseUri => new(RootUri, "openai/v1/");

    /// <summary>Gets the options the server runs with.</summary>
    public OpenAICompatibleServerOptions Options => _options;

    /// <summary>Gets a thread-safe snapshot of every request received so far, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Gets a snapshot of the chat completions requests only.</summary>
    public IReadOnlyList<RecordedRequest> ChatRequests =>
        [.. Requests.Where(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal))];

    /// <summary>Gets a snapshot of the embeddings requests only.</summary>
    public IReadOnlyList<RecordedRequest> EmbeddingRequests =>
        [.. Requests.Where(r => r.Path.EndsWith("/embeddings", StringComparison.Ordinal))];

    /// <summary>Gets how many scripted chat responses are still queued.</summary>
    public int PendingResponseCount
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Gets or sets the chat answer used when the queue is empty (lets a test emulate a model that reacts to tool results).</summary>
    public Func<RecordedRequest, ScriptedResponse>? ChatHandler { get; set; }

    /// <summary>Gets or sets the answer for <c>POST /v1/embeddings</c>; by default deterministic unit vectors derived from each input text.</summary>
    public Func<RecordedRequest, ScriptedResponse>? EmbeddingsHandler { get; set; }

    /// <summary>Starts a server on 127.0.0.1 with an ephemeral port.</summary>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    public static async Task<OpenAICompatibleServer> StartAsync(OpenAICompatibleServerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new OpenAICompatibleServerOptions();
        OpenAICompatibleServer? server = null;
        var (app, roots) = await LoopbackKestrel.StartAsync(_ => context => server!.HandleAsync(context), cancellationToken: ct).ConfigureAwait(false);
        server = new OpenAICompatibleServer(options, app, new Uri(roots[0], "v1/"));
        return server;
    }

    /// <summary>Queues an answer for the next <c>POST /v1/chat/completions</c> (FIFO).</summary>
    /// <param name="response">The answer.</param>
    public void Enqueue(ScriptedResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        lock (_gate)
        {
            _queue.Enqueue(response);
        }
    }

    /// <summary>Queues several answers in order.</summary>
    /// <param name="responses">The answers.</param>
    public void Enqueue(params ScriptedResponse[] responses)
    {
        ArgumentNullException.ThrowIfNull(responses);
        foreach (ScriptedResponse response in responses)
        {
            Enqueue(response);
        }
    }

    /// <summary>Forgets the recorded requests.</summary>
    public void ClearRequests()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    /// <summary>The deterministic unit vector the default embeddings handler returns for a text.</summary>
    /// <param name="text">The input text.</param>
    /// <param name="dimensions">The vector length.</param>
    /// <returns>The vector (L2 norm 1).</returns>
    public static float[] DeterministicEmbedding(string text, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        var vector = new float[dimensions];
        byte[] seed = Encoding.UTF8.GetBytes(text);
        int filled = 0;
        for (int block = 0; filled < dimensions; block++)
        {
            byte[] input = new byte[seed.Length + 4];
            seed.CopyTo(input, 0);
            BinaryPrimitives.WriteInt32LittleEndian(input.AsSpan(seed.Length), block);
            byte[] hash = SHA256.HashData(input);
            for (int i = 0; i + 1 < hash.Length && filled < dimensions; i += 2)
            {
                vector[filled++] = (BinaryPrimitives.ReadUInt16LittleEndian(hash.AsSpan(i)) / 32767.5f) - 1f;
            }
        }

        double norm = Math.Sqrt(vector.Sum(v => (double)v * v));
        if (norm > 0)
        {
            for (int i = 0; i < vector.Length; i++)
            {
                vector[i] = (float)(vector[i] / norm);
            }
        }

        return vector;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutdown took too long; the connections are dropped by DisposeAsync below.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    // ------------------------------------------------------------------ request handling

    private async Task HandleAsync(HttpContext context)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        CancellationToken ct = linked.Token;
        HttpRequest request = context.Request;

        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        }

        JsonElement? json = null;
        bool bodyIsJson = false;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using JsonDocument doc = JsonDocument.Parse(body);
                json = doc.RootElement.Clone();
                bodyIsJson = true;
            }
            catch (JsonException)
            {
                // Recorded as not JSON; chat/embeddings answer 400.
            }
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in request.Headers)
        {
            headers[header.Key] = header.Value.ToString();
        }

        var recorded = new RecordedRequest(request.Method, request.Path.Value ?? "/", request.QueryString.Value ?? string.Empty, headers, body, json, DateTimeOffset.UtcNow);
        lock (_gate)
        {
            _requests.Add(recorded);
        }

        context.Response.Headers["x-request-id"] = "req_" + RandomHex(32);
        context.Response.Headers["openai-version"] = "2020-10-01";

        try
        {
            await RouteAsync(context, recorded, bodyIsJson, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away or the server is stopping.
            context.Abort();
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            await WriteErrorAsync(context, 500, $"The test server failed: {ex.GetType().Name}: {ex.Message}", "server_error", null, null, ct).ConfigureAwait(false);
        }
    }

    private async Task RouteAsync(HttpContext context, RecordedRequest recorded, bool bodyIsJson, CancellationToken ct)
    {
        string path = recorded.Path;
        if (path.StartsWith("/openai/", StringComparison.Ordinal))
        {
            path = path["/openai".Length..];
        }

        path = path.TrimEnd('/');
        string method = recorded.Method;

        bool isChat = path == "/v1/chat/completions" && method == HttpMethods.Post;
        bool isEmbeddings = path == "/v1/embeddings" && method == HttpMethods.Post;
        bool isModels = (path == "/v1/models" || path.StartsWith("/v1/models/", StringComparison.Ordinal)) && method == HttpMethods.Get;

        if (!isChat && !isEmbeddings && !isModels)
        {
            await WriteErrorAsync(context, 404, $"Invalid URL ({method} {recorded.Path})", "invalid_request_error", null, null, ct).ConfigureAwait(false);
            return;
        }

        if (!IsAuthorized(recorded, out string? presented))
        {
            string shown = presented is null
                ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                : $"Incorrect API key provided: {Mask(presented)}. You can find your API key at https://platform.openai.com/account/api-keys.";
            await WriteErrorAsync(context, 401, shown, "invalid_request_error", presented is null ? null : "invalid_api_key", null, ct).ConfigureAwait(false);
            return;
        }

        if (isModels)
        {
            await HandleModelsAsync(context, path, ct).ConfigureAwait(false);
            return;
        }

        if (!bodyIsJson || recorded.Json is not { ValueKind: JsonValueKind.Object } json)
        {
            await WriteErrorAsync(
                context,
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
                "invalid_request_error",
                null,
                null,
                ct).ConfigureAwait(false);
            return;
        }

        if (recorded.Model is not { Length: > 0 } model)
        {
            await WriteErrorAsync(context, 400, "you must provide a model parameter", "invalid_request_error", null, "model", ct).ConfigureAwait(false);
            return;
        }

        if (_options.RejectUnknownModels && !IsKnownModel(model))
        {
            await WriteErrorAsync(context, 404, $"The model `{model}` does not exist or you do not have access to it.", "invalid_request_error", "model_not_found", null, ct).ConfigureAwait(false);
            return;
        }

        if (isChat)
        {
            if (!json.TryGetProperty("messages", out JsonElement messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            {
                await WriteErrorAsync(context, 400, "'messages' is a required property and must be a non-empty array.", "invalid_request_error", null, "messages", ct).ConfigureAwait(false);
                return;
            }

            ScriptedResponse response = NextChatResponse(recorded);
            await RenderAsync(context, recorded, response, isChat: true, ct).ConfigureAwait(false);
            return;
        }

        if (!json.TryGetProperty("input", out JsonElement input) || !TryReadInputs(input, out List<string>? inputs))
        {
            await WriteErrorAsync(context, 400, "'input' is a required property and must be a string or an array of strings.", "invalid_request_error", null, "input", ct).ConfigureAwait(false);
            return;
        }

        ScriptedResponse embeddings = EmbeddingsHandler?.Invoke(recorded) ?? DefaultEmbeddings(json, inputs);
        await RenderAsync(context, recorded, embeddings, isChat: false, ct).ConfigureAwait(false);
    }

    private ScriptedResponse NextChatResponse(RecordedRequest recorded)
    {
        lock (_gate)
        {
            if (_queue.TryDequeue(out ScriptedResponse? queued))
            {
                return queued;
            }
        }

        Func<RecordedRequest, ScriptedResponse>? handler = ChatHandler ?? _options.DefaultChatHandler;
        return handler is not null ? handler(recorded) : ScriptedResponse.Text("Echo: " + (recorded.LastUserText ?? string.Empty));
    }

    private bool IsAuthorized(RecordedRequest recorded, out string? presented)
    {
        presented = null;
        string? bearer = recorded.Header("Authorization");
        if (bearer is not null && bearer.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = bearer["Bearer ".Length..].Trim();
        }
        else if (recorded.Header("api-key") is { } apiKey)
        {
            presented = apiKey;
        }

        return _options.RequiredApiKey is null || string.Equals(presented, _options.RequiredApiKey, StringComparison.Ordinal);
    }

    private bool IsKnownModel(string model) =>
        model == _options.Model || model == _options.EmbeddingModel || _options.AdditionalModels.Contains(model);

    private static string Mask(string key) =>
        key.Length <= 8 ? new string('*', key.Length) : key[..Math.Min(6, key.Length / 3)] + new string('*', Math.Max(3, key.Length - 10)) + key[^4..];

    private async Task HandleModelsAsync(HttpContext context, string path, CancellationToken ct)
    {
        var ids = new List<string> { _options.Model, _options.EmbeddingModel };
        ids.AddRange(_options.AdditionalModels);
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        JsonObject ModelObject(string id) => new() { ["id"] = id, ["object"] = "model", ["created"] = created, ["owned_by"] = "skagents-test" };

        if (path.StartsWith("/v1/models/", StringComparison.Ordinal))
        {
            string id = Uri.UnescapeDataString(path["/v1/models/".Length..]);
            if (!ids.Contains(id))
            {
                await WriteErrorAsync(context, 404, $"The model '{id}' does not exist", "invalid_request_error", "model_not_found", "model", ct).ConfigureAwait(false);
                return;
            }

            await WriteJsonAsync(context, 200, ModelObject(id), ct).ConfigureAwait(false);
            return;
        }

        var data = new JsonArray();
        foreach (string id in ids.Distinct(StringComparer.Ordinal))
        {
            data.Add(ModelObject(id));
        }

        await WriteJsonAsync(context, 200, new JsonObject { ["object"] = "list", ["data"] = data }, ct).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ rendering

    private async Task RenderAsync(HttpContext context, RecordedRequest recorded, ScriptedResponse response, bool isChat, CancellationToken ct)
    {
        if (response.Delay > TimeSpan.Zero)
        {
            await Task.Delay(response.Delay, ct).ConfigureAwait(false);
        }

        foreach ((string name, string value) in response.Headers)
        {
            context.Response.Headers[name] = value;
        }

        switch (response.Kind)
        {
            case ScriptedResponseKind.Error:
                await WriteErrorAsync(context, response.StatusCode, response.ErrorMessage!, response.ErrorType, response.ErrorCode, response.ErrorParam, ct).ConfigureAwait(false);
                return;

            case ScriptedResponseKind.Raw:
                context.Response.StatusCode = response.StatusCode;
                context.Response.ContentType = response.ContentType;
                await context.Response.WriteAsync(response.RawBody!, ct).ConfigureAwait(false);
                return;

            case ScriptedResponseKind.Completion when !isChat:
            case ScriptedResponseKind.Embeddings when isChat:
                await WriteErrorAsync(context, 500, $"The test server was scripted with {response} for {recorded.Path}.", "server_error", null, null, ct).ConfigureAwait(false);
                return;

            case ScriptedResponseKind.Embeddings:
                await WriteEmbeddingsAsync(context, recorded, response, ct).ConfigureAwait(false);
                return;
        }

        string model = response.ModelOverride ?? recorded.Model ?? _options.Model;
        string id = "chatcmpl-" + RandomAlphanumeric(29);
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (recorded.IsStreaming)
        {
            bool includeUsage = recorded.Json is { } json &&
                json.TryGetProperty("stream_options", out JsonElement streamOptions) &&
                streamOptions.ValueKind == JsonValueKind.Object &&
                streamOptions.TryGetProperty("include_usage", out JsonElement include) &&
                include.ValueKind == JsonValueKind.True;
            await WriteStreamAsync(context, response, id, created, model, includeUsage, ct).ConfigureAwait(false);
        }
        else
        {
            await WriteJsonAsync(context, 200, BuildCompletion(response, id, created, model), ct).ConfigureAwait(false);
        }
    }

    private static JsonObject BuildCompletion(ScriptedResponse response, string id, long created, string model)
    {
        var message = new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = response.Content is null && response.Calls.Count > 0 ? null : (response.Content ?? string.Empty),
            ["refusal"] = null,
        };

        if (response.Calls.Count > 0)
        {
            var calls = new JsonArray();
            foreach (ScriptedToolCall call in response.Calls)
            {
                calls.Add(new JsonObject
                {
                    ["id"] = call.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.ArgumentsJson },
                });
            }

            message["tool_calls"] = calls;
        }

        message["annotations"] = new JsonArray();

        return new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new JsonArray
            {
                new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = message,
                    ["logprobs"] = null,
                    ["finish_reason"] = response.FinishReason,
                },
            },
            ["usage"] = Usage(response),
            ["service_tier"] = "default",
            ["system_fingerprint"] = "fp_skagents_test",
        };
    }

    private static JsonObject Usage(ScriptedResponse response) => new()
    {
        ["prompt_tokens"] = response.PromptTokens,
        ["completion_tokens"] = response.CompletionTokens,
        ["total_tokens"] = response.PromptTokens + response.CompletionTokens,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 0, ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject
        {
            ["reasoning_tokens"] = 0,
            ["audio_tokens"] = 0,
            ["accepted_prediction_tokens"] = 0,
            ["rejected_prediction_tokens"] = 0,
        },
    };

    private static async Task WriteStreamAsync(HttpContext context, ScriptedResponse response, string id, long created, string model, bool includeUsage, CancellationToken ct)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        int sent = 0;
        JsonObject Chunk(JsonObject delta, string? finishReason)
        {
            var chunk = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion.chunk",
                ["created"] = created,
                ["model"] = model,
                ["service_tier"] = "default",
                ["system_fingerprint"] = "fp_skagents_test",
                ["choices"] = new JsonArray
                {
                    new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason },
                },
            };
            if (includeUsage)
            {
                chunk["usage"] = null;
            }

            return chunk;
        }

        async Task SendAsync(string data)
        {
            if (response.AbortStreamAfterChunks is int limit && sent >= limit)
            {
                await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);

                // Give the flushed events time to reach the client before the connection is reset.
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
                context.Abort();
                throw new OperationCanceledException("Stream aborted by script.");
            }

            if (sent > 0 && response.StreamChunkDelay > TimeSpan.Zero)
            {
                await Task.Delay(response.StreamChunkDelay, ct).ConfigureAwait(false);
            }

            await context.Response.WriteAsync("data: " + data + "\n\n", ct).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            sent++;
        }

        try
        {
            bool hasToolCalls = response.Calls.Count > 0;
            await SendAsync(Chunk(new JsonObject { ["role"] = "assistant", ["content"] = hasToolCalls && response.Content is null ? null : string.Empty, ["refusal"] = null }, null).ToJsonString(CompactJson)).ConfigureAwait(false);

            foreach (string piece in SplitText(response.Content ?? string.Empty))
            {
                await SendAsync(Chunk(new JsonObject { ["content"] = piece }, null).ToJsonString(CompactJson)).ConfigureAwait(false);
            }

            for (int index = 0; index < response.Calls.Count; index++)
            {
                ScriptedToolCall call = response.Calls[index];
                var first = new JsonObject
                {
                    ["index"] = index,
                    ["id"] = call.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = string.Empty },
                };
                await SendAsync(Chunk(new JsonObject { ["tool_calls"] = new JsonArray { first } }, null).ToJsonString(CompactJson)).ConfigureAwait(false);

                foreach (string fragment in SplitArguments(call.ArgumentsJson))
                {
                    var next = new JsonObject { ["index"] = index, ["function"] = new JsonObject { ["arguments"] = fragment } };
                    await SendAsync(Chunk(new JsonObject { ["tool_calls"] = new JsonArray { next } }, null).ToJsonString(CompactJson)).ConfigureAwait(false);
                }
            }

            await SendAsync(Chunk(new JsonObject(), response.FinishReason).ToJsonString(CompactJson)).ConfigureAwait(false);

            if (includeUsage)
            {
                var usageChunk = new JsonObject
                {
                    ["id"] = id,
                    ["object"] = "chat.completion.chunk",
                    ["created"] = created,
                    ["model"] = model,
                    ["service_tier"] = "default",
                    ["system_fingerprint"] = "fp_skagents_test",
                    ["choices"] = new JsonArray(),
                    ["usage"] = Usage(response),
                };
                await SendAsync(usageChunk.ToJsonString(CompactJson)).ConfigureAwait(false);
            }

            await SendAsync("[DONE]").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (response.AbortStreamAfterChunks is not null && !ct.IsCancellationRequested)
        {
            // Scripted abort: the connection is already dropped.
        }
    }

    /// <summary>Splits text into word-sized deltas (at least two when the text has two or more characters).</summary>
    internal static List<string> SplitText(string text)
    {
        var pieces = new List<string>();
        if (text.Length == 0)
        {
            return pieces;
        }

        int start = 0;
        for (int i = 1; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i - 1]) && !char.IsWhiteSpace(text[i]))
            {
                pieces.Add(text[start..i]);
                start = i;
            }
        }

        pieces.Add(text[start..]);
        if (pieces.Count == 1 && text.Length >= 2)
        {
            int half = text.Length / 2;
            if (char.IsHighSurrogate(text[half - 1]))
            {
                half++;
            }

            if (half < text.Length)
            {
                pieces = [text[..half], text[half..]];
            }
        }

        return pieces;
    }

    /// <summary>Splits argument JSON into about three fragments (cut anywhere, as real servers do).</summary>
    internal static List<string> SplitArguments(string arguments)
    {
        var fragments = new List<string>();
        if (arguments.Length == 0)
        {
            return fragments;
        }

        int size = Math.Max(1, (arguments.Length + 2) / 3);
        for (int i = 0; i < arguments.Length; i += size)
        {
            int end = Math.Min(arguments.Length, i + size);
            if (end < arguments.Length && char.IsHighSurrogate(arguments[end - 1]))
            {
                end++;
            }

            fragments.Add(arguments[i..end]);
            i = end - size;
        }

        return fragments;
    }

    private static bool TryReadInputs(JsonElement input, out List<string> inputs)
    {
        inputs = [];
        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                inputs.Add(input.GetString()!);
                return true;
            case JsonValueKind.Array when input.GetArrayLength() > 0:
                foreach (JsonElement item in input.EnumerateArray())
                {
                    switch (item.ValueKind)
                    {
                        case JsonValueKind.String:
                            inputs.Add(item.GetString()!);
                            break;
                        case JsonValueKind.Number:
                        case JsonValueKind.Array:
                            inputs.Add(item.GetRawText()); // token ids
                            break;
                        default:
                            return false;
                    }
                }

                return true;
            default:
                return false;
        }
    }

    private ScriptedResponse DefaultEmbeddings(JsonElement json, List<string> inputs)
    {
        int dimensions = json.TryGetProperty("dimensions", out JsonElement d) && d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out int requested) && requested > 0
            ? requested
            : _options.EmbeddingDimensions;
        return ScriptedResponse.Embeddings([.. inputs.Select(text => DeterministicEmbedding(text, dimensions))]);
    }

    private async Task WriteEmbeddingsAsync(HttpContext context, RecordedRequest recorded, ScriptedResponse response, CancellationToken ct)
    {
        JsonElement json = recorded.Json!.Value;
        bool base64 = json.TryGetProperty("encoding_format", out JsonElement format) && format.ValueEquals("base64");
        List<string> inputs = json.TryGetProperty("input", out JsonElement input) && TryReadInputs(input, out List<string> read) ? read : [];
        int tokens = inputs.Sum(text => Math.Max(1, text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length));

        var data = new JsonArray();
        IReadOnlyList<float[]> vectors = response.EmbeddingVectors ?? [];
        for (int i = 0; i < vectors.Count; i++)
        {
            JsonNode embedding;
            if (base64)
            {
                byte[] bytes = new byte[vectors[i].Length * sizeof(float)];
                for (int j = 0; j < vectors[i].Length; j++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(j * sizeof(float)), vectors[i][j]);
                }

                embedding = JsonValue.Create(Convert.ToBase64String(bytes));
            }
            else
            {
                var array = new JsonArray();
                foreach (float value in vectors[i])
                {
                    array.Add(value);
                }

                embedding = array;
            }

            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = embedding });
        }

        var body = new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = response.ModelOverride ?? recorded.Model ?? _options.EmbeddingModel,
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        };
        await WriteJsonAsync(context, 200, body, ct).ConfigureAwait(false);
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string message, string? type, string? code, string? param, CancellationToken ct)
    {
        var error = new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["message"] = message,
                ["type"] = type ?? ScriptedResponse.DefaultErrorType(status),
                ["param"] = param,
                ["code"] = code,
            },
        };
        await WriteJsonAsync(context, status, error, ct).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonNode body, CancellationToken ct)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(CompactJson), ct).ConfigureAwait(false);
    }

    private static string RandomHex(int length) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes((length + 1) / 2))[..length];

    private static string RandomAlphanumeric(int length) =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", length);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"OpenAICompatibleServer at {BaseUri}");
}
