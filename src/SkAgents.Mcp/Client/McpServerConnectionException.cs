namespace SkAgents.Mcp.Client;

/// <summary>An external MCP server could not be started, reached or initialized, or its tool list could not be read.</summary>
public sealed class McpServerConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public McpServerConnectionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public McpServerConnectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public McpServerConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets the configured name of the server.</summary>
    public string? ServerName { get; init; }
}
