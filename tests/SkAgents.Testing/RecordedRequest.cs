using System.Text.Json;

namespace SkAgents.Testing;

/// <summary>One HTTP request received by <see cref="OpenAICompatibleServer"/>.</summary>
public sealed class RecordedRequest
{
    internal RecordedRequest(string method, string path, string queryString, IReadOnlyDictionary<string, string> headers, string body, JsonElement? json, DateTimeOffset receivedAt)
    {
        Method = method;
        Path = path;
        QueryString = queryString;
        Headers = headers;
        Body = body;
        Json = json;
        ReceivedAt = receivedAt;
    }

    /// <summary>Gets the HTTP method, e.g. <c>POST</c>.</summary>
    public string Method { get; }

    /// <summary>Gets the request path, e.g. <c>/v1/chat/completions</c>.</summary>
    public string Path { get; }

    /// <summary>Gets the query string including the leading '?', or empty.</summary>
    public string QueryString { get; }

    /// <summary>Gets the request headers (case-insensitive names; repeated headers joined with ", ").</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>Gets the raw request body.</summary>
    public string Body { get; }

    /// <summary>Gets the parsed body, or <see langword="null"/> when it is empty or not valid JSON.</summary>
    public JsonElement? Json { get; }

    /// <summary>Gets when the request arrived.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>Gets whether the body asked for a streamed (SSE) response (<c>"stream": true</c>).</summary>
    public bool IsStreaming =>
        Json is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("stream", out JsonElement stream) && stream.ValueKind == JsonValueKind.True;

    /// <summary>Gets the requested model (<c>"model"</c>), if any.</summary>
    public string? Model =>
        Json is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("model", out JsonElement model) && model.ValueKind == JsonValueKind.String
            ? model.GetString()
            : null;

    /// <summary>Gets the <c>"messages"</c> array of a chat request, or an empty list.</summary>
    public IReadOnlyList<JsonElement> Messages => GetArray("messages");

    /// <summary>Gets the <c>"tools"</c> array of a chat request, or an empty list.</summary>
    public IReadOnlyList<JsonElement> Tools => GetArray("tools");

    /// <summary>Gets the text of the last <c>user</c> message (string content or the concatenated text parts), if any.</summary>
    public string? LastUserText
    {
        get
        {
            for (int i = Messages.Count - 1; i >= 0; i--)
            {
                JsonElement message = Messages[i];
                if (message.TryGetProperty("role", out JsonElement role) && role.ValueEquals("user"))
                {
                    return ContentText(message);
                }
            }

            return null;
        }
    }

    /// <summary>Gets the tool results sent as <c>tool</c> messages: (tool_call_id, content) in order.</summary>
    public IReadOnlyList<(string ToolCallId, string Content)> ToolResults
    {
        get
        {
            var results = new List<(string, string)>();
            foreach (JsonElement message in Messages)
            {
                if (message.TryGetProperty("role", out JsonElement role) && role.ValueEquals("tool"))
                {
                    string id = message.TryGetProperty("tool_call_id", out JsonElement idElement) ? idElement.GetString() ?? string.Empty : string.Empty;
                    results.Add((id, ContentText(message) ?? string.Empty));
                }
            }

            return results;
        }
    }

    /// <summary>Gets a header value, or <see langword="null"/>.</summary>
    /// <param name="name">The header name (case-insensitive).</param>
    /// <returns>The value.</returns>
    public string? Header(string name) => Headers.TryGetValue(name, out string? value) ? value : null;

    /// <summary>Returns the text of a message's <c>content</c>: a string, or the concatenated <c>text</c> parts.</summary>
    /// <param name="message">A message object.</param>
    /// <returns>The text, or <see langword="null"/> when there is no content.</returns>
    public static string? ContentText(JsonElement message)
    {
        if (!message.TryGetProperty("content", out JsonElement content))
        {
            return null;
        }

        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return content.GetString();
            case JsonValueKind.Array:
                var builder = new System.Text.StringBuilder();
                foreach (JsonElement part in content.EnumerateArray())
                {
                    if (part.TryGetProperty("type", out JsonElement type) && type.ValueEquals("text") && part.TryGetProperty("text", out JsonElement text))
                    {
                        builder.Append(text.GetString());
                    }
                }

                return builder.ToString();
            default:
                return null;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Method} {Path}{QueryString} ({Body.Length} bytes)";

    private IReadOnlyList<JsonElement> GetArray(string name) =>
        Json is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty(name, out JsonElement array) && array.ValueKind == JsonValueKind.Array
            ? [.. array.EnumerateArray()]
            : [];
}
