using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SkAgents.Testing;

/// <summary>
/// A small web site on 127.0.0.1 (Kestrel, ephemeral port) for tests that fetch pages: each path serves a fixed status,
/// content type and body (changeable while running), and every request is recorded.
/// </summary>
public sealed class LoopbackWebSite : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (int Status, string ContentType, byte[] Body, string? Location)> _pages = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _requests = new();

    private LoopbackWebSite(WebApplication app) => _app = app;

    /// <summary>Gets the site's root URL (http://127.0.0.1:port/).</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>Gets the paths requested so far, in order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>Starts the site.</summary>
    /// <returns>The running site; dispose it to stop.</returns>
    public static async Task<LoopbackWebSite> StartAsync()
    {
        LoopbackWebSite? site = null;
        var (_, roots) = await LoopbackKestrel.StartAsync(app => (site = new LoopbackWebSite(app)).HandleAsync).ConfigureAwait(false);
        site!.BaseUri = roots[0];
        return site;
    }

    /// <summary>Serves (or replaces) a page.</summary>
    /// <param name="path">The path, e.g. <c>/docs/page.html</c>.</param>
    /// <param name="body">The body (UTF-8).</param>
    /// <param name="contentType">The Content-Type header.</param>
    /// <param name="status">The status code.</param>
    /// <returns>The page's absolute URL.</returns>
    public Uri Serve(string path, string body, string contentType = "text/html; charset=utf-8", int status = 200)
    {
        _pages[path] = (status, contentType, Encoding.UTF8.GetBytes(body), null);
        return new Uri(BaseUri, path);
    }

    /// <summary>Serves (or replaces) a binary file.</summary>
    /// <param name="path">The path.</param>
    /// <param name="body">The bytes.</param>
    /// <param name="contentType">The Content-Type header.</param>
    /// <returns>The file's absolute URL.</returns>
    public Uri Serve(string path, byte[] body, string contentType)
    {
        _pages[path] = (200, contentType, body, null);
        return new Uri(BaseUri, path);
    }

    /// <summary>Answers a path with a redirect.</summary>
    /// <param name="path">The path.</param>
    /// <param name="location">Where it points (absolute or relative).</param>
    /// <param name="status">301, 302, 303, 307 or 308.</param>
    /// <returns>The path's absolute URL.</returns>
    public Uri Redirect(string path, string location, int status = 302)
    {
        _pages[path] = (status, "text/plain", [], location);
        return new Uri(BaseUri, path);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        _requests.Enqueue(path);
        if (!_pages.TryGetValue(path, out var page))
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync("<h1>Not found</h1>").ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = page.Status;
        if (page.Location is not null)
        {
            context.Response.Headers.Location = page.Location;
            return;
        }

        context.Response.ContentType = page.ContentType;
        context.Response.ContentLength = page.Body.Length;
        await context.Response.Body.WriteAsync(page.Body).ConfigureAwait(false);
    }
}
