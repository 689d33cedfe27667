using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SkAgents.Testing;

namespace SkAgents.Web.Tests;

/// <summary>A Kestrel server on 127.0.0.1 (ephemeral port) with per-path handlers; records every request.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, RequestDelegate> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _requests = new();

    private LoopbackServer(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    public int Port => BaseUri.Port;

    public IReadOnlyList<string> Requests => [.. _requests];

    public Uri Url(string pathAndQuery) => new(BaseUri, pathAndQuery);

    public static async Task<LoopbackServer> StartAsync()
    {
        LoopbackServer? server = null;
        var (_, roots) = await LoopbackKestrel.StartAsync(app => (server = new LoopbackServer(app)).HandleAsync);
        server!.BaseUri = roots[0];
        return server;
    }

    public void Map(string path, RequestDelegate handler) => _routes[path] = handler;

    public void MapBytes(string path, string? contentType, byte[] body) => Map(path, async ctx =>
    {
        if (contentType is not null)
        {
            ctx.Response.ContentType = contentType;
        }

        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body);
    });

    public void MapText(string path, string contentType, string body) => MapBytes(path, contentType, System.Text.Encoding.UTF8.GetBytes(body));

    public void MapRedirect(string path, string location, int status = 302) => Map(path, ctx =>
    {
        ctx.Response.StatusCode = status;
        ctx.Response.Headers.Location = location;
        return Task.CompletedTask;
    });

    private async Task HandleAsync(HttpContext context)
    {
        _requests.Enqueue(context.Request.Path + context.Request.QueryString);
        if (_routes.TryGetValue(context.Request.Path.Value ?? "/", out var handler))
        {
            await handler(context);
            return;
        }

        context.Response.StatusCode = 404;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A resolver with fixed answers; records every lookup. Unknown names resolve to nothing.</summary>
internal sealed class FakeResolver : IHostResolver
{
    private readonly Dictionary<string, IPAddress[]> _answers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<string> _lookups = new();

    public FakeResolver Add(string host, params string[] addresses)
    {
        _answers[host] = [.. addresses.Select(IPAddress.Parse)];
        return this;
    }

    public IReadOnlyList<string> Lookups => [.. _lookups];

    public ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        _lookups.Enqueue(host);
        return ValueTask.FromResult<IReadOnlyList<IPAddress>>(_answers.TryGetValue(host, out var a) ? a : []);
    }
}

/// <summary>
/// The fetcher's connection seam for tests: records every connection attempt, connects only to loopback addresses and
/// refuses anything else, so no test can send traffic off this machine even if the guard were broken.
/// </summary>
internal sealed class ConnectionRecorder
{
    private readonly ConcurrentQueue<IPEndPoint> _attempts = new();

    public IReadOnlyList<IPEndPoint> Attempts => [.. _attempts];

    public async ValueTask<Stream> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        _attempts.Enqueue(endPoint);
        if (!IPAddress.IsLoopback(endPoint.Address))
        {
            throw new InvalidOperationException($"Test safety: refused to connect to non-loopback {endPoint}.");
        }

        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

internal static class Fetchers
{
    /// <summary>A fetcher whose connections go through <paramref name="recorder"/>.</summary>
    public static WebFetcher Create(WebFetcherOptions options, ConnectionRecorder recorder, ILogger<WebFetcher>? logger = null) =>
        new(options, logger) { Connector = recorder.ConnectAsync };

    public static WebFetcherOptions LoopbackOptions(IHostResolver? resolver = null)
    {
        var options = new WebFetcherOptions { Resolver = resolver ?? new FakeResolver() };
        options.AllowedNetworks.Add("127.0.0.1/32");
        return options;
    }

    public static string ReadPage(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Pages", name));
}

/// <summary>A clock whose timers fire only when the test says so.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly ConcurrentQueue<ManualTimer> _timers = new();

    public int TimerCount => _timers.Count;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(callback, state, dueTime);
        _timers.Enqueue(timer);
        return timer;
    }

    /// <summary>Fires every timer that is still armed, as if its due time had passed.</summary>
    public void FireAll()
    {
        foreach (var timer in _timers)
        {
            timer.Fire();
        }
    }

    internal sealed class ManualTimer(TimerCallback callback, object? state, TimeSpan dueTime) : ITimer
    {
        private bool _armed = dueTime != Timeout.InfiniteTimeSpan;

        public void Fire()
        {
            if (_armed)
            {
                _armed = false;
                callback(state);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _armed = dueTime != Timeout.InfiniteTimeSpan;
            return true;
        }

        public void Dispose() => _armed = false;

        public ValueTask DisposeAsync()
        {
            _armed = false;
            return ValueTask.CompletedTask;
        }
    }
}
