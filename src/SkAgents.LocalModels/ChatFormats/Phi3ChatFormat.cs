using System.Text;
using Microsoft.Extensions.AI;

namespace SkAgents.LocalModels.ChatFormats;

/// <summary>
/// Phi-3 and Phi-3.5-mini: <c>&lt;|system|&gt;\n…&lt;|end|&gt;\n&lt;|user|&gt;\n…&lt;|end|&gt;\n&lt;|assistant|&gt;\n</c>.
/// These models have no native tool-calling format, so tools are declared in the system message with the Hermes
/// convention (<c>&lt;tool_call&gt;</c> JSON) that instruction-tuned models follow well, and results come back in a
/// user turn inside <c>&lt;tool_response&gt;</c>.
/// </summary>
public sealed class Phi3ChatFormat : ChatFormat
{
    private Phi3ChatFormat()
    {
    }

    /// <summary>Gets the shared instance.</summary>
    public static Phi3ChatFormat Instance { get; } = new();

    /// <inheritdoc />
    public override string Name => "phi3";

    /// <inheritdoc />
    public override IReadOnlyList<string> StopSequences { get; } = ["<|end|>", "<|endoftext|>", "<|assistant|>"];

    /// <inheritdoc />
    protected override IReadOnlyList<string> ToolCallStartMarkers { get; } = [HermesToolCalls.CallOpen];

    /// <inheritdoc />
    protected override void RenderConversation(StringBuilder builder, string? system, IReadOnlyList<ChatMessage> messages, IReadOnlyList<AIFunctionDeclaration> tools)
    {
        if (system is not null || tools.Count > 0)
        {
            builder.Append("<|system|>\n");
            if (system is not null)
            {
                builder.Append(system);
            }

            if (tools.Count > 0)
            {
                builder.Append(system is null ? string.Empty : "\n\n");
                HermesToolCalls.AppendToolsPreamble(builder, tools);
            }

            builder.Append("<|end|>\n");
        }

        foreach (var message in messages)
        {
            var results = message.Contents.OfType<FunctionResultContent>().ToList();
            if (message.Role == ChatRole.Tool || results.Count > 0)
            {
                builder.Append("<|user|>\n");
                builder.AppendJoin('\n', results.Select(r => "<tool_response>\n" + ResultText(r) + "\n</tool_response>"));
                builder.Append("<|end|>\n");
                continue;
            }

            var role = message.Role == ChatRole.Assistant ? "assistant" : message.Role == ChatRole.System ? "system" : "user";
            builder.Append("<|").Append(role).Append("|>\n").Append(TextOf(message));
            foreach (var call in message.Contents.OfType<FunctionCallContent>())
            {
                builder.Append('\n');
                HermesToolCalls.AppendCall(builder, call, ArgumentsJson(call));
            }

            builder.Append("<|end|>\n");
        }

        builder.Append("<|assistant|>\n");
    }

    /// <inheritdoc />
    protected internal override string ParseToolCalls(string toolText, List<FunctionCallContent> calls, List<string> errors) =>
        HermesToolCalls.Parse(toolText, calls, errors, TryReadJsonCalls);
}
