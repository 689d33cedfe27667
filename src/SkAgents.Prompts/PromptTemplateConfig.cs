using System.Text.RegularExpressions;

namespace SkAgents.Prompts;

/// <summary>
/// A prompt definition in Semantic Kernel's prompt template schema (the YAML files read by
/// <c>CreateFunctionFromPromptYaml</c>): name, description, template and its format, input and output variables,
/// and execution settings per AI service.
/// </summary>
public sealed partial class PromptTemplateConfig
{
    /// <summary>The <c>semantic-kernel</c> template format: <c>{{$variable}}</c> and <c>{{plugin.function $arg}}</c>.</summary>
    public const string SemanticKernelTemplateFormat = "semantic-kernel";

    /// <summary>The <c>handlebars</c> template format: <c>{{variable}}</c>, block helpers and <c>{{plugin-function arg}}</c>.</summary>
    public const string HandlebarsTemplateFormat = "handlebars";

    /// <summary>The key of the execution settings used when no service-specific entry matches.</summary>
    public const string DefaultServiceId = "default";

    /// <summary>Gets or sets the prompt function's name (letters, digits, <c>_</c> and <c>-</c>).</summary>
    public string? Name { get; set; }

    /// <summary>Gets or sets what the prompt does; models see it when the prompt is offered as a tool.</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets the template format: <see cref="SemanticKernelTemplateFormat"/> (the default) or <see cref="HandlebarsTemplateFormat"/>.</summary>
    public string TemplateFormat { get; set; } = SemanticKernelTemplateFormat;

    /// <summary>Gets or sets the template text.</summary>
    public string Template { get; set; } = string.Empty;

    /// <summary>Gets the variables the template uses.</summary>
    public IList<InputVariable> InputVariables { get; init; } = [];

    /// <summary>Gets or sets the description of the prompt's output.</summary>
    public OutputVariable? OutputVariable { get; set; }

    /// <summary>Gets the execution settings, keyed by service id or <see cref="DefaultServiceId"/>.</summary>
    public IDictionary<string, PromptExecutionSettings> ExecutionSettings { get; init; } = new Dictionary<string, PromptExecutionSettings>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets a value indicating whether function results and quoted template literals are inserted without HTML encoding.
    /// Input variables are still encoded unless their own <see cref="InputVariable.AllowDangerouslySetContent"/> is set (as in Semantic Kernel).
    /// </summary>
    public bool AllowDangerouslySetContent { get; set; }

    /// <summary>Gets the execution settings for a service: its own entry, else the <c>default</c> entry, else (when no service is named and there is only one entry) that entry.</summary>
    /// <param name="serviceId">The service id, or <see langword="null"/> for the default.</param>
    /// <returns>The settings, or <see langword="null"/> when none apply.</returns>
    public PromptExecutionSettings? GetExecutionSettings(string? serviceId = null)
    {
        if (serviceId is not null && ExecutionSettings.TryGetValue(serviceId, out var own))
        {
            return own;
        }

        if (ExecutionSettings.TryGetValue(DefaultServiceId, out var fallback))
        {
            return fallback;
        }

        return serviceId is null && ExecutionSettings.Count == 1 ? ExecutionSettings.Values.First() : null;
    }

    /// <summary>Checks the configuration: a valid name, a known template format, a template, valid and unique variable names, and execution settings whose service id matches their key.</summary>
    /// <param name="sourceName">The file the configuration came from, for error messages.</param>
    /// <exception cref="PromptConfigurationException">The configuration is invalid.</exception>
    public void Validate(string? sourceName = null)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new PromptConfigurationException(sourceName, "The prompt has no 'name'.");
        }

        if (!IsValidFunctionName(Name))
        {
            throw new PromptConfigurationException(sourceName, $"The prompt name '{Name}' is invalid: use letters, digits, '_' and '-' only.");
        }

        if (!IsKnownTemplateFormat(TemplateFormat))
        {
            throw new PromptConfigurationException(sourceName, UnknownFormatMessage(TemplateFormat));
        }

        if (Template is null)
        {
            throw new PromptConfigurationException(sourceName, "The prompt has no 'template'.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var variable in InputVariables)
        {
            if (variable is null || string.IsNullOrWhiteSpace(variable.Name))
            {
                throw new PromptConfigurationException(sourceName, "An input variable has no 'name'.");
            }

            if (!IsValidVariableName(variable.Name))
            {
                throw new PromptConfigurationException(sourceName, $"The input variable name '{variable.Name}' is invalid: use letters, digits and '_' only.");
            }

            if (!seen.Add(variable.Name))
            {
                throw new PromptConfigurationException(sourceName, $"The input variable '{variable.Name}' is declared more than once.");
            }
        }

        foreach (var (key, settings) in ExecutionSettings)
        {
            if (settings is null)
            {
                throw new PromptConfigurationException(sourceName, $"The execution settings '{key}' are empty.");
            }

            if (settings.ServiceId is not null && !string.Equals(settings.ServiceId, key, StringComparison.Ordinal))
            {
                throw new PromptConfigurationException(sourceName, $"The execution settings under '{key}' declare service_id '{settings.ServiceId}': service_id must equal its key.");
            }

            settings.FunctionChoiceBehavior?.Validate(sourceName);
        }
    }

    /// <summary>Tells whether a name is a valid prompt (function) name: letters, digits, <c>_</c> and <c>-</c>.</summary>
    /// <param name="name">The name to check.</param>
    /// <returns><see langword="true"/> when the name is valid.</returns>
    public static bool IsValidFunctionName(string? name) => !string.IsNullOrEmpty(name) && FunctionNameRegex().IsMatch(name);

    /// <summary>Tells whether a template format is supported: <c>semantic-kernel</c> or <c>handlebars</c> (case-insensitive).</summary>
    /// <param name="format">The format name.</param>
    /// <returns><see langword="true"/> when the format is supported.</returns>
    public static bool IsKnownTemplateFormat(string? format) =>
        string.Equals(format, SemanticKernelTemplateFormat, StringComparison.OrdinalIgnoreCase)
        || string.Equals(format, HandlebarsTemplateFormat, StringComparison.OrdinalIgnoreCase);

    internal static bool IsValidVariableName(string? name) => !string.IsNullOrEmpty(name) && VariableNameRegex().IsMatch(name);

    internal static string UnknownFormatMessage(string? format) =>
        $"Unknown template_format '{format}': supported formats are '{SemanticKernelTemplateFormat}' and '{HandlebarsTemplateFormat}'.";

    [GeneratedRegex("^[0-9A-Za-z_-]+$")]
    private static partial Regex FunctionNameRegex();

    [GeneratedRegex("^[0-9A-Za-z_]+$")]
    private static partial Regex VariableNameRegex();
}

/// <summary>A variable used by a prompt template (an entry of <c>input_variables</c>).</summary>
public sealed class InputVariable
{
    /// <summary>Gets or sets the variable's name (letters, digits and <c>_</c>).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Gets or sets what the variable holds.</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets the value used when the caller supplies none.</summary>
    public object? Default { get; set; }

    /// <summary>Gets or sets a value indicating whether the variable is required (default <see langword="true"/>, as in Semantic Kernel); a required variable with a default need not be supplied.</summary>
    public bool IsRequired { get; set; } = true;

    /// <summary>Gets or sets the variable's JSON schema, as JSON text.</summary>
    public string? JsonSchema { get; set; }

    /// <summary>Gets or sets a sample value, for documentation.</summary>
    public object? Sample { get; set; }

    /// <summary>Gets or sets a value indicating whether the variable's value is inserted without HTML encoding (it may then add chat messages).</summary>
    public bool AllowDangerouslySetContent { get; set; }

    /// <summary>Gets a value indicating whether the caller must supply the variable: it is required and has no default.</summary>
    public bool MustBeSupplied => IsRequired && Default is null;
}

/// <summary>Describes a prompt's output (<c>output_variable</c>).</summary>
public sealed class OutputVariable
{
    /// <summary>Gets or sets what the output holds.</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets the output's JSON schema, as JSON text.</summary>
    public string? JsonSchema { get; set; }
}
