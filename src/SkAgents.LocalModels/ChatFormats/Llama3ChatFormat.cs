using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkAgents.LocalModels.ChatFormats;

/// <summary>
/// Llama-3.x: <c>&lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n…&lt;|eot_id|&gt;</c>.
/// Custom tools follow Meta's JSON convention: they are listed in the first user message, the model answers a call
/// as <c>{"name": …, "parameters": {…}}</c> (optionally after <c>&lt;|python_tag|&gt;</c>), and results come back in
/// an <c>ipython</c> turn.
/// </summary>
public sealed class Llama3ChatFormat : ChatFormat
{
    private Llama3ChatFormat()
    {
    }

    /// <summary>Gets the shared instance.</summary>
    public static Llama3ChatFormat Instance { get; } = new();

    /// <inheritdoc />
    public override string Name => "llama3";

    /// <inheritdoc />
    public override IReadOnlyList<string> StopSequences { get; } = ["<|eot_id|>", "<|eom_id|>", "<|end_of_text|>"];

    /// <inheritdoc />
    protected override IReadOnlyList<string> ToolCallStartMarkers { get; } = ["<|python_tag|>", "{\"name\"", "{ \"name\""];

    /// <inheritdoc />
    protected override void RenderConversation(StringBuilder builder, string? system, IReadOnlyList<ChatMessage> messages, IReadOnlyList<AIFunctionDeclaration> tools)
    {
        builder.Append("<|begin_of_text|>");
        if (system is not null || tools.Count > 0)
        {
            Header(builder, "system").Append(system ?? string.Empty);
            if (tools.Count > 0)
            {
                builder.Append(system is null ? string.Empty : "\n\n").Append("Environment: ipython");
            }

            builder.Append("<|eot_id|>");
        }

        var toolsPending = tools.Count > 0;
        foreach (var message in messages)
        {
            var results = message.Contents.OfType<FunctionResultContent>().ToList();
            if (message.Role == ChatRole.Tool || results.Count > 0)
            {
                foreach (var result in results)
                {
                    Header(builder, "ipython").Append(ResultText(result)).Append("<|eot_id|>");
                }

                continue;
            }

            if (message.Role == ChatRole.User && toolsPending)
            {
                // Meta's default: custom tools go into the first user message.
                toolsPending = false;
                Header(builder, "user")
                    .Append("Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n")
                    .Append("Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}. Do not use variables.\n\n");
                foreach (var tool in tools)
                {
                    var declaration = new Dictionary<string, object?> { ["type"] = "function", ["function"] = Declaration(tool) };
                    builder.Append(TemplateJson.Serialize(declaration)).Append("\n\n");
                }

                builder.Append(TextOf(message)).Append("<|eot_id|>");
                continue;
            }

            var role = message.Role == ChatRole.Assistant ? "assistant" : message.Role == ChatRole.System ? "system" : "user";
            Header(builder, role).Append(TextOf(message));
            foreach (var call in message.Contents.OfType<FunctionCallContent>())
            {
                builder.Append("{\"name\": ").Append(TemplateJson.Serialize(call.Name)).Append(", \"parameters\": ").Append(ArgumentsJson(call)).Append('}');
            }

            builder.Append("<|eot_id|>");
        }

        Header(builder, "assistant");
    }

    /// <inheritdoc />
    protected internal override string ParseToolCalls(string toolText, List<FunctionCallContent> calls, List<string> errors)
    {
        var json = toolText.StartsWith("<|python_tag|>", StringComparison.Ordinal) ? toolText["<|python_tag|>".Length..] : toolText;
        json = json.Trim();
        // Several calls may be separated by ';' or new lines; each must be a JSON object with a name.
        var parts = SplitTopLevelObjects(json);
        if (parts is null)
        {
            // Not JSON after all (prose that happens to contain {"name"): keep it as text.
            return toolText;
        }

        var found = new List<FunctionCallContent>();
        var problems = new List<string>();
        foreach (var part in parts)
        {
            TryReadJsonCalls(part, found, problems);
        }

        if (found.Count == 0)
        {
            return toolText;
        }

        calls.AddRange(found);
        errors.AddRange(problems);
        return string.Empty;
    }

    private static StringBuilder Header(StringBuilder builder, string role) =>
        builder.Append("<|start_header_id|>").Append(role).Append("<|end_header_id|>\n\n");

    private static List<string>? SplitTopLevelObjects(string text)
    {
        var parts = new List<string>();
        var depth = 0;
        var inString = false;
        var escape = false;
        var start = -1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (escape)
                {
                    escape = false;
                }
                else if (c == '\\')
                {
                    escape = true;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{':
                    if (depth++ == 0)
                    {
                        start = i;
                    }

                    break;
                case '}':
                    if (--depth == 0)
                    {
                        parts.Add(text[start..(i + 1)]);
                    }
                    else if (depth < 0)
                    {
                        return null;
                    }

                    break;
                default:
                    if (depth == 0 && !char.IsWhiteSpace(c) && c != ';' && c != ',')
                    {
                        return null;
                    }

                    break;
            }
        }

        if (depth != 0 && start >= 0)
        {
            parts.Add(text[start..]); // unclosed: let the JSON reader report it
        }

        return parts.Count == 0 ? null : parts;
    }
}
