using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SkAgents.Prompts;

/// <summary>What both template engines share: variables with defaults, the encoding rules and the template functions.</summary>
internal sealed class TemplateContext
{
    private readonly Dictionary<string, InputVariable> _declared;

    public TemplateContext(PromptTemplateConfig config, IEnumerable<AIFunction>? functions, PromptTemplateOptions options)
    {
        Config = config;
        Template = config.Template ?? string.Empty;
        Functions = functions?.Where(f => f is not null).ToList() ?? [];
        Options = options;
        Logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SkAgents.Prompts.PromptTemplate");
        _declared = new Dictionary<string, InputVariable>(StringComparer.OrdinalIgnoreCase);
        foreach (var variable in config.InputVariables)
        {
            _declared.TryAdd(variable.Name, variable);
        }
    }

    public PromptTemplateConfig Config { get; }

    public string Template { get; }

    public IReadOnlyList<AIFunction> Functions { get; }

    public PromptTemplateOptions Options { get; }

    public ILogger Logger { get; }

    /// <summary>Gets a value indicating whether function results and quoted literals are encoded (not when the config or the options trust them).</summary>
    public bool EncodeTrustedContent => !Options.AllowDangerouslySetContent && !Config.AllowDangerouslySetContent;

    /// <summary>Tells whether a variable's value is encoded: yes unless the options trust everything or the variable itself allows it.</summary>
    public bool EncodeVariable(string name) =>
        !Options.AllowDangerouslySetContent && !(_declared.TryGetValue(name, out var variable) && variable.AllowDangerouslySetContent);

    /// <summary>Merges defaults and arguments (case-insensitive names, null values ignored); JSON text given for an array or object variable is parsed.</summary>
    public Dictionary<string, object?> ResolveVariables(AIFunctionArguments? arguments)
    {
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var variable in Config.InputVariables)
        {
            if (variable.Default is not null)
            {
                values[variable.Name] = variable.Default;
            }
        }

        if (arguments is not null)
        {
            foreach (var (name, value) in arguments)
            {
                if (value is not null && !(value is JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined }))
                {
                    values[name] = value;
                }
            }
        }

        foreach (var (name, variable) in _declared)
        {
            if (values.TryGetValue(name, out var value) && TryParseStructured(variable, value, out var parsed))
            {
                values[name] = parsed;
            }
        }

        return values;
    }

    /// <summary>Warns about declared variables that have no value.</summary>
    public void WarnAboutMissing(Dictionary<string, object?> values)
    {
        foreach (var variable in Config.InputVariables)
        {
            if (!values.ContainsKey(variable.Name))
            {
                Logger.LogWarning("Prompt '{Prompt}': variable '{Variable}' has no value and renders as empty text.", Config.Name, variable.Name);
            }
        }
    }

    /// <summary>Gets the parameter names a function declares, in order.</summary>
    public static List<string> ParameterNames(AIFunction function)
    {
        var schema = function.JsonSchema;
        return schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            ? [.. properties.EnumerateObject().Select(p => p.Name)]
            : [];
    }

    /// <summary>Starts the arguments of a template function call: the caller's services and context, and the prompt variables the function declares.</summary>
    public static AIFunctionArguments FunctionArguments(List<string> parameters, Dictionary<string, object?> variables, AIFunctionArguments? arguments)
    {
        var result = new AIFunctionArguments { Services = arguments?.Services, Context = arguments?.Context };
        foreach (var parameter in parameters)
        {
            if (variables.TryGetValue(parameter, out var value))
            {
                result[parameter] = value;
            }
        }

        return result;
    }

    private static bool TryParseStructured(InputVariable variable, object? value, out object? parsed)
    {
        parsed = null;
        var text = value switch
        {
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            _ => null,
        };
        if (text is null || variable.JsonSchema is null)
        {
            return false;
        }

        try
        {
            var type = JsonNode.Parse(variable.JsonSchema)?["type"];
            var types = type switch
            {
                JsonValue v when v.TryGetValue<string>(out var single) => [single],
                JsonArray many => many.Select(t => t?.ToString() ?? string.Empty).ToArray(),
                _ => Array.Empty<string>(),
            };
            if (types.Contains("string") || (!types.Contains("array") && !types.Contains("object")))
            {
                return false;
            }

            var trimmed = text.Trim();
            if (trimmed.Length == 0 || (trimmed[0] != '[' && trimmed[0] != '{'))
            {
                if (types.Contains("array"))
                {
                    // A single plain value given for a list: a list of one.
                    parsed = new List<object?> { text };
                    return true;
                }

                return false;
            }

            try
            {
                using var document = JsonDocument.Parse(trimmed);
                parsed = document.RootElement.Clone();
            }
            catch (JsonException) when (types.Contains("array"))
            {
                parsed = new List<object?> { text };
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
