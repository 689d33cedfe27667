namespace SkAgents.Testing;

/// <summary>A tool call the scripted model makes.</summary>
/// <param name="Id">The call id, e.g. <c>call_1</c>.</param>
/// <param name="Name">The function name.</param>
/// <param name="ArgumentsJson">The arguments as JSON text (sent verbatim, so it may be malformed on purpose).</param>
public sealed record ScriptedToolCall(string Id, string Name, string ArgumentsJson);

/// <summary>What kind of answer a <see cref="ScriptedResponse"/> gives.</summary>
public enum ScriptedResponseKind
{
    /// <summary>An assistant message (text and/or tool calls), rendered as JSON or SSE as the request asks.</summary>
    Completion,

    /// <summary>An error status with the OpenAI error envelope.</summary>
    Error,

    /// <summary>A raw status, content type and body, sent verbatim.</summary>
    Raw,

    /// <summary>An embeddings list with given vectors.</summary>
    Embeddings,
}

/// <summary>
/// One scripted answer of <see cref="OpenAICompatibleServer"/>. The same completion renders as a <c>chat.completion</c>
/// JSON body, or as an SSE stream of <c>chat.completion.chunk</c>s when the request has <c>"stream": true</c>.
/// Instances are immutable; the <c>With…</c> methods return modified copies.
/// </summary>
public sealed class ScriptedResponse
{
    private ScriptedResponse(ScriptedResponseKind kind)
    {
        Kind = kind;
    }

    private ScriptedResponse(ScriptedResponse other)
    {
        Kind = other.Kind;
        StatusCode = other.StatusCode;
        Content = other.Content;
        Calls = other.Calls;
        FinishReason = other.FinishReason;
        PromptTokens = other.PromptTokens;
        CompletionTokens = other.CompletionTokens;
        ErrorMessage = other.ErrorMessage;
        ErrorType = other.ErrorType;
        ErrorCode = other.ErrorCode;
        ErrorParam = other.ErrorParam;
        ContentType = other.ContentType;
        RawBody = other.RawBody;
        Headers = other.Headers;
        Delay = other.Delay;
        StreamChunkDelay = other.StreamChunkDelay;
        ModelOverride = other.ModelOverride;
        EmbeddingVectors = other.EmbeddingVectors;
        AbortStreamAfterChunks = other.AbortStreamAfterChunks;
    }

    /// <summary>Gets the kind of answer.</summary>
    public ScriptedResponseKind Kind { get; }

    /// <summary>Gets the HTTP status (200 for completions and embeddings).</summary>
    public int StatusCode { get; private set; } = 200;

    /// <summary>Gets the assistant text, if any.</summary>
    public string? Content { get; private set; }

    /// <summary>Gets the tool calls, if any.</summary>
    public IReadOnlyList<ScriptedToolCall> Calls { get; private set; } = [];

    /// <summary>Gets the finish reason (<c>stop</c>, <c>length</c>, <c>tool_calls</c>, <c>content_filter</c>).</summary>
    public string FinishReason { get; private set; } = "stop";

    /// <summary>Gets the reported prompt token count.</summary>
    public int PromptTokens { get; private set; } = 10;

    /// <summary>Gets the reported completion token count.</summary>
    public int CompletionTokens { get; private set; } = 5;

    /// <summary>Gets the error message of an error response.</summary>
    public string? ErrorMessage { get; private set; }

    /// <summary>Gets the <c>error.type</c> of an error response.</summary>
    public string? ErrorType { get; private set; }

    /// <summary>Gets the <c>error.code</c> of an error response.</summary>
    public string? ErrorCode { get; private set; }

    /// <summary>Gets the <c>error.param</c> of an error response.</summary>
    public string? ErrorParam { get; private set; }

    /// <summary>Gets the content type of a raw response.</summary>
    public string? ContentType { get; private set; }

    /// <summary>Gets the body of a raw response.</summary>
    public string? RawBody { get; private set; }

    /// <summary>Gets extra response headers (e.g. <c>Retry-After</c>).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; private set; } = new Dictionary<string, string>();

    /// <summary>Gets the wait before the server starts answering (to test timeouts and cancellation).</summary>
    public TimeSpan Delay { get; private set; }

    /// <summary>Gets the wait between SSE events of a streamed answer (to test cancellation mid-stream).</summary>
    public TimeSpan StreamChunkDelay { get; private set; }

    /// <summary>Gets the model name reported in the answer instead of the requested one, if set.</summary>
    public string? ModelOverride { get; private set; }

    /// <summary>Gets the vectors of an embeddings answer.</summary>
    public IReadOnlyList<float[]>? EmbeddingVectors { get; private set; }

    /// <summary>Gets after how many SSE events the server drops the connection without finishing, if set.</summary>
    public int? AbortStreamAfterChunks { get; private set; }

    /// <summary>An assistant text answer.</summary>
    /// <param name="text">The text; streamed as several deltas.</param>
    /// <param name="promptTokens">Reported prompt tokens.</param>
    /// <param name="completionTokens">Reported completion tokens.</param>
    /// <param name="finishReason">The finish reason.</param>
    /// <returns>The response.</returns>
    public static ScriptedResponse Text(string text, int promptTokens = 10, int completionTokens = 5, string finishReason = "stop")
    {
        ArgumentNullException.ThrowIfNull(text);
        return new ScriptedResponse(ScriptedResponseKind.Completion)
        {
            Content = text,
            PromptTokens = promptTokens,
            CompletionTokens = completionTokens,
            FinishReason = finishReason,
        };
    }

    /// <summary>An assistant answer that calls tools (finish reason <c>tool_calls</c>); streamed arguments are split into fragments.</summary>
    /// <param name="calls">The calls.</param>
    /// <returns>The response.</returns>
    public static ScriptedResponse ToolCalls(params ScriptedToolCall[] calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        if (calls.Length == 0)
        {
            throw new ArgumentException("At least one tool call is required.", nameof(calls));
        }

        return new ScriptedResponse(ScriptedResponseKind.Completion)
        {
            Calls = [.. calls],
            FinishReason = "tool_calls",
            CompletionTokens = 20,
        };
    }

    /// <summary>An error with the OpenAI envelope <c>{"error":{"message","type","param","code"}}</c>.</summary>
    /// <param name="status">The HTTP status, e.g. 429.</param>
    /// <param name="message">The error message.</param>
    /// <param name="type">The error type; defaults by status (e.g. <c>invalid_request_error</c>, <c>server_error</c>).</param>
    /// <param name="code">The error code, e.g. <c>rate_limit_exceeded</c>.</param>
    /// <param name="headers">Extra headers, e.g. <c>Retry-After</c>.</param>
    /// <returns>The response.</returns>
    public static ScriptedResponse Error(int status, string message, string? type = null, string? code = null, IDictionary<string, string>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new ScriptedResponse(ScriptedResponseKind.Error)
        {
            StatusCode = status,
            ErrorMessage = message,
            ErrorType = type ?? DefaultErrorType(status),
            ErrorCode = code,
            Headers = Copy(headers),
        };
    }

    /// <summary>A raw answer sent verbatim (e.g. malformed JSON, or a hand-written SSE stream).</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="contentType">The content type.</param>
    /// <param name="body">The body.</param>
    /// <param name="headers">Extra headers.</param>
    /// <returns>The response.</returns>
    public static ScriptedResponse Raw(int status, string contentType, string body, IDictionary<string, string>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        ArgumentNullException.ThrowIfNull(body);
        return new ScriptedResponse(ScriptedResponseKind.Raw)
        {
            StatusCode = status,
            ContentType = contentType,
            RawBody = body,
            Headers = Copy(headers),
        };
    }

    /// <summary>An embeddings answer with the given vectors (one per input).</summary>
    /// <param name="vectors">The vectors.</param>
    /// <returns>The response.</returns>
    public static ScriptedResponse Embeddings(params float[][] vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        return new ScriptedResponse(ScriptedResponseKind.Embeddings) { EmbeddingVectors = [.. vectors] };
    }

    /// <summary>Returns a copy that waits before answering.</summary>
    /// <param name="delay">The wait.</param>
    /// <returns>The copy.</returns>
    public ScriptedResponse WithDelay(TimeSpan delay) => new(this) { Delay = delay };

    /// <summary>Returns a copy that waits between SSE events when streamed.</summary>
    /// <param name="delay">The wait between events.</param>
    /// <returns>The copy.</returns>
    public ScriptedResponse WithStreamChunkDelay(TimeSpan delay) => new(this) { StreamChunkDelay = delay };

    /// <summary>Returns a copy with an extra response header.</summary>
    /// <param name="name">The header name.</param>
    /// <param name="value">The value.</param>
    /// <returns>The copy.</returns>
    public ScriptedResponse WithHeader(string name, string value)
    {
        var headers = new Dictionary<string, string>(Headers, StringComparer.OrdinalIgnoreCase) { [name] = value };
        return new(this) { Headers = headers };
    }

    /// <summary>Returns a copy that also carries assistant text (e.g. text before tool calls).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The copy.</returns>
    public ScriptedResponse WithText(string text) => new(this) { Content = text };

    /// <summary>Returns a copy that reports a different model name than the requested one.</summary>
    /// <param name="model">The model name.</param>
    /// <returns>The copy.</returns>
    public ScriptedResponse WithModel(string model) => new(this) { ModelOverride = model };

    /// <summary>Returns a copy with different token counts.</summary>
    /// <param name="promptTokens">Prompt tokens.</param>
    /// <param name="completionTokens">Completion tokens.</param>
    /// <returns>The copy.</returns>
    public ScriptedResponse WithUsage(int promptTokens, int completionTokens) => new(this) { PromptTokens = promptTokens, CompletionTokens = completionTokens };

    /// <summary>Returns a copy with a different finish reason.</summary>
    /// <param name="finishReason">The finish reason.</param>
    /// <returns>The copy.</returns>
    public ScriptedResponse WithFinishReason(string finishReason) => new(this) { FinishReason = finishReason };

    /// <summary>Returns a copy whose SSE stream is cut (connection aborted) after <paramref name="chunks"/> events.</summary>
    /// <param name="chunks">The number of events sent before the abort.</param>
    /// <returns>The copy.</returns>
    public ScriptedResponse WithStreamAbortAfter(int chunks) => new(this) { AbortStreamAfterChunks = chunks };

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        ScriptedResponseKind.Completion => Calls.Count > 0 ? $"ToolCalls({string.Join(", ", Calls.Select(c => c.Name))})" : $"Text({Content})",
        ScriptedResponseKind.Error => $"Error({StatusCode}, {ErrorMessage})",
        ScriptedResponseKind.Raw => $"Raw({StatusCode}, {ContentType})",
        _ => $"Embeddings({EmbeddingVectors?.Count})",
    };

    internal static string DefaultErrorType(int status) => status switch
    {
        429 => "requests",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static Dictionary<string, string> Copy(IDictionary<string, string>? headers) =>
        headers is null ? new(StringComparer.OrdinalIgnoreCase) : new(headers, StringComparer.OrdinalIgnoreCase);
}
