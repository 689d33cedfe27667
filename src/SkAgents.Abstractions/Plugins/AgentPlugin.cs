using System.ComponentModel;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkAgents.Plugins;

/// <summary>
/// A named group of tools. Every function is an <see cref="AIFunction"/> named <c>plugin_function</c>, so the same
/// plugin serves our agent, any <see cref="IChatClient"/> host, Semantic Kernel (via <c>AsKernelFunction()</c>) and MCP.
/// </summary>
/// <remarks>
/// Create one from a plain class with <see cref="FromObject"/> (public methods carrying
/// <see cref="DescriptionAttribute"/> or <see cref="PluginFunctionAttribute"/>), or from existing functions with
/// <see cref="FromFunctions"/>.
/// </remarks>
public sealed class AgentPlugin
{
    private AgentPlugin(string name, string description, IReadOnlyList<AIFunction> functions)
    {
        Name = name;
        Description = description;
        Functions = functions;
    }

    /// <summary>Gets the plugin name (<c>[A-Za-z0-9_]</c>), the prefix of every tool name.</summary>
    public string Name { get; }

    /// <summary>Gets what the plugin is for.</summary>
    public string Description { get; }

    /// <summary>Gets the plugin's functions, each named <c>plugin_function</c>.</summary>
    public IReadOnlyList<AIFunction> Functions { get; }

    /// <summary>
    /// Creates a plugin from an object whose public methods carry <see cref="DescriptionAttribute"/> or
    /// <see cref="PluginFunctionAttribute"/>. Parameters get JSON schemas from their types, descriptions and defaults;
    /// <see cref="CancellationToken"/>, <see cref="IServiceProvider"/> and <see cref="FromServicesAttribute"/>
    /// parameters are bound by the host and hidden from the model. Methods marked <see cref="SideEffectAttribute"/>
    /// become <see cref="ApprovalRequiredAIFunction"/>s.
    /// </summary>
    /// <param name="target">The plugin instance (static methods of its type are included too).</param>
    /// <param name="name">The plugin name; by default <see cref="PluginAttribute"/> or the class name in snake_case without a <c>Plugin</c> suffix.</param>
    /// <param name="options">Serialization and service options.</param>
    /// <returns>The plugin.</returns>
    /// <exception cref="ArgumentException">A name breaks the naming rules, two functions share a name, or the type has no plugin functions.</exception>
    public static AgentPlugin FromObject(object target, string? name = null, AgentPluginOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        options ??= new AgentPluginOptions();
        var type = target.GetType();
        var pluginName = name ?? type.GetCustomAttribute<PluginAttribute>()?.Name ?? DerivePluginName(type.Name);
        ToolNames.EnsurePluginName(pluginName);
        var description = type.GetCustomAttribute<DescriptionAttribute>()?.Description ?? string.Empty;

        var functions = new List<AIFunction>();
        foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
        {
            if (method.IsSpecialName || method.DeclaringType == typeof(object) ||
                (method.GetCustomAttribute<PluginFunctionAttribute>() is null && method.GetCustomAttribute<DescriptionAttribute>() is null))
            {
                continue;
            }

            functions.Add(CreateFunction(method, method.IsStatic ? null : target, pluginName, options));
        }

        if (functions.Count == 0)
        {
            throw new ArgumentException(
                $"Type '{type.FullName}' has no public methods marked [Description] or [PluginFunction], so it defines no plugin functions.",
                nameof(target));
        }

        functions.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        EnsureUniqueNames(pluginName, functions);
        return new AgentPlugin(pluginName, description, functions);
    }

    /// <summary>
    /// Creates a plugin from existing functions (prompt functions, MCP tools, functions made with
    /// <see cref="AIFunctionFactory"/>). Each function is exposed as <c>plugin_function</c>, its own name sanitized to
    /// the naming rules; invocation, schema and approval requirements are those of the original function.
    /// </summary>
    /// <param name="name">The plugin name.</param>
    /// <param name="description">What the plugin is for.</param>
    /// <param name="functions">The functions.</param>
    /// <returns>The plugin.</returns>
    /// <exception cref="ArgumentException">The plugin name is invalid or two functions end up with the same name.</exception>
    public static AgentPlugin FromFunctions(string name, string? description, IEnumerable<AIFunction> functions)
    {
        ArgumentNullException.ThrowIfNull(functions);
        ToolNames.EnsurePluginName(name);
        var list = new List<AIFunction>();
        foreach (var function in functions)
        {
            ArgumentNullException.ThrowIfNull(function, nameof(functions));
            var functionName = ToolNames.Sanitize(StripPrefix(function.Name, name));
            list.Add(new PluginFunction(function, ToolNames.Combine(name, functionName), name, functionName));
        }

        EnsureUniqueNames(name, list);
        return new AgentPlugin(name, description ?? string.Empty, list);
    }

    private static AIFunction CreateFunction(MethodInfo method, object? target, string pluginName, AgentPluginOptions options)
    {
        var functionName = method.GetCustomAttribute<PluginFunctionAttribute>()?.Name ?? ToolNames.ToSnakeCase(method.Name);
        var toolName = ToolNames.Combine(pluginName, functionName);
        var sideEffect = method.GetCustomAttribute<SideEffectAttribute>();

        var properties = new Dictionary<string, object?>
        {
            [PluginMetadataKeys.PluginName] = pluginName,
            [PluginMetadataKeys.FunctionName] = functionName,
        };
        if (sideEffect is not null)
        {
            properties[PluginMetadataKeys.SideEffect] = sideEffect.Description;
        }

        if (method.GetCustomAttribute<ReadOnlyToolAttribute>() is not null)
        {
            if (sideEffect is not null)
            {
                throw new ArgumentException($"Plugin function '{toolName}' is marked both [SideEffect] and [ReadOnlyTool]; it can only be one.", nameof(method));
            }

            properties[PluginMetadataKeys.ReadOnly] = true;
        }

        var factoryOptions = new AIFunctionFactoryOptions
        {
            Name = toolName,
            Description = method.GetCustomAttribute<DescriptionAttribute>()?.Description ?? string.Empty,
            SerializerOptions = options.SerializerOptions ?? AIJsonUtilities.DefaultOptions,
            AdditionalProperties = properties,
            ConfigureParameterBinding = parameter => parameter.GetCustomAttribute<FromServicesAttribute>() is null
                ? default
                : new AIFunctionFactoryOptions.ParameterBindingOptions
                {
                    ExcludeFromSchema = true,
                    BindParameter = (p, arguments) => ResolveService(toolName, p, arguments, options.Services),
                },
        };

        var function = AIFunctionFactory.Create(method, target, factoryOptions);
        return sideEffect is null ? function : new ApprovalRequiredAIFunction(function);
    }

    private static object? ResolveService(string toolName, ParameterInfo parameter, AIFunctionArguments arguments, IServiceProvider? fallback)
    {
        var service = arguments.Services?.GetService(parameter.ParameterType) ?? fallback?.GetService(parameter.ParameterType);
        if (service is not null)
        {
            return service;
        }

        if (parameter.HasDefaultValue)
        {
            return parameter.DefaultValue;
        }

        if (new NullabilityInfoContext().Create(parameter).WriteState == NullabilityState.Nullable)
        {
            return null;
        }

        throw new InvalidOperationException(
            $"Plugin function '{toolName}' needs a service of type '{parameter.ParameterType.FullName}' for parameter '{parameter.Name}', but none is registered.");
    }

    private static string DerivePluginName(string typeName)
    {
        var tick = typeName.IndexOf('`', StringComparison.Ordinal);
        if (tick > 0)
        {
            typeName = typeName[..tick];
        }

        if (typeName.Length > 6 && typeName.EndsWith("Plugin", StringComparison.Ordinal))
        {
            typeName = typeName[..^6];
        }

        return ToolNames.ToSnakeCase(typeName);
    }

    private static string StripPrefix(string functionName, string pluginName) =>
        functionName.Length > pluginName.Length + 1 &&
        functionName.StartsWith(pluginName + "_", StringComparison.Ordinal)
            ? functionName[(pluginName.Length + 1)..]
            : functionName;

    private static void EnsureUniqueNames(string pluginName, List<AIFunction> functions)
    {
        var duplicate = functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Plugin '{pluginName}' defines the function '{duplicate.Key}' more than once.", nameof(functions));
        }
    }

    /// <summary>Exposes an existing function under a plugin's tool name; everything else delegates.</summary>
    private sealed class PluginFunction : DelegatingAIFunction
    {
        private readonly string _name;
        private readonly IReadOnlyDictionary<string, object?> _properties;

        public PluginFunction(AIFunction inner, string name, string pluginName, string functionName)
            : base(inner)
        {
            _name = name;
            var properties = new Dictionary<string, object?>(inner.AdditionalProperties)
            {
                [PluginMetadataKeys.PluginName] = pluginName,
                [PluginMetadataKeys.FunctionName] = functionName,
            };
            _properties = properties;
        }

        public override string Name => _name;

        public override IReadOnlyDictionary<string, object?> AdditionalProperties => _properties;
    }
}

/// <summary>Options for <see cref="AgentPlugin.FromObject"/>.</summary>
public sealed class AgentPluginOptions
{
    /// <summary>Gets or sets the JSON options for arguments, schemas and results; <see cref="AIJsonUtilities.DefaultOptions"/> by default.</summary>
    public JsonSerializerOptions? SerializerOptions { get; set; }

    /// <summary>
    /// Gets or sets the services that <see cref="FromServicesAttribute"/> parameters are resolved from when the
    /// invocation's <see cref="AIFunctionArguments.Services"/> is not set or lacks the service.
    /// </summary>
    public IServiceProvider? Services { get; set; }
}

/// <summary>Keys of the <see cref="AITool.AdditionalProperties"/> entries that plugin functions carry.</summary>
public static class PluginMetadataKeys
{
    /// <summary>The plugin's name.</summary>
    public const string PluginName = "skagents.plugin";

    /// <summary>The function's name within its plugin.</summary>
    public const string FunctionName = "skagents.function";

    /// <summary>The side effect declared with <see cref="SideEffectAttribute"/>, if any.</summary>
    public const string SideEffect = "skagents.side_effect";

    /// <summary>The key whose value is <see langword="true"/> when the function only reads (see <see cref="ReadOnlyToolAttribute"/>).</summary>
    public const string ReadOnly = "skagents.read_only";
}
