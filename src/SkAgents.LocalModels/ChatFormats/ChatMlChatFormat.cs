using System.Text;
using Microsoft.Extensions.AI;

namespace SkAgents.LocalModels.ChatFormats;

/// <summary>
/// ChatML as used by Qwen2.5 and Qwen3: <c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;\n</c>, tools in the system
/// message with the Hermes convention, tool results in a user turn inside <c>&lt;tool_response&gt;</c>. Qwen3's
/// <c>&lt;think&gt;…&lt;/think&gt;</c> reasoning is returned separately from the answer. The two flavours differ as
/// their chat templates do: Qwen2.5 always has a system turn (its default one when none is given), Qwen3 only when
/// there is a system message or tools.
/// </summary>
public sealed class ChatMlChatFormat : ChatFormat
{
    /// <summary>The default system message of Qwen2.5's template (and of Qwen3's when tools are declared).</summary>
    public const string DefaultSystemMessage = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

    private readonly bool _alwaysSystem;

    private ChatMlChatFormat(string name, bool alwaysSystem)
    {
        Name = name;
        _alwaysSystem = alwaysSystem;
    }

    /// <summary>Gets the Qwen2.5 flavour (also used for other ChatML models): a system turn is always written.</summary>
    public static ChatMlChatFormat Instance { get; } = new("chatml", alwaysSystem: true);

    /// <summary>Gets the Qwen3 flavour: no default system turn.</summary>
    public static ChatMlChatFormat Qwen3 { get; } = new("qwen3", alwaysSystem: false);

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> StopSequences { get; } = ["<|im_end|>", "<|endoftext|>"];

    /// <inheritdoc />
    protected override IReadOnlyList<string> ToolCallStartMarkers { get; } = [HermesToolCalls.CallOpen];

    /// <inheritdoc />
    protected override void RenderConversation(StringBuilder builder, string? system, IReadOnlyList<ChatMessage> messages, IReadOnlyList<AIFunctionDeclaration> tools)
    {
        if (tools.Count > 0)
        {
            builder.Append("<|im_start|>system\n").Append(system ?? DefaultSystemMessage).Append("\n\n");
            HermesToolCalls.AppendToolsPreamble(builder, tools);
            builder.Append("<|im_end|>\n");
        }
        else if (system is not null || _alwaysSystem)
        {
            builder.Append("<|im_start|>system\n").Append(system ?? DefaultSystemMessage).Append("<|im_end|>\n");
        }

        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var results = message.Contents.OfType<FunctionResultContent>().ToList();
            if (message.Role == ChatRole.Tool || results.Count > 0)
            {
                // Consecutive tool results share one user turn.
                var previousWasTool = i > 0 && IsToolMessage(messages[i - 1]);
                var nextIsTool = i + 1 < messages.Count && IsToolMessage(messages[i + 1]);
                if (!previousWasTool)
                {
                    builder.Append("<|im_start|>user");
                }

                foreach (var result in results)
                {
                    builder.Append("\n<tool_response>\n").Append(ResultText(result)).Append("\n</tool_response>");
                }

                if (!nextIsTool)
                {
                    builder.Append("<|im_end|>\n");
                }

                continue;
            }

            var role = message.Role == ChatRole.Assistant ? "assistant" : message.Role == ChatRole.System ? "system" : "user";
            builder.Append("<|im_start|>").Append(role).Append('\n').Append(TextOf(message));
            var calls = message.Contents.OfType<FunctionCallContent>().ToList();
            for (var c = 0; c < calls.Count; c++)
            {
                if (c > 0 || TextOf(message).Length > 0)
                {
                    builder.Append('\n');
                }

                HermesToolCalls.AppendCall(builder, calls[c], ArgumentsJson(calls[c]));
            }

            builder.Append("<|im_end|>\n");
        }

        builder.Append("<|im_start|>assistant\n");
    }

    /// <inheritdoc />
    protected internal override string ParseToolCalls(string toolText, List<FunctionCallContent> calls, List<string> errors) =>
        HermesToolCalls.Parse(toolText, calls, errors, TryReadJsonCalls);

    /// <inheritdoc />
    protected internal override (string Open, string Close)? ReasoningMarkers => ("<think>", "</think>");

    /// <inheritdoc />
    protected internal override (string? Reasoning, string Text) SplitReasoning(string text)
    {
        const string Open = "<think>";
        const string Close = "</think>";
        var close = text.IndexOf(Close, StringComparison.Ordinal);
        if (close < 0)
        {
            return (null, text);
        }

        var open = text.IndexOf(Open, StringComparison.Ordinal);
        // Qwen3's template may put <think> in the prompt, so the output can start inside the block.
        var start = open >= 0 && open < close ? open + Open.Length : 0;
        return (text[start..close], text[..(open >= 0 && open < close ? open : 0)] + text[(close + Close.Length)..]);
    }

    private static bool IsToolMessage(ChatMessage message) =>
        message.Role == ChatRole.Tool || message.Contents.OfType<FunctionResultContent>().Any();
}
