using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Server;

namespace SkAgents.Mcp.AspNetCore;

/// <summary>Maps the MCP streamable HTTP endpoint into an ASP.NET Core app.</summary>
public static class McpEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves MCP at <paramref name="pattern"/> (POST, GET and DELETE). Each session gets its own server built from
    /// <paramref name="createServerOptions"/>, e.g. <c>() =&gt; SkAgentsMcpServer.CreateServerOptions(catalog, prompts)</c>.
    /// Sessions are closed when the app stops.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="pattern">The route, e.g. <c>/mcp</c>.</param>
    /// <param name="createServerOptions">Creates a session's server options.</param>
    /// <param name="options">Authentication, allowed origins and session limits; defaults when null.</param>
    /// <returns>The endpoint's convention builder (for authorization, CORS, rate limiting…).</returns>
    public static IEndpointConventionBuilder MapSkAgentsMcp(
        this IEndpointRouteBuilder endpoints,
        string pattern,
        Func<McpServerOptions> createServerOptions,
        McpHttpOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        ArgumentNullException.ThrowIfNull(createServerOptions);
        var services = endpoints.ServiceProvider;
        var handler = new McpStreamableHttpHandler(createServerOptions, options ?? new McpHttpOptions(), services.GetService<ILoggerFactory>(), services);
        services.GetService<IHostApplicationLifetime>()?.ApplicationStopping.Register(() => handler.DisposeAsync().AsTask().GetAwaiter().GetResult());
        return endpoints.MapMethods(pattern, ["GET", "POST", "DELETE"], handler.HandleAsync);
    }
}
