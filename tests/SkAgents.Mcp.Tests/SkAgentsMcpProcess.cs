using System.Diagnostics;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace SkAgents.Mcp.Tests;

/// <summary>Starts the real <c>skagents mcp serve</c> as a separate process and connects the MCP SDK's client to it.</summary>
internal static class SkAgentsMcpProcess
{
    public static string AppPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "skagents.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("skagents.dll was not copied next to the tests.", path);
        }
    }

    /// <summary>The environment a test server runs in: its own HOME, no machine SKAGENTS_/OPENAI_ settings.</summary>
    public static Dictionary<string, string?> Environment(string workingDirectory)
    {
        var home = Path.Combine(workingDirectory, ".home");
        Directory.CreateDirectory(home);
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["HOME"] = home,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        foreach (var key in System.Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (key.StartsWith("SKAGENTS", StringComparison.OrdinalIgnoreCase) || key.StartsWith("OPENAI", StringComparison.OrdinalIgnoreCase))
            {
                environment[key] = null;
            }
        }

        return environment;
    }

    /// <summary>Connects over stdio to a fresh <c>skagents mcp serve</c>.</summary>
    public static async Task<McpClient> ConnectStdioAsync(string workingDirectory, McpClientOptions? options = null, params string[] extraArgs)
    {
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "skagents",
            Command = "dotnet",
            Arguments = [AppPath, "mcp", "serve", .. extraArgs],
            WorkingDirectory = workingDirectory,
            EnvironmentVariables = Environment(workingDirectory),
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await McpClient.CreateAsync(transport, options, cancellationToken: timeout.Token);
    }

    /// <summary>Client options whose elicitation handler answers every approval question with <paramref name="approve"/>.</summary>
    public static McpClientOptions Approving(bool approve, List<string> questions) => new()
    {
        Handlers = new McpClientHandlers
        {
            ElicitationHandler = (request, _) =>
            {
                lock (questions)
                {
                    questions.Add(request?.Message ?? string.Empty);
                }

                return ValueTask.FromResult(new ElicitResult
                {
                    Action = "accept",
                    Content = new Dictionary<string, JsonElement> { ["approve"] = JsonSerializer.SerializeToElement(approve) },
                });
            },
        },
    };

    public static string Text(CallToolResult result) =>
        string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text));
}

/// <summary>A <c>skagents mcp serve --http</c> process and the URL it announced on stderr.</summary>
internal sealed class HttpServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private HttpServerProcess(Process process, Uri endpoint, Task<string> stderr)
    {
        _process = process;
        Endpoint = endpoint;
        _stderr = stderr;
    }

    public Uri Endpoint { get; }

    public static async Task<HttpServerProcess> StartAsync(string workingDirectory, params string[] extraArgs)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(SkAgentsMcpProcess.AppPath);
        foreach (var arg in (string[])["mcp", "serve", "--http", "--port", "0", .. extraArgs])
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in SkAgentsMcpProcess.Environment(workingDirectory))
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start skagents.");
        var announced = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = Task.Run(async () =>
        {
            var all = new System.Text.StringBuilder();
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                all.AppendLine(line);
                var at = line.IndexOf("listening on ", StringComparison.Ordinal);
                if (at >= 0)
                {
                    announced.TrySetResult(new Uri(line[(at + 13)..].Split(' ')[0]));
                }
            }

            announced.TrySetException(new InvalidOperationException("skagents exited before listening: " + all));
            return all.ToString();
        });

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var endpoint = await announced.Task.WaitAsync(timeout.Token);
        return new HttpServerProcess(process, endpoint, stderr);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        await _stderr;
        _process.Dispose();
    }
}
