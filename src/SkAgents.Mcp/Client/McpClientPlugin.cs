using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SkAgents.Plugins;

namespace SkAgents.Mcp.Client;

/// <summary>
/// A connection to an external MCP server and its tools as an <see cref="AgentPlugin"/>: tool <c>search</c> of server
/// <c>github</c> becomes <c>github_search</c>, with names sanitized to Semantic Kernel's rules. Disposing closes the
/// session (and stops a server started over stdio).
/// </summary>
public sealed class McpClientPlugin : IAsyncDisposable
{
    private readonly McpClient _client;

    private McpClientPlugin(McpClient client, AgentPlugin plugin)
    {
        _client = client;
        Plugin = plugin;
    }

    /// <summary>Gets the server's tools as a plugin named after the server.</summary>
    public AgentPlugin Plugin { get; }

    /// <summary>Gets the MCP session, for prompts, resources or direct calls.</summary>
    public McpClient Client => _client;

    /// <summary>Starts or reaches the server, initializes the session and reads its tools.</summary>
    /// <param name="name">The server's name; it becomes the plugin name (characters outside <c>[A-Za-z0-9_]</c> become <c>_</c>).</param>
    /// <param name="settings">Where the server is and how its tools are approved.</param>
    /// <param name="loggerFactory">Logs the session (and a stdio server's stderr, at debug level); none when null.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The connected plugin; dispose it to close the session.</returns>
    /// <exception cref="ArgumentException">The settings are invalid (the message says which).</exception>
    /// <exception cref="McpServerConnectionException">The server could not be started, reached or initialized in time.</exception>
    public static Task<McpClientPlugin> ConnectAsync(
        string name,
        McpServerSettings settings,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default) =>
        ConnectAsync(name, settings, loggerFactory, elicitationHandler: null, cancellationToken);

    /// <summary>Starts or reaches the server, offering it elicitation through <paramref name="elicitationHandler"/>.</summary>
    /// <param name="name">The server's name; it becomes the plugin name (characters outside <c>[A-Za-z0-9_]</c> become <c>_</c>).</param>
    /// <param name="settings">Where the server is and how its tools are approved.</param>
    /// <param name="loggerFactory">Logs the session (and a stdio server's stderr, at debug level); none when null.</param>
    /// <param name="elicitationHandler">Answers the server's questions for the user; when null, elicitation is not offered.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The connected plugin; dispose it to close the session.</returns>
    /// <exception cref="ArgumentException">The settings are invalid (the message says which).</exception>
    /// <exception cref="McpServerConnectionException">The server could not be started, reached or initialized in time.</exception>
    public static async Task<McpClientPlugin> ConnectAsync(
        string name,
        McpServerSettings settings,
        ILoggerFactory? loggerFactory,
        IMcpElicitationHandler? elicitationHandler,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(settings);
        var problems = settings.Validate(name);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(settings));
        }

        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger<McpClientPlugin>();
        var pluginName = ToPluginName(name);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(settings.ConnectTimeoutSeconds));
        McpClient? client = null;
        try
        {
            client = await McpClient.CreateAsync(CreateTransport(name, settings, loggerFactory, logger), new McpClientOptions
            {
                ClientInfo = new Implementation { Name = "skagents", Version = ClientVersion() },
                InitializationTimeout = TimeSpan.FromSeconds(settings.ConnectTimeoutSeconds),
                Handlers = elicitationHandler is null
                    ? new McpClientHandlers()
                    : new McpClientHandlers { ElicitationHandler = (request, ct) => request is null
                        ? ValueTask.FromResult(new ElicitResult { Action = "decline" })
                        : elicitationHandler.ElicitAsync(name, request, ct) },
            }, loggerFactory, timeout.Token).ConfigureAwait(false);

            var tools = await client.ListToolsAsync(cancellationToken: timeout.Token).ConfigureAwait(false);
            var functions = tools.Select(tool => Adapt(tool, pluginName, name, settings.Approval)).ToList();
            var description = client.ServerInfo?.Title ?? client.ServerInfo?.Name;
            var plugin = AgentPlugin.FromFunctions(
                pluginName,
                $"Tools of the MCP server '{name}'{(string.IsNullOrWhiteSpace(description) ? string.Empty : $" ({description})")}.",
                functions);
            logger.LogInformation("MCP server {Server} ({Where}): {Count} tools.", name, settings.Describe(), functions.Count);
            return new McpClientPlugin(client, plugin);
        }
        catch (Exception ex) when (ex is not ArgumentException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            var reason = ex is OperationCanceledException
                ? $"it did not finish starting within {settings.ConnectTimeoutSeconds} s (ConnectTimeoutSeconds)"
                : ex.Message;
            throw new McpServerConnectionException($"MCP server '{name}' ({settings.Describe()}) is not available: {reason}", ex) { ServerName = name };
        }
        catch
        {
            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _client.DisposeAsync();

    /// <summary>Turns a configured server name into a valid plugin name.</summary>
    /// <param name="name">The configured name.</param>
    /// <returns>The name with every character outside <c>[A-Za-z0-9_]</c> replaced by <c>_</c>.</returns>
    public static string ToPluginName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.Trim())
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>Fits an MCP tool name to the function-name rules and to the tool-name length limit after the plugin prefix.</summary>
    internal static string FitToolName(string pluginName, string toolName)
    {
        var sanitized = ToolNames.Sanitize(toolName);
        var room = ToolNames.MaxToolNameLength - pluginName.Length - 1;
        if (sanitized.Length <= room)
        {
            return sanitized;
        }

        // Too long: keep a readable head and make it unique with a short hash of the full name.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(toolName)))[..8];
        var head = Math.Max(1, room - hash.Length - 1);
        return $"{sanitized[..Math.Min(head, sanitized.Length)]}_{hash}";
    }

    private static AIFunction Adapt(McpClientTool tool, string pluginName, string serverName, McpToolApproval approval)
    {
        var readOnly = tool.ProtocolTool.Annotations?.ReadOnlyHint == true;
        var needsApproval = approval switch
        {
            McpToolApproval.Always => true,
            McpToolApproval.Never => false,
            _ => !readOnly,
        };
        var sideEffect = needsApproval
            ? $"is a tool of the external MCP server '{serverName}'{(tool.ProtocolTool.Annotations?.DestructiveHint == true ? " that may change or delete data" : " not marked read-only")}"
            : null;
        AIFunction function = new McpToolFunction(tool, FitToolName(pluginName, tool.Name), sideEffect);
        return needsApproval ? new ApprovalRequiredAIFunction(function) : function;
    }

    private static IClientTransport CreateTransport(string name, McpServerSettings settings, ILoggerFactory loggerFactory, ILogger logger)
    {
        if (settings.Url is { } url)
        {
            var headers = new Dictionary<string, string>(settings.Headers, StringComparer.OrdinalIgnoreCase);
            if (!string.IsNullOrEmpty(settings.BearerToken))
            {
                headers["Authorization"] = "Bearer " + settings.BearerToken;
            }

            return new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = url,
                Name = name,
                AdditionalHeaders = headers,
                ConnectionTimeout = TimeSpan.FromSeconds(settings.ConnectTimeoutSeconds),
            }, loggerFactory);
        }

        return new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = name,
            Command = settings.Command!,
            Arguments = [.. settings.Arguments],
            WorkingDirectory = settings.WorkingDirectory,
            EnvironmentVariables = settings.Environment.ToDictionary(p => p.Key, p => (string?)p.Value, StringComparer.Ordinal),
            // The server's stderr is its log; keep it out of our output unless asked for.
            StandardErrorLines = line => logger.LogDebug("[{Server}] {Line}", name, line),
        }, loggerFactory);
    }

    private static string ClientVersion() =>
        typeof(McpClientPlugin).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "0.0.0";

    /// <summary>An MCP client tool under its catalog name, with the metadata the approver shows.</summary>
    private sealed class McpToolFunction : DelegatingAIFunction
    {
        private readonly string _name;
        private readonly IReadOnlyDictionary<string, object?> _properties;

        public McpToolFunction(McpClientTool inner, string name, string? sideEffect)
            : base(inner)
        {
            _name = name;
            var properties = new Dictionary<string, object?>(inner.AdditionalProperties);
            if (sideEffect is not null)
            {
                properties[PluginMetadataKeys.SideEffect] = sideEffect;
            }

            _properties = properties;
        }

        public override string Name => _name;

        public override IReadOnlyDictionary<string, object?> AdditionalProperties => _properties;
    }
}
