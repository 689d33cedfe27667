using ModelContextProtocol.Server;

namespace SkAgents.Mcp.AspNetCore;

/// <summary>One client's MCP session: its transport, its server loop, and when it was last used.</summary>
internal sealed class McpHttpSession : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private int _getStreamOpen;
    private int _disposed;

    public McpHttpSession(string id, StreamableHttpServerTransport transport, McpServer server, DateTimeOffset now)
    {
        Id = id;
        Transport = transport;
        Server = server;
        LastUsed = now;
        RunTask = RunAsync();
    }

    public string Id { get; }

    public StreamableHttpServerTransport Transport { get; }

    public McpServer Server { get; }

    public Task RunTask { get; }

    public DateTimeOffset LastUsed { get; private set; }

    public CancellationToken Stopping => _stop.Token;

    public void Touch(DateTimeOffset now) => LastUsed = now;

    /// <summary>Claims the session's single standalone GET stream; false when one is already open.</summary>
    public bool TryOpenGetStream() => Interlocked.Exchange(ref _getStreamOpen, 1) == 0;

    public void CloseGetStream() => Interlocked.Exchange(ref _getStreamOpen, 0);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await Transport.DisposeAsync().ConfigureAwait(false);
        try
        {
            await RunTask.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop ends by cancellation when the session is closed.
        }

        await Server.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        await Task.Yield();
        await Server.RunAsync(_stop.Token).ConfigureAwait(false);
    }
}
