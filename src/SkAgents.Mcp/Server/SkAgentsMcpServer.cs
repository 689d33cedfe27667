using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using SkAgents.Plugins;
using SkAgents.Prompts;

namespace SkAgents.Mcp.Server;

/// <summary>
/// Serves a <see cref="PluginCatalog"/> over the Model Context Protocol: every tool as an MCP tool (same name, same JSON
/// schema, so object and array arguments keep their types) and every renderable prompt as an MCP prompt.
/// </summary>
public static class SkAgentsMcpServer
{
    /// <summary>Builds the MCP server options (tools, prompts, server info) for a catalog.</summary>
    /// <param name="catalog">The plugins to serve.</param>
    /// <param name="prompts">The prompt functions to offer as MCP prompts; none when null.</param>
    /// <param name="options">How to serve them; defaults when null.</param>
    /// <param name="loggerFactory">Logs refusals and tool failures; none when null.</param>
    /// <returns>Options for <see cref="McpServer.Create"/>, one per session (they hold the session's collections).</returns>
    public static McpServerOptions CreateServerOptions(
        PluginCatalog catalog,
        IPromptCatalog? prompts = null,
        SkAgentsMcpServerOptions? options = null,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        options ??= new SkAgentsMcpServerOptions();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(SkAgentsMcpServer).FullName!);

        var tools = new McpServerPrimitiveCollection<McpServerTool>();
        foreach (var function in catalog.Tools)
        {
            tools.Add(new CatalogMcpTool(function, options, logger));
        }

        var serverOptions = new McpServerOptions
        {
            ServerInfo = new Implementation
            {
                Name = options.ServerName,
                Version = options.ServerVersion ?? DefaultVersion(),
            },
            ServerInstructions = options.Instructions,
            ToolCollection = tools,
        };

        if (options.ExposePrompts && prompts is not null)
        {
            var collection = new McpServerPrimitiveCollection<McpServerPrompt>();
            foreach (var prompt in prompts.Prompts)
            {
                if (prompt is IRenderablePrompt renderable)
                {
                    collection.Add(new CatalogMcpPrompt(prompt, renderable));
                }
            }

            if (!collection.IsEmpty)
            {
                serverOptions.PromptCollection = collection;
            }
        }

        return serverOptions;
    }

    /// <summary>Runs one MCP session over standard input and output until the client disconnects or <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="catalog">The plugins to serve.</param>
    /// <param name="prompts">The prompt functions to offer as MCP prompts; none when null.</param>
    /// <param name="options">How to serve them; defaults when null.</param>
    /// <param name="loggerFactory">Logs (never to stdout, which carries the protocol); none when null.</param>
    /// <param name="services">Services for tools that take them; none when null.</param>
    /// <param name="cancellationToken">Stops the server.</param>
    /// <returns>A task that ends with the session.</returns>
    public static async Task RunStdioAsync(
        PluginCatalog catalog,
        IPromptCatalog? prompts = null,
        SkAgentsMcpServerOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        IServiceProvider? services = null,
        CancellationToken cancellationToken = default)
    {
        var serverOptions = CreateServerOptions(catalog, prompts, options, loggerFactory);
        var transport = new StdioServerTransport(serverOptions, loggerFactory);
        await using var _ = transport.ConfigureAwait(false);
        await RunAsync(transport, serverOptions, loggerFactory, services, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs one MCP session on any transport (streams, pipes, HTTP).</summary>
    /// <param name="transport">The session's transport.</param>
    /// <param name="serverOptions">Options from <see cref="CreateServerOptions"/>.</param>
    /// <param name="loggerFactory">Logs; none when null.</param>
    /// <param name="services">Services for tools that take them; none when null.</param>
    /// <param name="cancellationToken">Stops the server.</param>
    /// <returns>A task that ends with the session.</returns>
    public static async Task RunAsync(
        ITransport transport,
        McpServerOptions serverOptions,
        ILoggerFactory? loggerFactory = null,
        IServiceProvider? services = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(serverOptions);
        var server = McpServer.Create(transport, serverOptions, loggerFactory, services);
        await using var _ = server.ConfigureAwait(false);
        try
        {
            await server.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping is the normal end of a server's life.
        }
    }

    private static string DefaultVersion() =>
        typeof(SkAgentsMcpServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
        ?? typeof(SkAgentsMcpServer).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";
}
