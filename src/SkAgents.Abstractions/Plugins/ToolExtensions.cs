using Microsoft.Extensions.AI;

namespace SkAgents.Plugins;

/// <summary>Queries on tools about approval and plugin metadata.</summary>
public static class ToolExtensions
{
    /// <summary>
    /// Gets whether invoking the tool needs approval: it is, or wraps, an <see cref="ApprovalRequiredAIFunction"/>.
    /// </summary>
    /// <param name="tool">The tool.</param>
    /// <returns><see langword="true"/> when approval is required.</returns>
    public static bool RequiresApproval(this AITool tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return tool.GetService<ApprovalRequiredAIFunction>() is not null;
    }

    /// <summary>Gets the side effect the tool declares with <see cref="SideEffectAttribute"/>, if any.</summary>
    /// <param name="tool">The tool.</param>
    /// <returns>The description, or <see langword="null"/>.</returns>
    public static string? GetSideEffect(this AITool tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return tool.AdditionalProperties.TryGetValue(PluginMetadataKeys.SideEffect, out var value) ? value as string : null;
    }

    /// <summary>Gets whether the tool only reads or computes (marked <see cref="ReadOnlyToolAttribute"/>).</summary>
    /// <param name="tool">The tool.</param>
    /// <returns><see langword="true"/> for read-only tools; <see langword="false"/> when unknown or when it changes something.</returns>
    public static bool IsReadOnly(this AITool tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return tool.AdditionalProperties.TryGetValue(PluginMetadataKeys.ReadOnly, out var value) && value is true;
    }

    /// <summary>Gets the name of the plugin the tool belongs to, if it came from an <see cref="AgentPlugin"/>.</summary>
    /// <param name="tool">The tool.</param>
    /// <returns>The plugin name, or <see langword="null"/>.</returns>
    public static string? GetPluginName(this AITool tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return tool.AdditionalProperties.TryGetValue(PluginMetadataKeys.PluginName, out var value) ? value as string : null;
    }
}
