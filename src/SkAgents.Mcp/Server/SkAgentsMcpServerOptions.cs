namespace SkAgents.Mcp.Server;

/// <summary>How a PluginCatalog is served over MCP.</summary>
public sealed class SkAgentsMcpServerOptions
{
    /// <summary>Gets or sets the server name reported to clients. Default: <c>skagents</c>.</summary>
    public string ServerName { get; set; } = "skagents";

    /// <summary>Gets or sets the server version reported to clients; the SkAgents.Mcp assembly version when null.</summary>
    public string? ServerVersion { get; set; }

    /// <summary>Gets or sets the instructions sent to clients at initialization (a hint for their model).</summary>
    public string? Instructions { get; set; }

    /// <summary>
    /// Gets or sets whether approval-required tools (those with side effects, such as posting or writing pages) run
    /// without asking. Default <see langword="false"/>: the server asks the client's user through MCP elicitation, and
    /// refuses the call when the client cannot ask. Set it only for a server whose every caller is trusted.
    /// </summary>
    public bool ApproveSideEffects { get; set; }

    /// <summary>Gets or sets whether prompt functions are also offered as MCP prompts. Default <see langword="true"/>.</summary>
    public bool ExposePrompts { get; set; } = true;
}
