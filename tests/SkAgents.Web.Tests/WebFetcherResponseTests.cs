using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SkAgents.Testing;

namespace SkAgents.Web.Tests;

public sealed class WebFetcherResponseTests : IAsyncLifetime
{
    private LoopbackServer _server = null!;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        await _server.DisposeAsync();
    }

    private static WebFetcher Create(Action<WebFetcherOptions>? configure = null, ILogger<WebFetcher>? logger = null)
    {
        var options = Fetchers.LoopbackOptions();
        configure?.Invoke(options);
        return new WebFetcher(options, logger);
    }

    [Fact]
    public async Task Redirects_RelativeLocations_AreResolvedAgainstTheCurrentUrl_AndEachHopIsLogged()
    {
        _server.MapRedirect("/a/start", "next", 301);          // relative to /a/
        _server.MapRedirect("/a/next", "/b/page?x=1", 307);    // absolute path
        _server.MapRedirect("/b/page", $"http://127.0.0.1:{_server.Port}/final", 308);
        _server.MapText("/final", "text/plain; charset=utf-8", "done");
        using var logs = new RecordingLoggerFactory();
        using var fetcher = Create(logger: logs.CreateLogger<WebFetcher>());

        var resource = await fetcher.FetchAsync(_server.Url("/a/start"));

        Assert.Equal("done", resource.Text);
        Assert.Equal(3, resource.Redirects);
        Assert.Equal(_server.Url("/a/start"), resource.RequestedUrl);
        Assert.Equal(_server.Url("/final"), resource.FinalUrl);
        Assert.Equal(200, resource.StatusCode);
        Assert.Equal(["/a/start", "/a/next", "/b/page?x=1", "/final"], _server.Requests);
        var hops = logs.Entries.Where(e => e.Level == LogLevel.Debug && e.Message.StartsWith("GET ", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, hops.Count);
        Assert.Contains("/a/start -> 301", hops[0].Message, StringComparison.Ordinal);
        Assert.Contains("/final -> 200", hops[3].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirects_303AndSeeOther_AreFollowed()
    {
        _server.MapRedirect("/see", "/plain", 303);
        _server.MapText("/plain", "text/plain", "ok");
        using var fetcher = Create();
        Assert.Equal("ok", (await fetcher.FetchAsync(_server.Url("/see"))).Text);
    }

    [Fact]
    public async Task Redirects_BeyondTheLimit_Throw()
    {
        _server.MapRedirect("/loop", "/loop");
        using var fetcher = Create(o => o.MaxRedirects = 3);

        var ex = await Assert.ThrowsAsync<TooManyRedirectsException>(() => fetcher.FetchAsync(_server.Url("/loop")));

        Assert.Equal(3, ex.MaxRedirects);
        Assert.Equal(4, _server.Requests.Count);
        Assert.Contains("more than 3 redirects", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirect_WithoutLocation_IsAnHttpError()
    {
        _server.Map("/nowhere", ctx => { ctx.Response.StatusCode = 302; return Task.CompletedTask; });
        using var fetcher = Create();
        var ex = await Assert.ThrowsAsync<WebFetchHttpException>(() => fetcher.FetchAsync(_server.Url("/nowhere")));
        Assert.Equal(302, ex.StatusCode);
        Assert.Contains("Location", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(403)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task ErrorStatuses_Throw_NamingStatusAndUrl(int status)
    {
        _server.Map("/err", ctx => { ctx.Response.StatusCode = status; return ctx.Response.WriteAsync("error page"); });
        using var fetcher = Create();

        var ex = await Assert.ThrowsAsync<WebFetchHttpException>(() => fetcher.FetchAsync(_server.Url("/err")));

        Assert.Equal(status, ex.StatusCode);
        Assert.Equal(_server.Url("/err"), ex.Url);
        Assert.Contains($"HTTP {status}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(_server.Url("/err").AbsoluteUri, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContentLength_OverTheLimit_FailsBeforeReadingTheBody()
    {
        _server.MapBytes("/big", "text/plain", new byte[2000]);
        using var fetcher = Create(o => o.MaxResponseBytes = 1000);

        var ex = await Assert.ThrowsAsync<ResponseTooLargeException>(() => fetcher.FetchAsync(_server.Url("/big")));

        Assert.Equal(1000, ex.LimitBytes);
        Assert.Equal(2000, ex.DeclaredBytes);
        Assert.Contains("MaxResponseBytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChunkedBody_OverTheLimit_FailsWhileStreaming()
    {
        var chunk = Encoding.ASCII.GetBytes(new string('a', 300));
        _server.Map("/chunked", async ctx =>
        {
            ctx.Response.ContentType = "text/plain";
            for (var i = 0; i < 10; i++)
            {
                await ctx.Response.Body.WriteAsync(chunk);
                await ctx.Response.Body.FlushAsync(); // no Content-Length: chunked
            }
        });
        using var fetcher = Create(o => o.MaxResponseBytes = 1000);

        var ex = await Assert.ThrowsAsync<ResponseTooLargeException>(() => fetcher.FetchAsync(_server.Url("/chunked")));

        Assert.Null(ex.DeclaredBytes);
        Assert.Equal(1000, ex.LimitBytes);
    }

    [Fact]
    public async Task CompressedBody_IsCappedAfterDecompression()
    {
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(new byte[100_000]); // 100 KB of zeros: a few hundred bytes on the wire
        }

        var wire = compressed.ToArray();
        _server.Map("/bomb", async ctx =>
        {
            ctx.Response.ContentType = "text/plain";
            ctx.Response.Headers.ContentEncoding = "gzip";
            ctx.Response.ContentLength = wire.Length;
            await ctx.Response.Body.WriteAsync(wire);
        });
        using var fetcher = Create(o => o.MaxResponseBytes = 10_000);

        Assert.True(wire.Length < 10_000);
        var ex = await Assert.ThrowsAsync<ResponseTooLargeException>(() => fetcher.FetchAsync(_server.Url("/bomb")));
        Assert.Null(ex.DeclaredBytes);
    }

    [Fact]
    public async Task CompressedBody_IsDecompressed()
    {
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes("zipped text"));
        }

        var wire = compressed.ToArray();
        _server.Map("/gz", async ctx =>
        {
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            ctx.Response.Headers.ContentEncoding = "gzip";
            await ctx.Response.Body.WriteAsync(wire);
        });
        using var fetcher = Create();
        Assert.Equal("zipped text", (await fetcher.FetchAsync(_server.Url("/gz"))).Text);
    }

    [Fact]
    public async Task Body_AtExactlyTheLimit_IsAccepted()
    {
        _server.MapBytes("/exact", "text/plain", Encoding.ASCII.GetBytes(new string('b', 1000)));
        using var fetcher = Create(o => o.MaxResponseBytes = 1000);
        Assert.Equal(1000, (await fetcher.FetchAsync(_server.Url("/exact"))).Content.Length);
    }

    [Theory]
    [InlineData("image/png")]
    [InlineData("application/octet-stream")]
    [InlineData("application/pdf")]
    [InlineData(null)]
    public async Task UnsupportedMediaTypes_AreRefused_WithTheTypeNamed(string? contentType)
    {
        _server.MapBytes("/bin", contentType, [0x89, 0x50, 0x4E, 0x47]);
        using var fetcher = Create();

        var ex = await Assert.ThrowsAsync<UnsupportedContentTypeException>(() => fetcher.FetchAsync(_server.Url("/bin")));

        Assert.Equal(contentType ?? "(none)", ex.MediaType);
        Assert.Contains($"'{contentType ?? "(none)"}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("text/html", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/ld+json", "application/ld+json")]
    [InlineData("application/problem+json; charset=utf-8", "application/problem+json")]
    [InlineData("TEXT/HTML; Charset=UTF-8", "text/html")]
    [InlineData("text/markdown", "text/markdown")]
    public async Task AllowedMediaTypes_IncludeJsonSuffixTypes_CaseInsensitive(string contentType, string expected)
    {
        _server.MapText("/t", contentType, "{}");
        using var fetcher = Create();
        Assert.Equal(expected, (await fetcher.FetchAsync(_server.Url("/t"))).MediaType);
    }

    [Fact]
    public async Task AllowedMediaTypes_CanBeChanged()
    {
        _server.MapBytes("/png", "image/png", [1, 2, 3]);
        using var fetcher = Create(o => o.AllowedMediaTypes.Add("image/png"));
        var resource = await fetcher.FetchAsync(_server.Url("/png"));
        Assert.Equal(new byte[] { 1, 2, 3 }, resource.Content.ToArray());
    }

    [Fact]
    public async Task StallingServer_TimesOut_WhenTheClockPassesTheTimeout()
    {
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Map("/stall", async ctx =>
        {
            ctx.Response.ContentType = "text/plain";
            await ctx.Response.WriteAsync("partial");
            await ctx.Response.Body.FlushAsync();
            stalled.TrySetResult();
            await _release.Task.WaitAsync(ctx.RequestAborted); // never completes before the client gives up
        });
        var clock = new ManualTimeProvider();
        using var fetcher = Create(o => { o.Timeout = TimeSpan.FromSeconds(5); o.TimeProvider = clock; });

        var fetch = fetcher.FetchAsync(_server.Url("/stall"));
        await stalled.Task;
        Assert.False(fetch.IsCompleted);
        clock.FireAll(); // the 5 s pass

        var ex = await Assert.ThrowsAsync<WebFetchTimeoutException>(() => fetch);
        Assert.Equal(TimeSpan.FromSeconds(5), ex.Timeout);
        Assert.Contains("WebFetcherOptions.Timeout", ex.Message, StringComparison.Ordinal);
        Assert.Equal(_server.Url("/stall"), ex.Url);
    }

    [Fact]
    public async Task Timeout_CoversTheWholeFetch_IncludingRedirects()
    {
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.MapRedirect("/hop", "/slow");
        _server.Map("/slow", async ctx =>
        {
            stalled.TrySetResult();
            await _release.Task.WaitAsync(ctx.RequestAborted);
        });
        var clock = new ManualTimeProvider();
        using var fetcher = Create(o => o.TimeProvider = clock);

        var fetch = fetcher.FetchAsync(_server.Url("/hop"));
        await stalled.Task;
        clock.FireAll();

        var ex = await Assert.ThrowsAsync<WebFetchTimeoutException>(() => fetch);
        Assert.Equal(_server.Url("/slow"), ex.Url); // the hop that was running
    }

    [Fact]
    public async Task Cancellation_ThrowsOperationCanceled_NotTimeout()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Map("/hang", async ctx =>
        {
            arrived.TrySetResult();
            await _release.Task.WaitAsync(ctx.RequestAborted);
        });
        using var fetcher = Create();
        using var cts = new CancellationTokenSource();

        var fetch = fetcher.FetchAsync(_server.Url("/hang"), cts.Token);
        await arrived.Task;
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetch);
        Assert.IsNotAssignableFrom<WebFetchException>(ex);
    }

    [Fact]
    public async Task AlreadyCancelled_DoesNotConnect()
    {
        using var fetcher = Create();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetcher.FetchAsync(_server.Url("/"), new CancellationToken(true)));
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task ConnectionThatNeverCompletes_TimesOutAfterConnectTimeout()
    {
        using var fetcher = Create(o => o.ConnectTimeout = TimeSpan.FromMilliseconds(200));
        fetcher.Connector = async (endPoint, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct); // a SYN that is never answered
            throw new InvalidOperationException("unreachable");
        };

        var ex = await Assert.ThrowsAsync<WebFetchTimeoutException>(() => fetcher.FetchAsync(_server.Url("/")));

        Assert.Equal(TimeSpan.FromMilliseconds(200), ex.Timeout);
        Assert.Contains("ConnectTimeout", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task ConnectionRefused_IsAConnectionError()
    {
        // A port nobody listens on: bind one, note it, release it.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var fetcher = Create();

        var ex = await Assert.ThrowsAsync<WebFetchConnectionException>(() => fetcher.FetchAsync(new Uri($"http://127.0.0.1:{port}/")));
        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnresolvableName_IsAConnectionError()
    {
        using var fetcher = Create(o => o.Resolver = new FakeResolver());
        var ex = await Assert.ThrowsAsync<WebFetchConnectionException>(() => fetcher.FetchAsync(new Uri("http://nowhere.test/")));
        Assert.Contains("nowhere.test", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_UserAgentAndAccept_AreSent()
    {
        string? agent = null, accept = null;
        _server.Map("/h", ctx =>
        {
            agent = ctx.Request.Headers.UserAgent;
            accept = ctx.Request.Headers.Accept;
            ctx.Response.ContentType = "text/plain";
            return ctx.Response.WriteAsync("ok");
        });
        using var fetcher = Create(o => o.UserAgent = "TestAgent/2.0");
        await fetcher.FetchAsync(_server.Url("/h"));
        Assert.Equal("TestAgent/2.0", agent);
        Assert.StartsWith("text/html, application/xhtml+xml", accept, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidOptions_AreRejected_NamingTheSetting()
    {
        Assert.Contains("MaxRedirects", Assert.Throws<ArgumentException>(() => new WebFetcher(new WebFetcherOptions { MaxRedirects = -1 })).Message, StringComparison.Ordinal);
        Assert.Contains("MaxResponseBytes", Assert.Throws<ArgumentException>(() => new WebFetcher(new WebFetcherOptions { MaxResponseBytes = 0 })).Message, StringComparison.Ordinal);
        Assert.Contains("Timeout", Assert.Throws<ArgumentException>(() => new WebFetcher(new WebFetcherOptions { Timeout = TimeSpan.Zero })).Message, StringComparison.Ordinal);
        var options = new WebFetcherOptions();
        options.AllowedNetworks.Add("localhost");
        Assert.Contains("'localhost'", Assert.Throws<ArgumentException>(() => new WebFetcher(options)).Message, StringComparison.Ordinal);
    }
}
