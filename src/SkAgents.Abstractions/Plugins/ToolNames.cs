using System.Text;
using System.Text.RegularExpressions;

namespace SkAgents.Plugins;

/// <summary>
/// Naming rules for plugins and tools. They follow Semantic Kernel's: plugin names match <c>^[A-Za-z0-9_]+$</c>,
/// function names <c>^[A-Za-z0-9_-]+$</c>, and a tool is named <c>plugin_function</c>. OpenAI-compatible services
/// also cap tool names at 64 characters.
/// </summary>
public static partial class ToolNames
{
    /// <summary>The longest tool name OpenAI-compatible services accept.</summary>
    public const int MaxToolNameLength = 64;

    /// <summary>Gets whether <paramref name="name"/> is a valid plugin name.</summary>
    /// <param name="name">The candidate name.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidPluginName(string? name) => !string.IsNullOrEmpty(name) && PluginNameRegex().IsMatch(name);

    /// <summary>Gets whether <paramref name="name"/> is a valid function or tool name.</summary>
    /// <param name="name">The candidate name.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidFunctionName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxToolNameLength && FunctionNameRegex().IsMatch(name);

    /// <summary>Builds the tool name <c>plugin_function</c>, validating both parts.</summary>
    /// <param name="pluginName">The plugin name.</param>
    /// <param name="functionName">The function name.</param>
    /// <returns>The tool name.</returns>
    /// <exception cref="ArgumentException">A part breaks the naming rules, or the result is too long.</exception>
    public static string Combine(string pluginName, string functionName)
    {
        EnsurePluginName(pluginName);
        if (string.IsNullOrEmpty(functionName) || !FunctionNameRegex().IsMatch(functionName))
        {
            throw new ArgumentException(
                $"Function name '{functionName}' is invalid: use only letters, digits, '_' and '-'.", nameof(functionName));
        }

        var toolName = $"{pluginName}_{functionName}";
        if (toolName.Length > MaxToolNameLength)
        {
            throw new ArgumentException(
                $"Tool name '{toolName}' is {toolName.Length} characters long; the limit is {MaxToolNameLength}.", nameof(functionName));
        }

        return toolName;
    }

    /// <summary>Throws when <paramref name="pluginName"/> is not a valid plugin name.</summary>
    /// <param name="pluginName">The candidate name.</param>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    public static void EnsurePluginName(string pluginName)
    {
        if (!IsValidPluginName(pluginName))
        {
            throw new ArgumentException(
                $"Plugin name '{pluginName}' is invalid: use only letters, digits and '_' (Semantic Kernel's rule).", nameof(pluginName));
        }
    }

    /// <summary>
    /// Turns an arbitrary name (for example an MCP tool called <c>github.search/issues</c>) into a valid function
    /// name by replacing every other character with <c>_</c>.
    /// </summary>
    /// <param name="name">The name to sanitize.</param>
    /// <returns>A valid function name.</returns>
    public static string Sanitize(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>Converts a .NET identifier such as <c>ReadFileAsync</c> into <c>read_file</c>.</summary>
    /// <param name="identifier">The identifier.</param>
    /// <returns>The snake_case form, without an <c>Async</c> suffix.</returns>
    public static string ToSnakeCase(string identifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        if (identifier.Length > 5 && identifier.EndsWith("Async", StringComparison.Ordinal))
        {
            identifier = identifier[..^5];
        }

        var builder = new StringBuilder(identifier.Length + 4);
        for (var i = 0; i < identifier.Length; i++)
        {
            var c = identifier[i];
            if (char.IsUpper(c))
            {
                // Start a new word at a lower→upper change, or at the last capital of an acronym ("HTMLPage" → html_page).
                var startsWord = i > 0 && (char.IsLower(identifier[i - 1]) || char.IsDigit(identifier[i - 1]) ||
                    (i + 1 < identifier.Length && char.IsLower(identifier[i + 1]) && char.IsUpper(identifier[i - 1])));
                if (startsWord && builder.Length > 0 && builder[^1] != '_')
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    [GeneratedRegex("^[A-Za-z0-9_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex PluginNameRegex();

    [GeneratedRegex("^[A-Za-z0-9_-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex FunctionNameRegex();
}
