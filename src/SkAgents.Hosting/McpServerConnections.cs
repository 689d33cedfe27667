using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SkAgents.Mcp.Client;
using SkAgents.Plugins;

namespace SkAgents.Hosting;

/// <summary>
/// The sessions with the configured external MCP servers (<c>SkAgents:Mcp:Servers</c>), whose tools join the
/// <see cref="PluginCatalog"/>. Connect with <see cref="SkAgentsServiceProviderExtensions.InitializeSkAgentsAsync"/>
/// before resolving the catalog; a server that cannot be reached is left out with a warning unless it is
/// <see cref="McpServerSettings.Required"/>. Disposing closes the sessions (and stops servers started over stdio).
/// </summary>
public sealed class McpServerConnections : IAsyncDisposable, IDisposable
{
    private readonly Dictionary<string, McpServerSettings> _servers;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly IMcpElicitationHandler? _elicitationHandler;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<McpClientPlugin> _connected = [];
    private readonly Dictionary<string, string> _failures = new(StringComparer.OrdinalIgnoreCase);
    private bool _isConnected;
    private bool _disposed;

    /// <summary>Creates the connections (nothing is started until <see cref="ConnectAsync"/>).</summary>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Logs connections and failures; none when null.</param>
    /// <param name="elicitationHandler">Answers the servers' questions for the user; when null, elicitation is not offered.</param>
    public McpServerConnections(IOptions<SkAgentsOptions> options, ILoggerFactory? loggerFactory = null, IMcpElicitationHandler? elicitationHandler = null)
    {
        _elicitationHandler = elicitationHandler;
        ArgumentNullException.ThrowIfNull(options);
        _servers = options.Value.Mcp.Servers
            .Where(s => s.Value.Enabled)
            .ToDictionary(s => s.Key, s => s.Value, StringComparer.OrdinalIgnoreCase);
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<McpServerConnections>();
    }

    /// <summary>Gets the servers that could not be reached, with the reason.</summary>
    public IReadOnlyDictionary<string, string> Failures => _failures;

    /// <summary>Gets whether any external MCP server is configured and enabled.</summary>
    public bool HasServers => _servers.Count > 0;

    /// <summary>Starts or reaches every configured server, in parallel; does nothing the second time.</summary>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>A task that completes when every server is connected or has failed.</returns>
    /// <exception cref="McpServerConnectionException">A server marked <see cref="McpServerSettings.Required"/> is not available.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_isConnected)
            {
                return;
            }

            var attempts = _servers.Select(async server =>
            {
                try
                {
                    return (server.Key, Plugin: await McpClientPlugin.ConnectAsync(server.Key, server.Value, _loggerFactory, _elicitationHandler, cancellationToken).ConfigureAwait(false), Error: (Exception?)null);
                }
                catch (Exception ex) when (ex is McpServerConnectionException or ArgumentException)
                {
                    return (server.Key, Plugin: (McpClientPlugin?)null, Error: ex);
                }
            }).ToList();
            var results = await Task.WhenAll(attempts).ConfigureAwait(false);

            foreach (var (name, plugin, error) in results)
            {
                if (plugin is not null)
                {
                    _connected.Add(plugin);
                }
                else
                {
                    _failures[name] = error!.Message;
                }
            }

            var required = results.FirstOrDefault(r => r.Error is not null && _servers[r.Key].Required);
            if (required.Error is not null)
            {
                await CloseAllAsync().ConfigureAwait(false);
                throw new McpServerConnectionException($"{required.Error.Message} (the server is marked Required).", required.Error) { ServerName = required.Key };
            }

            foreach (var (name, reason) in _failures)
            {
                _logger.LogWarning("MCP server {Server} is left out: {Reason}", name, reason);
            }

            _isConnected = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Gets the connected servers' plugins. Connects first (blocking) when <see cref="ConnectAsync"/> was not awaited,
    /// so a host that forgets to initialize still gets the tools rather than silently missing them.
    /// </summary>
    /// <returns>One plugin per reachable server.</returns>
    public IReadOnlyList<AgentPlugin> GetPlugins()
    {
        if (!HasServers)
        {
            return [];
        }

        if (!_isConnected)
        {
            _logger.LogDebug("Connecting MCP servers synchronously: call InitializeSkAgentsAsync() at start-up to avoid blocking.");
            ConnectAsync().GetAwaiter().GetResult();
        }

        return [.. _connected.Select(c => c.Plugin)];
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await CloseAllAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task CloseAllAsync()
    {
        foreach (var plugin in _connected)
        {
            try
            {
                await plugin.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogDebug(ex, "Closing MCP server {Server} failed.", plugin.Plugin.Name);
            }
        }

        _connected.Clear();
    }
}

/// <summary>Start-up steps for a service provider that called <see cref="SkAgentsServiceCollectionExtensions.AddSkAgents"/>.</summary>
public static class SkAgentsServiceProviderExtensions
{
    /// <summary>
    /// Does the asynchronous start-up work (connecting the configured MCP servers) so that resolving the
    /// <see cref="PluginCatalog"/> or the agent afterwards does not block. Call it once before using the agent.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <returns>A task that completes when start-up is done.</returns>
    public static Task InitializeSkAgentsAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetService(typeof(McpServerConnections)) is McpServerConnections connections
            ? connections.ConnectAsync(cancellationToken)
            : Task.CompletedTask;
    }
}
