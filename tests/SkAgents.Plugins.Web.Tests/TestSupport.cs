using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SkAgents.Testing;

namespace SkAgents.Plugins.Web.Tests;

/// <summary>
/// A clock whose timers fire at once and remember what they were asked to wait, so retry waits (Retry-After) are
/// checked without sleeping.
/// </summary>
public sealed class RecordingTimeProvider : TimeProvider
{
    private readonly List<TimeSpan> _waits = [];

    /// <summary>Gets every wait asked for, in order.</summary>
    public IReadOnlyList<TimeSpan> Waits
    {
        get
        {
            lock (_waits)
            {
                return [.. _waits];
            }
        }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            lock (_waits)
            {
                _waits.Add(dueTime);
            }

            ThreadPool.QueueUserWorkItem(_ => callback(state));
        }

        return new NoTimer();
    }

    private sealed class NoTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>A web site on 127.0.0.1 serving registered pages (and redirects), recording the paths asked for.</summary>
public sealed class FakePageServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, (int Status, string ContentType, string Body, string? Location)> _pages = new(StringComparer.Ordinal);
    private readonly List<string> _requested = [];
    private int _inFlight;
    private int _maxInFlight;

    private FakePageServer(WebApplication app) => _app = app;

    /// <summary>Gets or sets how long each answer is held back (lets concurrent fetches overlap).</summary>
    public TimeSpan ResponseDelay { get; set; }

    /// <summary>Gets the most requests that were being answered at the same time.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Gets the root, e.g. <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri RootUri { get; private set; } = null!;

    /// <summary>Gets the paths requested so far.</summary>
    public IReadOnlyList<string> Requested
    {
        get
        {
            lock (_pages)
            {
                return [.. _requested];
            }
        }
    }

    /// <summary>Starts the server.</summary>
    public static async Task<FakePageServer> StartAsync()
    {
        FakePageServer? server = null;
        var (_, roots) = await LoopbackKestrel.StartAsync(app => (server = new FakePageServer(app)).HandleAsync);
        server!.RootUri = roots[0];
        return server;
    }

    /// <summary>Serves an HTML page at a path and returns its absolute URL.</summary>
    public Uri AddHtml(string path, string html, int status = 200) => Add(path, status, "text/html; charset=utf-8", html, null);

    /// <summary>Serves a response at a path and returns its absolute URL.</summary>
    public Uri Add(string path, int status, string contentType, string body, string? location)
    {
        lock (_pages)
        {
            _pages[path] = (status, contentType, body, location);
        }

        return new Uri(RootUri, path.TrimStart('/'));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var now = Interlocked.Increment(ref _inFlight);
        for (var seen = Volatile.Read(ref _maxInFlight); now > seen; seen = Volatile.Read(ref _maxInFlight))
        {
            Interlocked.CompareExchange(ref _maxInFlight, now, seen);
        }

        try
        {
            if (ResponseDelay > TimeSpan.Zero)
            {
                await Task.Delay(ResponseDelay, context.RequestAborted);
            }

            await AnswerAsync(context);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task AnswerAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        (int Status, string ContentType, string Body, string? Location) page;
        bool found;
        lock (_pages)
        {
            _requested.Add(path);
            found = _pages.TryGetValue(path, out page);
        }

        if (!found)
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync("<html><body><h1>Not found</h1></body></html>");
            return;
        }

        context.Response.StatusCode = page.Status;
        if (page.Location is not null)
        {
            context.Response.Headers.Location = page.Location;
        }

        context.Response.ContentType = page.ContentType;
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(page.Body));
    }
}

/// <summary>Realistic pages for the tests.</summary>
public static class SamplePages
{
    /// <summary>An article page with navigation, a cookie banner and a footer around the main text.</summary>
    public static string Article(string title, params string[] paragraphs) => $$"""
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>{{title}}</title><style>body { font-family: sans-serif; }</style></head>
        <body>
          <div class="cookie-banner" id="cookie-consent">We use cookies to improve your experience. <button>Accept all</button></div>
          <header class="site-header"><nav class="menu"><a href="/">Home</a> | <a href="/news">News</a> | <a href="/about">About</a></nav></header>
          <main>
            <article class="post-content">
              <h1>{{title}}</h1>
              {{string.Join("\n      ", paragraphs.Select(p => $"<p>{p}</p>"))}}
            </article>
          </main>
          <aside class="sidebar"><h3>Popular</h3><ul><li><a href="/a">Ten tips for travel</a></li><li><a href="/b">Recipes</a></li></ul></aside>
          <footer class="site-footer">© 2024 Example Media. All rights reserved. <a href="/privacy">Privacy</a></footer>
          <script>console.log("tracking");</script>
        </body>
        </html>
        """;
}
