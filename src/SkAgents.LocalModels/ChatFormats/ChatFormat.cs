using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkAgents.LocalModels.ChatFormats;

/// <summary>
/// How one model family expects a conversation to be written as prompt text, and how its answers (including tool calls)
/// are read back. Each family has its own native tool-calling convention; see the derived classes.
/// </summary>
/// <remarks>
/// Formats are stateless and thread-safe. Use <see cref="CreateOutputParser"/> for one parser per generation.
/// </remarks>
public abstract class ChatFormat
{
    /// <summary>Gets the format's name (<c>phi3</c>, <c>phi4-mini</c>, <c>chatml</c>, <c>llama3</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Gets the texts that end the assistant's turn; generation stops when one appears.</summary>
    public abstract IReadOnlyList<string> StopSequences { get; }

    /// <summary>Gets the markers that open a tool call in the model's output, so streamed text can hold them back.</summary>
    protected abstract IReadOnlyList<string> ToolCallStartMarkers { get; }

    /// <summary>
    /// Writes the conversation as prompt text ending with the assistant's generation prompt.
    /// </summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="options">Instructions (added to the system message) and tools (rendered natively).</param>
    /// <returns>The prompt text, with the family's special-token markers as text.</returns>
    /// <exception cref="NotSupportedException">A message holds content the format cannot express (images, audio).</exception>
    public string Render(IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages.ToList();
        var tools = options?.Tools?.OfType<AIFunctionDeclaration>().ToList() ?? [];
        if (options?.ToolMode is NoneChatToolMode)
        {
            tools = [];
        }

        // The system message: the first system messages of the conversation, then the options' instructions.
        var system = new StringBuilder();
        var rest = new List<ChatMessage>(list.Count);
        foreach (var message in list)
        {
            if (message.Role == ChatRole.System && rest.Count == 0)
            {
                AppendParagraph(system, TextOf(message));
            }
            else
            {
                rest.Add(message);
            }
        }

        AppendParagraph(system, options?.Instructions);
        var builder = new StringBuilder();
        RenderConversation(builder, system.Length == 0 ? null : system.ToString(), rest, tools);
        return builder.ToString();
    }

    /// <summary>Reads a complete assistant answer: text, reasoning and tool calls.</summary>
    /// <param name="output">The generated text, without the stop sequence.</param>
    /// <returns>The message contents.</returns>
    public ChatFormatOutput ParseOutput(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var parser = CreateOutputParser();
        parser.Append(output);
        return parser.Complete();
    }

    /// <summary>Creates a parser for one streamed generation.</summary>
    /// <returns>A new parser.</returns>
    public ChatFormatOutputParser CreateOutputParser() => new(this, ToolCallStartMarkers);

    /// <summary>Writes the whole conversation.</summary>
    /// <param name="builder">Where to write.</param>
    /// <param name="system">The system message, or null.</param>
    /// <param name="messages">The other messages, in order.</param>
    /// <param name="tools">The tools to declare (empty when none).</param>
    protected abstract void RenderConversation(StringBuilder builder, string? system, IReadOnlyList<ChatMessage> messages, IReadOnlyList<AIFunctionDeclaration> tools);

    /// <summary>Extracts the tool calls from the part of the output that starts at a tool-call marker.</summary>
    /// <param name="toolText">The output from the first marker on.</param>
    /// <param name="calls">Where to add the calls.</param>
    /// <param name="errors">Where to add problems (malformed JSON), which become <see cref="ErrorContent"/>.</param>
    /// <returns>Any text that is not part of a call (kept as answer text).</returns>
    protected internal abstract string ParseToolCalls(string toolText, List<FunctionCallContent> calls, List<string> errors);

    /// <summary>Gets the markers around a leading reasoning block that streaming holds back, or null when the family has none.</summary>
    protected internal virtual (string Open, string Close)? ReasoningMarkers => null;

    /// <summary>Splits reasoning (for example Qwen3's <c>&lt;think&gt;</c> block) from the answer text.</summary>
    /// <param name="text">The answer text.</param>
    /// <returns>The reasoning (or null) and the remaining text.</returns>
    protected internal virtual (string? Reasoning, string Text) SplitReasoning(string text) => (null, text);

    /// <summary>Gets the text of a message, refusing content a text-only format cannot carry.</summary>
    /// <param name="message">The message.</param>
    /// <returns>Its text.</returns>
    protected static string TextOf(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        foreach (var content in message.Contents)
        {
            if (content is DataContent or UriContent)
            {
                throw new NotSupportedException(
                    $"This local model reads text only; a {message.Role} message contains {content.GetType().Name} ({(content as DataContent)?.MediaType ?? (content as UriContent)?.MediaType}).");
            }
        }

        return string.Concat(message.Contents.OfType<TextContent>().Select(t => t.Text));
    }

    /// <summary>Serializes a tool call's arguments as a JSON object.</summary>
    /// <param name="call">The call.</param>
    /// <returns>The JSON text.</returns>
    protected static string ArgumentsJson(FunctionCallContent call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return TemplateJson.Serialize(call.Arguments ?? new Dictionary<string, object?>());
    }

    /// <summary>Serializes a tool result: strings as they are, anything else as JSON.</summary>
    /// <param name="result">The result content.</param>
    /// <returns>The text.</returns>
    protected static string ResultText(FunctionResultContent result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Result switch
        {
            null => "null",
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
            JsonElement e => TemplateJson.Serialize(e),
            var other => TemplateJson.Serialize(other),
        };
    }

    /// <summary>Serializes a tool declaration as <c>{"name", "description", "parameters"}</c>.</summary>
    /// <param name="tool">The tool.</param>
    /// <returns>The JSON object.</returns>
    protected static Dictionary<string, object?> Declaration(AIFunctionDeclaration tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return new Dictionary<string, object?>
        {
            ["name"] = tool.Name,
            ["description"] = tool.Description,
            ["parameters"] = tool.JsonSchema,
        };
    }

    /// <summary>
    /// Reads tool calls written as JSON: one object or an array of objects, each with a <c>name</c> and its
    /// arguments under <c>arguments</c> (or <c>parameters</c>, as Llama-3 writes them).
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="calls">Where to add the calls.</param>
    /// <param name="errors">Where to add problems.</param>
    /// <returns>Whether the text was valid JSON of that shape.</returns>
    protected static bool TryReadJsonCalls(string json, List<FunctionCallContent> calls, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(errors);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            errors.Add($"The model wrote a tool call that is not valid JSON ({ex.Message}): {Shorten(json)}");
            return false;
        }

        using (document)
        {
            var items = document.RootElement.ValueKind == JsonValueKind.Array
                ? document.RootElement.EnumerateArray().ToList()
                : [document.RootElement];
            var ok = true;
            foreach (var item in items)
            {
                if (item.ValueKind != JsonValueKind.Object ||
                    !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String ||
                    string.IsNullOrWhiteSpace(name.GetString()))
                {
                    errors.Add($"The model wrote a tool call without a function name: {Shorten(item.GetRawText())}");
                    ok = false;
                    continue;
                }

                var callId = "call_" + Guid.NewGuid().ToString("N")[..12];
                if (!item.TryGetProperty("arguments", out var arguments) && !item.TryGetProperty("parameters", out arguments))
                {
                    calls.Add(new FunctionCallContent(callId, name.GetString()!, new Dictionary<string, object?>()));
                    continue;
                }

                if (arguments.ValueKind == JsonValueKind.String)
                {
                    // Some models write the arguments as a JSON string holding an object.
                    var inner = arguments.GetString()!;
                    calls.Add(FunctionCallContent.CreateFromParsedArguments(inner, callId, name.GetString()!, ParseArguments));
                }
                else if (arguments.ValueKind == JsonValueKind.Object)
                {
                    calls.Add(new FunctionCallContent(callId, name.GetString()!, arguments.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())));
                }
                else
                {
                    calls.Add(new FunctionCallContent(callId, name.GetString()!)
                    {
                        Exception = new JsonException($"The arguments of '{name.GetString()}' are a JSON {arguments.ValueKind}, not an object."),
                    });
                }
            }

            return ok;
        }
    }

    private static Dictionary<string, object?> ParseArguments(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"The arguments are a JSON {document.RootElement.ValueKind}, not an object.");
        }

        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
    }

    /// <summary>Shortens text for an error message.</summary>
    /// <param name="text">The text.</param>
    /// <returns>At most 200 characters.</returns>
    protected static string Shorten(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length <= 200 ? text : text[..200] + "…";
    }

    private static void AppendParagraph(StringBuilder builder, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return;
        }

        if (builder.Length > 0)
        {
            builder.Append("\n\n");
        }

        builder.Append(text.Trim());
    }

    /// <summary>Finds a chat format by name.</summary>
    /// <param name="name">phi3, phi4-mini, chatml (also qwen, qwen2, qwen2.5), qwen3 or llama3.</param>
    /// <returns>The format.</returns>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static ChatFormat FromName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "phi3" or "phi-3" or "phi3.5" or "phi-3.5" => Phi3ChatFormat.Instance,
            "phi4-mini" or "phi-4-mini" or "phi4" => Phi4MiniChatFormat.Instance,
            "chatml" or "qwen" or "qwen2" or "qwen2.5" => ChatMlChatFormat.Instance,
            "qwen3" => ChatMlChatFormat.Qwen3,
            "llama3" or "llama-3" or "llama3.1" or "llama3.2" => Llama3ChatFormat.Instance,
            _ => throw new ArgumentException($"Unknown chat format '{name}'. Known formats: phi3, phi4-mini, chatml, qwen3, llama3.", nameof(name)),
        };
    }

    /// <summary>
    /// Picks the format from a genai_config model type and the tokenizer's special tokens (Phi-4-mini reports the
    /// type <c>phi3</c>; its <c>&lt;|tool_call|&gt;</c> token tells it apart).
    /// </summary>
    /// <param name="modelType">The <c>model.type</c> of genai_config.json.</param>
    /// <param name="hasToken">Whether the tokenizer knows a token.</param>
    /// <returns>The format.</returns>
    /// <exception cref="NotSupportedException">The family has no known format; name one explicitly.</exception>
    public static ChatFormat Detect(string modelType, Func<string, bool> hasToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelType);
        ArgumentNullException.ThrowIfNull(hasToken);
        var type = modelType.Trim().ToLowerInvariant();
        if (type.StartsWith("phi", StringComparison.Ordinal) && hasToken("<|tool_call|>"))
        {
            return Phi4MiniChatFormat.Instance;
        }

        if (type is "phi3" or "phi3small" or "phimoe" or "phi")
        {
            return Phi3ChatFormat.Instance;
        }

        if (type.StartsWith("qwen3", StringComparison.Ordinal))
        {
            return ChatMlChatFormat.Qwen3;
        }

        if (type.StartsWith("qwen", StringComparison.Ordinal) || hasToken("<|im_start|>"))
        {
            return ChatMlChatFormat.Instance;
        }

        if (type == "llama" && hasToken("<|start_header_id|>"))
        {
            return Llama3ChatFormat.Instance;
        }

        throw new NotSupportedException(
            $"No chat format is known for model type '{modelType}'. Choose one explicitly (phi3, phi4-mini, chatml, qwen3, llama3).");
    }
}
