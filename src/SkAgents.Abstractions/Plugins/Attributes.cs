namespace SkAgents.Plugins;

/// <summary>
/// Marks a public method as a plugin function and optionally gives it an explicit name.
/// A method with a <see cref="System.ComponentModel.DescriptionAttribute"/> is a plugin function even without this
/// attribute; use it to override the name derived from the method (which drops an <c>Async</c> suffix and is
/// converted to snake_case).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class PluginFunctionAttribute : Attribute
{
    /// <summary>Marks the method as a plugin function named after the method.</summary>
    public PluginFunctionAttribute()
    {
    }

    /// <summary>Marks the method as a plugin function with an explicit name.</summary>
    /// <param name="name">The function name (characters <c>[A-Za-z0-9_-]</c>), without the plugin prefix.</param>
    public PluginFunctionAttribute(string name) => Name = name;

    /// <summary>Gets the explicit function name, or <see langword="null"/> to derive it from the method name.</summary>
    public string? Name { get; }
}

/// <summary>
/// Gives a plugin class its name (otherwise derived from the class name without a <c>Plugin</c> suffix, in snake_case).
/// Put a <see cref="System.ComponentModel.DescriptionAttribute"/> on the class to describe the plugin.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class PluginAttribute : Attribute
{
    /// <summary>Names the plugin.</summary>
    /// <param name="name">The plugin name (characters <c>[A-Za-z0-9_]</c>).</param>
    public PluginAttribute(string name) => Name = name;

    /// <summary>Gets the plugin name.</summary>
    public string Name { get; }
}

/// <summary>
/// Declares that a plugin function has side effects outside the process (writes a file, posts a status, edits a page).
/// Such functions are exposed as <see cref="Microsoft.Extensions.AI.ApprovalRequiredAIFunction"/>: an agent host
/// must obtain approval before invoking them.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class SideEffectAttribute : Attribute
{
    /// <summary>Declares the side effect.</summary>
    /// <param name="description">What the function changes, in words shown to the person asked for approval.</param>
    public SideEffectAttribute(string description) => Description = description;

    /// <summary>Gets what the function changes.</summary>
    public string Description { get; }
}

/// <summary>
/// Marks a plugin function that does not change anything: it only reads or computes. Hosts may run it without asking,
/// and the MCP server announces it with <c>readOnlyHint: true</c>. A function is not assumed read-only without it
/// (saving to memory, for example, changes the store even though it needs no approval).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class ReadOnlyToolAttribute : Attribute
{
}

/// <summary>
/// Marks a plugin-function parameter that is resolved from the invocation's <see cref="IServiceProvider"/>
/// (<see cref="Microsoft.Extensions.AI.AIFunctionArguments.Services"/>, or the provider given when the plugin was
/// created) rather than supplied by the model. Such parameters are left out of the JSON schema.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = true)]
public sealed class FromServicesAttribute : Attribute
{
}
