namespace SkAgents.Mcp.Client;

/// <summary>
/// An external MCP server whose tools join the catalog: either a command started over stdio or a streamable HTTP URL.
/// Bound from configuration (<c>SkAgents:Mcp:Servers:&lt;name&gt;</c>).
/// </summary>
public sealed class McpServerSettings
{
    /// <summary>Gets or sets whether the server is used. Default <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets the program to start (stdio transport), e.g. <c>npx</c> or <c>docker</c>.</summary>
    public string? Command { get; set; }

    /// <summary>Gets the program's arguments. Put secrets in <see cref="Environment"/>, not here: arguments are shown by <c>config show</c>.</summary>
    public IList<string> Arguments { get; } = [];

    /// <summary>Gets environment variables for the program (values are redacted by <c>config show</c> when their names look secret).</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets or sets the program's working directory; the host's when null.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Gets or sets the server's streamable HTTP (or legacy SSE) endpoint, instead of <see cref="Command"/>.</summary>
    public Uri? Url { get; set; }

    /// <summary>Gets extra HTTP headers sent to <see cref="Url"/>.</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets a bearer token sent to <see cref="Url"/> as <c>Authorization: Bearer …</c>.</summary>
    public string? BearerToken { get; set; }

    /// <summary>Gets or sets which of the server's tools need the user's approval before they run. Default: all not marked read-only.</summary>
    public McpToolApproval Approval { get; set; } = McpToolApproval.UnlessReadOnly;

    /// <summary>Gets or sets how long starting and initializing the server may take. Default 30 s.</summary>
    public int ConnectTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Gets or sets whether the host must stop when this server cannot be reached. Default <see langword="false"/>:
    /// the host warns and runs without the server's tools.
    /// </summary>
    public bool Required { get; set; }

    /// <summary>Gets a one-line description of where the server is (command or URL), without arguments or secrets.</summary>
    public string Describe() => Url is not null ? Url.GetLeftPart(UriPartial.Path) : $"command '{Command}'";

    /// <summary>Checks that exactly one of <see cref="Command"/> and <see cref="Url"/> is set and the values make sense.</summary>
    /// <param name="name">The server's name, for messages.</param>
    /// <returns>The problems found; empty when valid.</returns>
    public IReadOnlyList<string> Validate(string name)
    {
        var problems = new List<string>();
        var hasCommand = !string.IsNullOrWhiteSpace(Command);
        if (hasCommand == (Url is not null))
        {
            problems.Add($"MCP server '{name}': set exactly one of Command (a program started over stdio) and Url (a streamable HTTP endpoint).");
        }

        if (Url is not null && (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps)))
        {
            problems.Add($"MCP server '{name}': Url must be an absolute http or https URL.");
        }

        if (ConnectTimeoutSeconds <= 0)
        {
            problems.Add($"MCP server '{name}': ConnectTimeoutSeconds must be positive.");
        }

        return problems;
    }
}

/// <summary>Which tools of an external MCP server need the user's approval before they run.</summary>
public enum McpToolApproval
{
    /// <summary>Every tool except those the server annotates as read-only (<c>readOnlyHint: true</c>). The default.</summary>
    UnlessReadOnly,

    /// <summary>Every tool.</summary>
    Always,

    /// <summary>No tool: for servers you trust with side effects (their annotations are ignored).</summary>
    Never,
}
