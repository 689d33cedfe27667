using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkAgents.LocalModels.ChatFormats;

/// <summary>
/// Phi-4-mini: <c>&lt;|system|&gt;…&lt;|tool|&gt;[tools]&lt;|/tool|&gt;&lt;|end|&gt;&lt;|user|&gt;…&lt;|end|&gt;&lt;|assistant|&gt;</c>
/// with no newlines. Tools are a JSON list inside <c>&lt;|tool|&gt;</c> in the system message; the model answers
/// calls as <c>&lt;|tool_call|&gt;[{"name", "arguments"}, …]&lt;|/tool_call|&gt;</c>. Results are sent back in a
/// <c>&lt;|tool_response|&gt;</c> turn as a JSON list of <c>{"name", "result"}</c> (Microsoft documents no exact form).
/// </summary>
public sealed class Phi4MiniChatFormat : ChatFormat
{
    private const string CallOpen = "<|tool_call|>";
    private const string CallClose = "<|/tool_call|>";

    private Phi4MiniChatFormat()
    {
    }

    /// <summary>Gets the shared instance.</summary>
    public static Phi4MiniChatFormat Instance { get; } = new();

    /// <inheritdoc />
    public override string Name => "phi4-mini";

    /// <inheritdoc />
    public override IReadOnlyList<string> StopSequences { get; } = ["<|end|>", "<|endoftext|>"];

    /// <inheritdoc />
    protected override IReadOnlyList<string> ToolCallStartMarkers { get; } = [CallOpen];

    /// <inheritdoc />
    protected override void RenderConversation(StringBuilder builder, string? system, IReadOnlyList<ChatMessage> messages, IReadOnlyList<AIFunctionDeclaration> tools)
    {
        if (system is not null || tools.Count > 0)
        {
            builder.Append("<|system|>").Append(system ?? "You are a helpful assistant with some tools.");
            if (tools.Count > 0)
            {
                builder.Append("<|tool|>").Append(TemplateJson.Serialize(tools.Select(Declaration).ToList())).Append("<|/tool|>");
            }

            builder.Append("<|end|>");
        }

        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            var results = message.Contents.OfType<FunctionResultContent>().ToList();
            if (message.Role == ChatRole.Tool || results.Count > 0)
            {
                var list = results.Select(r => new Dictionary<string, object?>
                {
                    ["name"] = callNames.GetValueOrDefault(r.CallId, r.CallId),
                    ["result"] = ResultValue(r),
                }).ToList();
                builder.Append("<|tool_response|>").Append(TemplateJson.Serialize(list)).Append("<|end|>");
                continue;
            }

            var role = message.Role == ChatRole.Assistant ? "assistant" : message.Role == ChatRole.System ? "system" : "user";
            builder.Append("<|").Append(role).Append("|>").Append(TextOf(message));
            var calls = message.Contents.OfType<FunctionCallContent>().ToList();
            if (calls.Count > 0)
            {
                foreach (var call in calls)
                {
                    callNames[call.CallId] = call.Name;
                }

                builder.Append(CallOpen).Append('[')
                    .AppendJoin(", ", calls.Select(c => "{\"name\": " + TemplateJson.Serialize(c.Name) + ", \"arguments\": " + ArgumentsJson(c) + "}"))
                    .Append(']').Append(CallClose);
            }

            builder.Append("<|end|>");
        }

        builder.Append("<|assistant|>");
    }

    /// <inheritdoc />
    protected internal override string ParseToolCalls(string toolText, List<FunctionCallContent> calls, List<string> errors) =>
        HermesToolCalls.ParseBlocks(toolText, CallOpen, CallClose, calls, errors, TryReadJsonCalls);

    private static object? ResultValue(FunctionResultContent result)
    {
        // Keep JSON results as JSON (not a string holding JSON) so the model reads structure.
        var text = ResultText(result);
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return text;
        }
    }
}
