using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace SkAgents.Prompts;

/// <summary>
/// The settings a prompt runs with on one AI service (an entry of <c>execution_settings</c>):
/// service and model ids, function choice behavior, and free keys such as <c>temperature</c>.
/// </summary>
public sealed class PromptExecutionSettings
{
    /// <summary>Gets or sets the service id; when set it must equal the entry's key.</summary>
    public string? ServiceId { get; set; }

    /// <summary>Gets or sets the model id to request.</summary>
    public string? ModelId { get; set; }

    /// <summary>Gets or sets how the model may call functions.</summary>
    public FunctionChoiceBehaviorConfig? FunctionChoiceBehavior { get; set; }

    /// <summary>Gets the other keys (<c>temperature</c>, <c>max_tokens</c>, ...), with values as read from YAML (string, long, double, bool, lists and dictionaries) or JSON elements.</summary>
    public IDictionary<string, object?> ExtensionData { get; init; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>
    /// Maps the settings to <see cref="ChatOptions"/> the way Semantic Kernel does for an <see cref="IChatClient"/>:
    /// <c>temperature</c>, <c>top_p</c>, <c>top_k</c>, <c>max_tokens</c> (MaxOutputTokens), <c>stop_sequences</c>, <c>seed</c>,
    /// <c>presence_penalty</c>, <c>frequency_penalty</c>, <c>chat_system_prompt</c> (Instructions), <c>response_format</c>
    /// (<c>json_object</c>, <c>text</c> or a <c>json_schema</c> object), <c>reasoning_effort</c>, the model id and the function choice behavior;
    /// any other key goes to <see cref="ChatOptions.AdditionalProperties"/>.
    /// </summary>
    /// <param name="availableFunctions">The functions that <c>function_choice_behavior</c> may offer the model.</param>
    /// <returns>The chat options.</returns>
    /// <exception cref="PromptConfigurationException">A setting has a value of the wrong type.</exception>
    public ChatOptions ToChatOptions(IEnumerable<AIFunction>? availableFunctions = null)
    {
        var options = new ChatOptions { ModelId = ModelId };
        foreach (var (key, value) in ExtensionData)
        {
            if (value is null)
            {
                continue;
            }

            switch (key)
            {
                case "temperature":
                    options.Temperature = ToFloat(key, value);
                    break;
                case "top_p":
                    options.TopP = ToFloat(key, value);
                    break;
                case "top_k":
                    options.TopK = ToInt(key, value);
                    break;
                case "max_tokens":
                    options.MaxOutputTokens = ToInt(key, value);
                    break;
                case "seed":
                    options.Seed = ToLong(key, value);
                    break;
                case "presence_penalty":
                    options.PresencePenalty = ToFloat(key, value);
                    break;
                case "frequency_penalty":
                    options.FrequencyPenalty = ToFloat(key, value);
                    break;
                case "stop_sequences":
                    options.StopSequences = ToStringList(key, value);
                    break;
                case "chat_system_prompt":
                    options.Instructions = PromptValues.ToText(value);
                    break;
                case "response_format":
                    options.ResponseFormat = ToResponseFormat(value);
                    break;
                case "reasoning_effort":
                    options.Reasoning = new ReasoningOptions { Effort = ToReasoningEffort(value) };
                    break;
                default:
                    (options.AdditionalProperties ??= [])[key] = value;
                    break;
            }
        }

        FunctionChoiceBehavior?.Apply(options, availableFunctions);
        return options;
    }

    private static PromptConfigurationException BadValue(string key, object value, string expected) =>
        new(null, $"The execution setting '{key}' must be {expected}, not '{PromptValues.ToText(value)}'.");

    private static float ToFloat(string key, object value) =>
        PromptValues.TryGetDouble(value, out var d) ? (float)d : throw BadValue(key, value, "a number");

    private static long ToLong(string key, object value) =>
        PromptValues.TryGetDouble(value, out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15 ? (long)d : throw BadValue(key, value, "an integer");

    private static int ToInt(string key, object value)
    {
        var l = ToLong(key, value);
        return l is >= int.MinValue and <= int.MaxValue ? (int)l : throw BadValue(key, value, "a 32-bit integer");
    }

    private static List<string> ToStringList(string key, object value)
    {
        if (value is string single)
        {
            return [single];
        }

        if (value is JsonElement { ValueKind: JsonValueKind.Array } array)
        {
            return [.. array.EnumerateArray().Select(e => PromptValues.ToText(e))];
        }

        if (value is IEnumerable items and not IDictionary)
        {
            return [.. items.Cast<object?>().Select(PromptValues.ToText)];
        }

        throw BadValue(key, value, "a list of strings");
    }

    private static ReasoningEffort ToReasoningEffort(object value)
    {
        var text = PromptValues.ToText(value).Trim().Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        return Enum.TryParse<ReasoningEffort>(text, ignoreCase: true, out var effort) && Enum.IsDefined(effort) && !int.TryParse(text, out _)
            ? effort
            : throw BadValue("reasoning_effort", value, "one of none, low, medium, high, extra_high");
    }

    private static ChatResponseFormat ToResponseFormat(object value)
    {
        if (value is string or JsonElement { ValueKind: JsonValueKind.String })
        {
            return PromptValues.ToText(value).Trim().ToUpperInvariant() switch
            {
                "JSON_OBJECT" or "JSON" => ChatResponseFormat.Json,
                "TEXT" => ChatResponseFormat.Text,
                _ => throw BadValue("response_format", value, "'json_object', 'text' or a json_schema object"),
            };
        }

        var node = PromptValues.ToJsonNode(value) as JsonObject ?? throw BadValue("response_format", value, "'json_object', 'text' or a json_schema object");
        var type = node["type"]?.GetValue<string>();
        switch (type)
        {
            case "json_object":
                return ChatResponseFormat.Json;
            case "text":
                return ChatResponseFormat.Text;
            case "json_schema":
                var holder = node["json_schema"] as JsonObject ?? throw BadValue("response_format", value, "a json_schema object with a 'json_schema' entry");
                var schema = holder["schema"] ?? throw BadValue("response_format", value, "a json_schema object with a 'schema'");
                var element = PromptValues.ToElement(schema);
                return ChatResponseFormat.ForJsonSchema(element, holder["name"]?.GetValue<string>(), holder["description"]?.GetValue<string>());
            default:
                throw BadValue("response_format", value, "'json_object', 'text' or a json_schema object");
        }
    }
}

/// <summary>The <c>function_choice_behavior</c> of execution settings: whether and which functions the model may call.</summary>
public sealed class FunctionChoiceBehaviorConfig
{
    /// <summary>Gets or sets the behavior type: <c>auto</c>, <c>required</c> or <c>none</c>.</summary>
    public string Type { get; set; } = "auto";

    /// <summary>Gets or sets the functions offered, as <c>plugin.function</c> or tool names; <see langword="null"/> offers every available function.</summary>
    public IList<string>? Functions { get; set; }

    /// <summary>Gets the behavior options (<c>allow_parallel_calls</c>, ...).</summary>
    public IDictionary<string, object?> Options { get; init; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    internal void Validate(string? sourceName)
    {
        if (Type is not ("auto" or "required" or "none"))
        {
            throw new PromptConfigurationException(sourceName, $"Unknown function_choice_behavior type '{Type}': use auto, required or none.");
        }
    }

    internal void Apply(ChatOptions options, IEnumerable<AIFunction>? availableFunctions)
    {
        Validate(null);
        var available = availableFunctions?.ToList() ?? [];
        List<AIFunction> selected;
        if (Functions is null)
        {
            selected = available;
        }
        else
        {
            selected = [];
            foreach (var name in Functions)
            {
                var function = FunctionNames.Find(available, name)
                    ?? throw new PromptConfigurationException(null, $"function_choice_behavior names the function '{name}', which is not available. Available functions: {FunctionNames.Describe(available)}.");
                selected.Add(function);
            }
        }

        options.ToolMode = Type switch
        {
            "required" => ChatToolMode.RequireAny,
            "none" => ChatToolMode.None,
            _ => ChatToolMode.Auto,
        };
        if (selected.Count > 0)
        {
            options.Tools = [.. selected];
        }

        if (Options.TryGetValue("allow_parallel_calls", out var parallel) && parallel is not null)
        {
            options.AllowMultipleToolCalls = parallel is bool b ? b
                : bool.TryParse(PromptValues.ToText(parallel), out var parsed) ? parsed
                : throw new PromptConfigurationException(null, $"The function_choice_behavior option 'allow_parallel_calls' must be true or false, not '{PromptValues.ToText(parallel)}'.");
        }
    }
}

/// <summary>Resolves template function references (<c>plugin.function</c>, <c>plugin-function</c> or a tool name) to functions.</summary>
internal static class FunctionNames
{
    public static AIFunction? Find(IReadOnlyList<AIFunction> functions, string reference)
    {
        var toolName = reference.Replace('.', '_');
        return functions.FirstOrDefault(f => string.Equals(f.Name, reference, StringComparison.Ordinal))
            ?? functions.FirstOrDefault(f => string.Equals(f.Name, toolName, StringComparison.Ordinal))
            ?? functions.FirstOrDefault(f => string.Equals(f.Name, toolName, StringComparison.OrdinalIgnoreCase));
    }

    public static string Describe(IReadOnlyList<AIFunction> functions) =>
        functions.Count == 0 ? "none" : string.Join(", ", functions.Select(f => f.Name));

    public static string HandlebarsName(string toolName)
    {
        var underscore = toolName.IndexOf('_', StringComparison.Ordinal);
        return underscore > 0 ? string.Concat(toolName.AsSpan(0, underscore), "-", toolName.AsSpan(underscore + 1)) : toolName;
    }
}
