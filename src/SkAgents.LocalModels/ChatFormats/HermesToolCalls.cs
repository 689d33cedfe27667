using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkAgents.LocalModels.ChatFormats;

/// <summary>
/// The Hermes tool-calling convention used by Qwen2.5/3 (and by us for Phi-3, which has no native one): tools are
/// declared as JSON lines inside <c>&lt;tools&gt;</c>, each call is a JSON object inside <c>&lt;tool_call&gt;</c> tags,
/// and results come back inside <c>&lt;tool_response&gt;</c> tags.
/// </summary>
internal static class HermesToolCalls
{
    public const string CallOpen = "<tool_call>";
    public const string CallClose = "</tool_call>";

    public static void AppendToolsPreamble(StringBuilder builder, IReadOnlyList<AIFunctionDeclaration> tools)
    {
        builder.Append("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n")
            .Append("You are provided with function signatures within <tools></tools> XML tags:\n<tools>");
        foreach (var tool in tools)
        {
            var declaration = new Dictionary<string, object?>
            {
                ["type"] = "function",
                ["function"] = new Dictionary<string, object?>
                {
                    ["name"] = tool.Name,
                    ["description"] = tool.Description,
                    ["parameters"] = tool.JsonSchema,
                },
            };
            builder.Append('\n').Append(TemplateJson.Serialize(declaration));
        }

        builder.Append("\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n")
            .Append("<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>");
    }

    public static void AppendCall(StringBuilder builder, FunctionCallContent call, string argumentsJson) =>
        builder.Append(CallOpen).Append('\n')
            .Append("{\"name\": ").Append(TemplateJson.Serialize(call.Name)).Append(", \"arguments\": ").Append(argumentsJson).Append('}')
            .Append('\n').Append(CallClose);

    /// <summary>Reads every <c>&lt;tool_call&gt;…&lt;/tool_call&gt;</c> block; text between blocks is kept.</summary>
    public static string Parse(string text, List<FunctionCallContent> calls, List<string> errors, Func<string, List<FunctionCallContent>, List<string>, bool> readJson) =>
        ParseBlocks(text, CallOpen, CallClose, calls, errors, readJson);

    /// <summary>
    /// Reads every block between <paramref name="open"/> and <paramref name="close"/> as JSON tool calls; text between
    /// blocks is kept. An unclosed block at the end (the model stopped early) is read as far as it goes.
    /// </summary>
    public static string ParseBlocks(string text, string open, string close, List<FunctionCallContent> calls, List<string> errors, Func<string, List<FunctionCallContent>, List<string>, bool> readJson)
    {
        var rest = new StringBuilder();
        var position = 0;
        while (position < text.Length)
        {
            var start = text.IndexOf(open, position, StringComparison.Ordinal);
            if (start < 0)
            {
                rest.Append(text, position, text.Length - position);
                break;
            }

            rest.Append(text, position, start - position);
            var bodyStart = start + open.Length;
            var end = text.IndexOf(close, bodyStart, StringComparison.Ordinal);
            var body = end < 0 ? text[bodyStart..] : text[bodyStart..end];
            readJson(body.Trim(), calls, errors);
            position = end < 0 ? text.Length : end + close.Length;
        }

        return rest.ToString();
    }
}
