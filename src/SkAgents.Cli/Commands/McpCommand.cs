using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SkAgents.Hosting;
using SkAgents.Mcp.AspNetCore;
using SkAgents.Mcp.Server;
using SkAgents.Plugins;
using SkAgents.Prompts;

namespace SkAgents.Cli.Commands;

/// <summary><c>skagents mcp serve</c>: the configured plugins and prompts as an MCP server (stdio or streamable HTTP).</summary>
internal static class McpCommand
{
    /// <summary>The environment variable holding the HTTP server's bearer token.</summary>
    public const string TokenVariable = "SKAGENTS_MCP_TOKEN";

    public static Command Create(CliContext context) =>
        new("mcp", "Serve the plugins to MCP hosts (Claude Desktop, VS Code, Semantic Kernel apps…).") { Serve(context) };

    private static Command Serve(CliContext context)
    {
        var http = new Option<bool>("--http") { Description = "Serve streamable HTTP instead of stdio." };
        var host = new Option<string>("--host") { Description = "HTTP: the address to listen on (a non-loopback address needs a token).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "HTTP: the port (0 picks a free one).", DefaultValueFactory = _ => 5399 };
        var path = new Option<string>("--path") { Description = "HTTP: the endpoint path.", DefaultValueFactory = _ => "/mcp" };
        var token = new Option<string?>("--token") { Description = $"HTTP: require 'Authorization: Bearer <token>' (or set {TokenVariable})." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Run approval-required tools without asking the client's user. Without it they need the user's confirmation (MCP elicitation) or are refused." };
        var command = new Command("serve", "Serve every configured tool (and prompt) over MCP: stdio by default, or streamable HTTP on 127.0.0.1.")
        {
            http, host, port, path, token, yes,
        };
        command.SetAction(async (parse, ct) =>
        {
            // Never prompt on this terminal: over stdio, stdin carries the protocol. External servers' questions are
            // declined (or, with --yes, confirmations accepted); our own tools ask the MCP client's user instead.
            await using var services = SkAgentsCli.BuildServices(parse, context, approveAll: parse.GetValue(yes), consolePrompts: false);
            await services.InitializeSkAgentsAsync(ct);
            var catalog = services.GetRequiredService<PluginCatalog>();
            var prompts = services.GetRequiredService<IPromptCatalog>();
            var loggerFactory = services.GetRequiredService<ILoggerFactory>();
            var options = new SkAgentsMcpServerOptions { ApproveSideEffects = parse.GetValue(yes) };
            var logger = loggerFactory.CreateLogger("SkAgents.Cli.Mcp");
            if (options.ApproveSideEffects)
            {
                logger.LogWarning("--yes: approval-required tools run without asking the client's user.");
            }

            if (!parse.GetValue(http))
            {
                // stdout carries the protocol from here on; everything else goes to stderr.
                await SkAgentsMcpServer.RunStdioAsync(catalog, prompts, options, loggerFactory, services, ct);
                return ExitCodes.Success;
            }

            var hostText = parse.GetRequiredValue(host);
            var address = hostText.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
                : IPAddress.TryParse(hostText, out var parsed) ? parsed
                : throw new ArgumentException($"--host '{hostText}' is not an IP address (use 127.0.0.1, ::1 or the address of one of this machine's interfaces).");
            var portValue = parse.GetValue(port);
            if (portValue is < 0 or > 65535)
            {
                throw new ArgumentException($"--port {portValue} is not a TCP port (0-65535).");
            }

            var httpOptions = new McpHttpServerOptions { Address = address, Port = portValue, Path = parse.GetRequiredValue(path) };
            httpOptions.Http.BearerToken = parse.GetValue(token) is { Length: > 0 } given ? given : ReadEnvironment(context, TokenVariable);
            await using var server = await McpHttpServer.StartAsync(
                () => SkAgentsMcpServer.CreateServerOptions(catalog, prompts, options, loggerFactory),
                httpOptions,
                loggerFactory,
                services,
                ct);
            await context.Error.WriteLineAsync(
                $"MCP server listening on {server.Endpoint} ({catalog.Tools.Count} tools{(httpOptions.Http.BearerToken is null ? ", no token" : ", bearer token required")}). Ctrl+C stops it.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C (or the host stopping us) is how a server ends.
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string? ReadEnvironment(CliContext context, string name)
    {
        var value = context.Environment is { } environment
            ? environment.TryGetValue(name, out var v) ? v : null
            : Environment.GetEnvironmentVariable(name);
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
