using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SkAgents.Prompts;

/// <summary>
/// Reads Semantic Kernel prompt YAML (the schema of <c>PromptTemplateConfig</c>, with underscored keys) into a
/// <see cref="PromptTemplateConfig"/>. Unknown and duplicate keys are errors, as are values of the wrong shape;
/// every error is a <see cref="PromptConfigurationException"/> naming the source, the problem, and its line and column.
/// </summary>
public static partial class PromptYaml
{
    /// <summary>Parses prompt YAML.</summary>
    /// <param name="yaml">The YAML text.</param>
    /// <param name="sourceName">The file it came from (for error messages); when the YAML has no <c>name</c>, the file's stem is used.</param>
    /// <returns>The validated configuration.</returns>
    /// <exception cref="PromptConfigurationException">The YAML is malformed or the configuration is invalid.</exception>
    public static PromptTemplateConfig Parse(string yaml, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(yaml));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            var problem = StripMarks(ex.Message);
            if (problem.StartsWith("Duplicate key ", StringComparison.Ordinal))
            {
                problem = $"Duplicate key '{problem["Duplicate key ".Length..]}'.";
            }

            throw new PromptConfigurationException(sourceName, problem, Line(ex.Start), Column(ex.Start), ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
        {
            // YamlDotNet's scanner fails this way on some truncated documents (an unclosed flow collection at the end).
            var near = parser.Current?.End ?? Mark.Empty;
            throw new PromptConfigurationException(sourceName, "The YAML is malformed (an unclosed bracket, brace or quote?).", Line(near), Column(near), ex);
        }

        if (stream.Documents.Count == 0)
        {
            throw new PromptConfigurationException(sourceName, "The prompt file is empty.", 1, 1);
        }

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            throw new PromptConfigurationException(sourceName, "The prompt file holds more than one YAML document.", Line(second.Start), Column(second.Start));
        }

        var reader = new Reader(sourceName);
        var config = reader.ReadConfig(stream.Documents[0].RootNode);
        if (string.IsNullOrWhiteSpace(config.Name) && sourceName is not null)
        {
            config.Name = Path.GetFileNameWithoutExtension(sourceName);
        }

        config.Validate(sourceName);
        return config;
    }

    /// <summary>Reads prompt YAML from a file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The validated configuration.</returns>
    /// <exception cref="PromptConfigurationException">The YAML is malformed or the configuration is invalid.</exception>
    public static PromptTemplateConfig LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Parse(File.ReadAllText(path, Encoding.UTF8), path);
    }

    /// <summary>Reads prompt YAML from a file asynchronously.</summary>
    /// <param name="path">The file's path.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The validated configuration.</returns>
    /// <exception cref="PromptConfigurationException">The YAML is malformed or the configuration is invalid.</exception>
    public static async Task<PromptTemplateConfig> LoadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var text = await File.ReadAllTextAsync(path, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        return Parse(text, path);
    }

    /// <summary>Reads prompt YAML from a stream (UTF-8 unless it has a byte order mark).</summary>
    /// <param name="stream">The stream; it is left open.</param>
    /// <param name="sourceName">The file it came from, for error messages and the name fallback.</param>
    /// <returns>The validated configuration.</returns>
    /// <exception cref="PromptConfigurationException">The YAML is malformed or the configuration is invalid.</exception>
    public static PromptTemplateConfig Load(Stream stream, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        return Parse(reader.ReadToEnd(), sourceName);
    }

    private static int Line(Mark mark) => (int)Math.Min(mark.Line, int.MaxValue);

    private static int Column(Mark mark) => (int)Math.Min(mark.Column, int.MaxValue);

    private static string StripMarks(string message) => MarksRegex().Replace(message, string.Empty);

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarksRegex();

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerRegex();

    [GeneratedRegex(@"^0x[0-9a-fA-F]+$")]
    private static partial Regex HexRegex();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatRegex();

    /// <summary>Converts a YAML node to a .NET value: plain scalars are typed by YAML's core schema (null, bool, integer, float), others are strings, sequences lists and mappings dictionaries.</summary>
    internal static object? ToValue(YamlNode node)
    {
        switch (node)
        {
            case YamlScalarNode scalar:
                return ScalarValue(scalar);
            case YamlSequenceNode sequence:
                return sequence.Children.Select(ToValue).ToList();
            case YamlMappingNode mapping:
                var dictionary = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (key, value) in mapping.Children)
                {
                    dictionary[key is YamlScalarNode k ? k.Value ?? string.Empty : key.ToString()] = ToValue(value);
                }

                return dictionary;
            default:
                return null;
        }
    }

    private static object? ScalarValue(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style != ScalarStyle.Plain || !scalar.Tag.IsEmpty)
        {
            return text;
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return true;
            case "false" or "False" or "FALSE":
                return false;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return double.PositiveInfinity;
            case "-.inf" or "-.Inf" or "-.INF":
                return double.NegativeInfinity;
            case ".nan" or ".NaN" or ".NAN":
                return double.NaN;
        }

        if (IntegerRegex().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        if (HexRegex().IsMatch(text) && long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return hex;
        }

        if (FloatRegex().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            return real;
        }

        return text;
    }

    /// <summary>Maps the YAML tree to the configuration, with located errors.</summary>
    private sealed class Reader(string? sourceName)
    {
        public PromptTemplateConfig ReadConfig(YamlNode root)
        {
            if (root is YamlScalarNode { Value: null or "" } or YamlScalarNode { Style: ScalarStyle.Plain, Value: "~" or "null" })
            {
                throw Error(root, "The prompt file is empty.");
            }

            var mapping = root as YamlMappingNode ?? throw Error(root, "The prompt file must be a YAML mapping (name, template, ...).");
            var config = new PromptTemplateConfig();
            var sawTemplate = false;
            foreach (var (keyNode, value) in Entries(mapping))
            {
                switch (keyNode.Value)
                {
                    case "name":
                        config.Name = String(value, "name");
                        if (!string.IsNullOrEmpty(config.Name) && !PromptTemplateConfig.IsValidFunctionName(config.Name))
                        {
                            throw Error(value, $"The prompt name '{config.Name}' is invalid: use letters, digits, '_' and '-' only.");
                        }

                        break;
                    case "description":
                        config.Description = String(value, "description");
                        break;
                    case "template_format":
                        var format = String(value, "template_format") ?? PromptTemplateConfig.SemanticKernelTemplateFormat;
                        if (!PromptTemplateConfig.IsKnownTemplateFormat(format))
                        {
                            throw Error(value, PromptTemplateConfig.UnknownFormatMessage(format));
                        }

                        config.TemplateFormat = format.ToLowerInvariant();
                        break;
                    case "template":
                        config.Template = String(value, "template") ?? throw Error(value, "'template' is empty.");
                        sawTemplate = true;
                        break;
                    case "input_variables":
                        ReadInputVariables(value, config.InputVariables);
                        break;
                    case "output_variable":
                        config.OutputVariable = ReadOutputVariable(value);
                        break;
                    case "execution_settings":
                        ReadExecutionSettings(value, config.ExecutionSettings);
                        break;
                    case "allow_dangerously_set_content":
                        config.AllowDangerouslySetContent = Bool(value, "allow_dangerously_set_content");
                        break;
                    default:
                        throw UnknownKey(keyNode, "name, description, template_format, template, input_variables, output_variable, execution_settings, allow_dangerously_set_content");
                }
            }

            if (!sawTemplate)
            {
                throw Error(root, "The prompt has no 'template'.");
            }

            return config;
        }

        private void ReadInputVariables(YamlNode node, IList<InputVariable> variables)
        {
            if (IsNull(node))
            {
                return;
            }

            var sequence = node as YamlSequenceNode ?? throw Error(node, "'input_variables' must be a list.");
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in sequence.Children)
            {
                var mapping = item as YamlMappingNode ?? throw Error(item, "Each input variable must be a mapping (name, description, ...).");
                var variable = new InputVariable();
                var sawName = false;
                foreach (var (keyNode, value) in Entries(mapping))
                {
                    switch (keyNode.Value)
                    {
                        case "name":
                            variable.Name = String(value, "name") ?? string.Empty;
                            if (!PromptTemplateConfig.IsValidVariableName(variable.Name))
                            {
                                throw Error(value, $"The input variable name '{variable.Name}' is invalid: use letters, digits and '_' only.");
                            }

                            if (!names.Add(variable.Name))
                            {
                                throw Error(value, $"The input variable '{variable.Name}' is declared more than once.");
                            }

                            sawName = true;
                            break;
                        case "description":
                            variable.Description = String(value, "description");
                            break;
                        case "default":
                            variable.Default = ToValue(value);
                            break;
                        case "is_required":
                            variable.IsRequired = Bool(value, "is_required");
                            break;
                        case "json_schema":
                            variable.JsonSchema = JsonSchema(value);
                            break;
                        case "sample":
                            variable.Sample = ToValue(value);
                            break;
                        case "allow_dangerously_set_content":
                            variable.AllowDangerouslySetContent = Bool(value, "allow_dangerously_set_content");
                            break;
                        default:
                            throw UnknownKey(keyNode, "name, description, default, is_required, json_schema, sample, allow_dangerously_set_content");
                    }
                }

                if (!sawName)
                {
                    throw Error(item, "An input variable has no 'name'.");
                }

                variables.Add(variable);
            }
        }

        private OutputVariable? ReadOutputVariable(YamlNode node)
        {
            if (IsNull(node))
            {
                return null;
            }

            var mapping = node as YamlMappingNode ?? throw Error(node, "'output_variable' must be a mapping (description, json_schema).");
            var output = new OutputVariable();
            foreach (var (keyNode, value) in Entries(mapping))
            {
                switch (keyNode.Value)
                {
                    case "description":
                        output.Description = String(value, "description");
                        break;
                    case "json_schema":
                        output.JsonSchema = JsonSchema(value);
                        break;
                    default:
                        throw UnknownKey(keyNode, "description, json_schema");
                }
            }

            return output;
        }

        private void ReadExecutionSettings(YamlNode node, IDictionary<string, PromptExecutionSettings> settings)
        {
            if (IsNull(node))
            {
                return;
            }

            var mapping = node as YamlMappingNode ?? throw Error(node, "'execution_settings' must be a mapping keyed by service id or 'default'.");
            foreach (var (keyNode, value) in Entries(mapping))
            {
                var key = keyNode.Value ?? string.Empty;
                if (key.Length == 0)
                {
                    throw Error(keyNode, "An execution settings key is empty.");
                }

                var entry = new PromptExecutionSettings();
                if (!IsNull(value))
                {
                    var entryMapping = value as YamlMappingNode ?? throw Error(value, $"The execution settings '{key}' must be a mapping.");
                    foreach (var (settingKey, settingValue) in Entries(entryMapping))
                    {
                        switch (settingKey.Value)
                        {
                            case "service_id":
                                entry.ServiceId = String(settingValue, "service_id");
                                if (entry.ServiceId is not null && !string.Equals(entry.ServiceId, key, StringComparison.Ordinal))
                                {
                                    throw Error(settingValue, $"The execution settings under '{key}' declare service_id '{entry.ServiceId}': service_id must equal its key.");
                                }

                                break;
                            case "model_id":
                                entry.ModelId = String(settingValue, "model_id");
                                break;
                            case "function_choice_behavior":
                                entry.FunctionChoiceBehavior = ReadFunctionChoiceBehavior(settingValue);
                                break;
                            default:
                                entry.ExtensionData[settingKey.Value ?? string.Empty] = ToValue(settingValue);
                                break;
                        }
                    }
                }

                settings[key] = entry;
            }
        }

        private FunctionChoiceBehaviorConfig? ReadFunctionChoiceBehavior(YamlNode node)
        {
            if (IsNull(node))
            {
                return null;
            }

            var behavior = new FunctionChoiceBehaviorConfig();
            if (node is YamlScalarNode)
            {
                behavior.Type = CheckType(node, String(node, "function_choice_behavior"));
                return behavior;
            }

            var mapping = node as YamlMappingNode ?? throw Error(node, "'function_choice_behavior' must be a mapping (type, functions, options).");
            foreach (var (keyNode, value) in Entries(mapping))
            {
                switch (keyNode.Value)
                {
                    case "type":
                        behavior.Type = CheckType(value, String(value, "type"));
                        break;
                    case "functions":
                        if (!IsNull(value))
                        {
                            var list = value as YamlSequenceNode ?? throw Error(value, "'functions' must be a list of function names.");
                            behavior.Functions = [.. list.Children.Select(f => String(f, "functions") ?? string.Empty)];
                        }

                        break;
                    case "options":
                        if (!IsNull(value))
                        {
                            var options = value as YamlMappingNode ?? throw Error(value, "'options' must be a mapping.");
                            foreach (var (optionKey, optionValue) in Entries(options))
                            {
                                behavior.Options[optionKey.Value ?? string.Empty] = ToValue(optionValue);
                            }
                        }

                        break;
                    default:
                        throw UnknownKey(keyNode, "type, functions, options");
                }
            }

            return behavior;
        }

        private string CheckType(YamlNode node, string? type)
        {
            var normalized = type?.Trim().ToLowerInvariant();
            return normalized is "auto" or "required" or "none"
                ? normalized
                : throw Error(node, $"Unknown function_choice_behavior type '{type}': use auto, required or none.");
        }

        private string JsonSchema(YamlNode node)
        {
            if (node is YamlScalarNode scalar)
            {
                var text = scalar.Value ?? string.Empty;
                try
                {
                    _ = JsonNode.Parse(text);
                }
                catch (System.Text.Json.JsonException ex)
                {
                    throw Error(node, $"'json_schema' is not valid JSON: {ex.Message}");
                }

                return text;
            }

            return PromptValues.ToJsonNode(ToValue(node))?.ToJsonString() ?? "{}";
        }

        private IEnumerable<(YamlScalarNode Key, YamlNode Value)> Entries(YamlMappingNode mapping)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, value) in mapping.Children)
            {
                var scalar = key as YamlScalarNode ?? throw Error(key, "Keys must be plain strings.");
                if (!seen.Add(scalar.Value ?? string.Empty))
                {
                    throw Error(key, $"Duplicate key '{scalar.Value}'.");
                }

                yield return (scalar, value);
            }
        }

        private string? String(YamlNode node, string key) => node switch
        {
            YamlScalarNode scalar when IsNull(scalar) => null,
            YamlScalarNode scalar => scalar.Value,
            _ => throw Error(node, $"'{key}' must be a string."),
        };

        private bool Bool(YamlNode node, string key)
        {
            if (node is YamlScalarNode scalar && ScalarValue(scalar) is bool b)
            {
                return b;
            }

            if (node is YamlScalarNode { Value: { } text } && bool.TryParse(text, out var parsed))
            {
                return parsed;
            }

            throw Error(node, $"'{key}' must be true or false.");
        }

        private static bool IsNull(YamlNode node) => node is YamlScalarNode { Style: ScalarStyle.Plain, Tag.IsEmpty: true } scalar && ScalarValue(scalar) is null;

        private PromptConfigurationException UnknownKey(YamlScalarNode key, string known) =>
            Error(key, $"Unknown key '{key.Value}'. Known keys here: {known}.");

        private PromptConfigurationException Error(YamlNode node, string problem) =>
            new(sourceName, problem, Line(node.Start), Column(node.Start));
    }
}
