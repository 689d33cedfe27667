using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SkAgents.Connectors.OpenAI;

/// <summary>Turns SDK, transport and parse failures into <see cref="ModelServiceException"/>s with redacted, readable messages.</summary>
internal static class ModelErrorMapper
{
    private const int MaxBodySnippet = 300;

    /// <summary>
    /// Maps <paramref name="exception"/>. Returns <see langword="false"/> when it must propagate unchanged:
    /// caller cancellation, or an exception that is already a <see cref="ModelServiceException"/>.
    /// </summary>
    public static bool TryMap(
        Exception exception,
        OpenAICompatibleClientOptions options,
        bool streaming,
        CancellationToken cancellationToken,
        [NotNullWhen(true)] out Exception? mapped)
    {
        mapped = null;
        if (exception is ModelServiceException)
        {
            return false;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            if (exception is OperationCanceledException)
            {
                return false;
            }

            // The read was aborted because the caller cancelled: report the cancellation, not the symptom.
            mapped = new OperationCanceledException("The model request was canceled.", exception, cancellationToken);
            return true;
        }

        mapped = Map(exception, options, streaming);
        return true;
    }

    private static Exception Map(Exception exception, OpenAICompatibleClientOptions options, bool streaming)
    {
        string endpoint = SecretRedactor.DescribeEndpoint(options.Endpoint);
        string? key = options.ApiKey;

        switch (exception)
        {
            case AggregateException aggregate when aggregate.InnerExceptions.Count > 0:
                return Map(aggregate.InnerExceptions[^1], options, streaming);

            case ClientResultException cre when cre.GetRawResponse() is { } response && response.Status != 0:
                return FromResponse(response, options);

            case ClientResultException cre:
                {
                    Exception cause = cre.InnerException ?? cre;
                    string text = SecretRedactor.Redact($"Could not reach the model service at {endpoint}: {cause.Message}", key);
                    return new ModelServiceException(text, new ModelServiceErrorDetails(options.Endpoint), SafeInner(cre.InnerException, key));
                }

            case OperationCanceledException oce:
                return new ModelTimeoutException(
                    $"The model service at {endpoint} did not respond within the network timeout of {options.NetworkTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.",
                    new ModelServiceErrorDetails(options.Endpoint),
                    oce);

            case HttpRequestException or IOException:
                {
                    string text = SecretRedactor.Redact(
                        $"The connection to the model service at {endpoint} failed{(streaming ? " while streaming" : string.Empty)}: {exception.Message}", key);
                    return new ModelServiceException(text, new ModelServiceErrorDetails(options.Endpoint), SafeInner(exception, key));
                }

            default:
                {
                    string what = streaming ? "a streamed chunk (SSE event)" : "a response";
                    string text = SecretRedactor.Redact(
                        $"The model service at {endpoint} returned {what} that could not be parsed as an OpenAI chat completions/embeddings payload: {exception.Message}", key);
                    return new ModelResponseFormatException(text, new ModelServiceErrorDetails(options.Endpoint), SafeInner(exception, key));
                }
        }
    }

    /// <summary>Maps an error status response (after the retry policy gave up).</summary>
    public static ModelServiceException FromResponse(PipelineResponse response, OpenAICompatibleClientOptions options)
    {
        string endpoint = SecretRedactor.DescribeEndpoint(options.Endpoint);
        string? key = options.ApiKey;
        int status = response.Status;
        string reason = string.IsNullOrWhiteSpace(response.ReasonPhrase) ? DefaultReason(status) : response.ReasonPhrase;

        string? body = TryReadBody(response);
        ParseErrorBody(body, out string? serviceMessage, out string? type, out string? code, out string? param);
        serviceMessage ??= Snippet(body);
        serviceMessage = SecretRedactor.Redact(serviceMessage, key);

        string? requestId = Header(response, "x-request-id") ?? Header(response, "apim-request-id") ?? Header(response, "request-id");
        var details = new ModelServiceErrorDetails(
            options.Endpoint,
            status,
            SecretRedactor.Redact(code, key).NullIfEmpty(),
            SecretRedactor.Redact(type, key).NullIfEmpty(),
            SecretRedactor.Redact(param, key).NullIfEmpty(),
            serviceMessage.NullIfEmpty(),
            SecretRedactor.Redact(requestId, key).NullIfEmpty());

        var text = new StringBuilder();
        text.Append("The model service at ").Append(endpoint).Append(" returned ")
            .Append(status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(reason);
        if (details.ErrorCode is not null)
        {
            text.Append(" (").Append(details.ErrorCode).Append(')');
        }

        text.Append(": ").Append(string.IsNullOrWhiteSpace(serviceMessage) ? "(no error details)" : serviceMessage.TrimEnd());

        TimeSpan? retryAfter = null;
        if (status == 429)
        {
            retryAfter = OpenAICompatibleRetryPolicy.GetServerRetryDelay(response.Headers, DateTimeOffset.UtcNow);
            if (retryAfter is { } wait)
            {
                AppendSentenceEnd(text);
                text.Append(" The service asked to retry after ").Append(FormatDelay(wait)).Append('.');
            }
        }

        if (status == 404 && details.ErrorCode is null or "model_not_found")
        {
            AppendSentenceEnd(text);
            text.Append(" Check the model (deployment) name and the endpoint path.");
        }

        if (details.RequestId is not null)
        {
            AppendSentenceEnd(text);
            text.Append(" Request id: ").Append(details.RequestId).Append('.');
        }

        string message = SecretRedactor.Redact(text.ToString(), key);
        return status switch
        {
            401 or 403 => new ModelAuthenticationException(message, details),
            404 => new ModelNotFoundException(message, details),
            429 => new ModelRateLimitException(message, details, retryAfter),
            _ => new ModelServiceException(message, details),
        };
    }

    /// <summary>Reads the OpenAI error envelope and the shapes other servers use.</summary>
    internal static void ParseErrorBody(string? body, out string? message, out string? type, out string? code, out string? param)
    {
        message = type = code = param = null;
        if (string.IsNullOrWhiteSpace(body))
        {
            return;
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(body);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            if (root.TryGetProperty("error", out JsonElement error))
            {
                if (error.ValueKind == JsonValueKind.Object)
                {
                    message = AsText(error, "message");
                    type = AsText(error, "type");
                    code = AsText(error, "code");
                    param = AsText(error, "param");
                }
                else if (error.ValueKind == JsonValueKind.String)
                {
                    // TGI / Ollama style: {"error": "...", "error_type": "..."}
                    message = error.GetString();
                    type = AsText(root, "error_type") ?? AsText(root, "type");
                    code = AsText(root, "code");
                }
            }
            else
            {
                // FastAPI style {"detail": ...} or a bare {"message": ...}.
                message = AsText(root, "message") ?? AsText(root, "detail");
                type = AsText(root, "type");
                code = AsText(root, "code");
            }
        }
        catch (JsonException)
        {
            // Not JSON: the caller falls back to a snippet of the body.
        }
    }

    private static string? AsText(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out JsonElement value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            JsonValueKind.Object or JsonValueKind.Array => value.GetRawText(),
            _ => null,
        };
    }

    private static string? TryReadBody(PipelineResponse response)
    {
        try
        {
            BinaryData content;
            try
            {
                content = response.Content;
            }
            catch (InvalidOperationException)
            {
                content = response.BufferContent();
            }

            return content.ToMemory().Length == 0 ? null : content.ToString();
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or ObjectDisposedException or NotSupportedException or DecoderFallbackException)
        {
            return null;
        }
    }

    private static string? Snippet(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        var builder = new StringBuilder(Math.Min(body.Length, MaxBodySnippet));
        bool lastWasSpace = false;
        foreach (char c in body)
        {
            bool space = char.IsWhiteSpace(c) || char.IsControl(c);
            if (space && lastWasSpace)
            {
                continue;
            }

            builder.Append(space ? ' ' : c);
            lastWasSpace = space;
            if (builder.Length >= MaxBodySnippet)
            {
                builder.Append('…');
                break;
            }
        }

        return builder.ToString().Trim();
    }

    private static string? Header(PipelineResponse response, string name) =>
        response.Headers.TryGetValue(name, out string? value) && !string.IsNullOrWhiteSpace(value) ? value : null;

    private static Exception? SafeInner(Exception? inner, string? key)
    {
        if (inner is null)
        {
            return null;
        }

        // Keep the cause unless its text would leak the key; ToString() includes inner exceptions.
        string text = inner.ToString();
        return string.IsNullOrEmpty(key) || SecretRedactor.Redact(text, key) == text ? inner : null;
    }

    private static void AppendSentenceEnd(StringBuilder text)
    {
        char last = text.Length > 0 ? text[^1] : '.';
        if (last is not ('.' or '!' or '?' or '…'))
        {
            text.Append('.');
        }
    }

    private static string FormatDelay(TimeSpan delay) =>
        delay.TotalSeconds >= 1
            ? delay.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s"
            : ((long)delay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + " ms";

    private static string DefaultReason(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };

    private static string? NullIfEmpty(this string? value) => string.IsNullOrEmpty(value) ? null : value;
}
