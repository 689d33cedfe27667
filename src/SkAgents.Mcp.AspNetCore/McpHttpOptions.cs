namespace SkAgents.Mcp.AspNetCore;

/// <summary>How the MCP streamable HTTP endpoint admits clients and keeps sessions.</summary>
public sealed class McpHttpOptions
{
    /// <summary>
    /// Gets or sets the bearer token clients must send (<c>Authorization: Bearer …</c>); no authentication when null.
    /// Required when the server listens on anything but loopback.
    /// </summary>
    public string? BearerToken { get; set; }

    /// <summary>
    /// Gets extra browser origins allowed to call the endpoint (e.g. <c>https://app.example.com</c>). Requests without an
    /// <c>Origin</c> header (non-browser clients) and from loopback origins are always allowed; others get 403, which
    /// stops DNS-rebinding attacks from web pages.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>Gets or sets how long a session may sit unused before it is closed. Default 30 minutes.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Gets or sets the most sessions open at once; a new one beyond it gets 503. Default 100.</summary>
    public int MaxSessions { get; set; } = 100;

    /// <summary>Gets or sets the largest request body accepted, in bytes. Default 4 MiB.</summary>
    public long MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Gets or sets the clock used for idle expiry; the system clock when null.</summary>
    public TimeProvider? TimeProvider { get; set; }
}
