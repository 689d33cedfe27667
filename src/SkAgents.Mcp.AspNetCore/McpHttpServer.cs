using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Server;

namespace SkAgents.Mcp.AspNetCore;

/// <summary>Where and how a standalone MCP HTTP server listens.</summary>
public sealed class McpHttpServerOptions
{
    /// <summary>Gets or sets the address to listen on. Default <c>127.0.0.1</c>; any other address needs a bearer token.</summary>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>Gets or sets the port; 0 picks a free one (read <see cref="McpHttpServer.Endpoint"/>). Default 5399.</summary>
    public int Port { get; set; } = 5399;

    /// <summary>Gets or sets the endpoint path. Default <c>/mcp</c>.</summary>
    public string Path { get; set; } = "/mcp";

    /// <summary>Gets the endpoint's authentication, origin and session settings.</summary>
    public McpHttpOptions Http { get; } = new();
}

/// <summary>
/// A standalone MCP server over streamable HTTP on Kestrel (what <c>skagents mcp serve --http</c> runs). It reads no
/// configuration files or environment of its own and writes nothing to the console.
/// </summary>
public sealed class McpHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private McpHttpServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>Gets the URL clients connect to, e.g. <c>http://127.0.0.1:5399/mcp</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>Starts listening.</summary>
    /// <param name="createServerOptions">Creates each session's server options.</param>
    /// <param name="options">Where to listen and how to admit clients; defaults when null.</param>
    /// <param name="loggerFactory">Logs sessions and failures; none when null.</param>
    /// <param name="services">Services for tools that take them; none when null.</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    /// <exception cref="ArgumentException">A non-loopback address without a bearer token, or a path not starting with '/'.</exception>
    public static async Task<McpHttpServer> StartAsync(
        Func<McpServerOptions> createServerOptions,
        McpHttpServerOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        IServiceProvider? services = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(createServerOptions);
        options ??= new McpHttpServerOptions();
        if (!IPAddress.IsLoopback(options.Address) && string.IsNullOrEmpty(options.Http.BearerToken))
        {
            throw new ArgumentException(
                $"Listening on {options.Address} exposes the tools to the network; set a bearer token (--token or SKAGENTS_MCP_TOKEN) or listen on 127.0.0.1.",
                nameof(options));
        }

        if (!options.Path.StartsWith('/'))
        {
            throw new ArgumentException($"The MCP path '{options.Path}' must start with '/'.", nameof(options));
        }

        // An empty builder: no appsettings.json, no ASPNETCORE_* variables, no console logging on stdout.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(options.Address, options.Port));
        builder.Services.AddRoutingCore();
        if (loggerFactory is not null)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        var app = builder.Build();
        app.UseRouting();
        var handler = new McpStreamableHttpHandler(createServerOptions, options.Http, loggerFactory, services);
        app.MapMethods(options.Path, ["GET", "POST", "DELETE"], handler.HandleAsync);
        app.Lifetime.ApplicationStopping.Register(() => handler.DisposeAsync().AsTask().GetAwaiter().GetResult());
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var bound = new Uri(address);
        var host = options.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{options.Address}]" : options.Address.ToString();
        return new McpHttpServer(app, new Uri($"http://{host}:{bound.Port}{options.Path}"));
    }

    /// <summary>Stops listening and closes every session.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
