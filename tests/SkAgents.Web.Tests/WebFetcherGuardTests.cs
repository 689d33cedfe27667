using System.Net;

namespace SkAgents.Web.Tests;

/// <summary>
/// The SSRF guard end to end. No test connects to anything but 127.0.0.1: connections go through
/// <see cref="ConnectionRecorder"/>, which refuses non-loopback endpoints, and names resolve with <see cref="FakeResolver"/>.
/// </summary>
public sealed class WebFetcherGuardTests : IAsyncLifetime
{
    private LoopbackServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _server.MapText("/", "text/plain", "hello");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("http://{0}/", "127.0.0.1")]             // reference: the plain literal
    [InlineData("http://2130706433:{1}/", "127.0.0.1")]   // decimal
    [InlineData("http://0177.0.0.1:{1}/", "127.0.0.1")]   // octal
    [InlineData("http://0x7f.1:{1}/", "127.0.0.1")]       // hex + short
    [InlineData("http://0x7f000001:{1}/", "127.0.0.1")]   // hex, one part
    [InlineData("http://017700000001:{1}/", "127.0.0.1")] // octal, one part
    [InlineData("http://127.1:{1}/", "127.0.0.1")]        // short
    [InlineData("http://127.0.0.1.:{1}/", "127.0.0.1")]   // trailing dot: System.Uri calls this a DNS name
    [InlineData("http://0x7f.0.0.1.:{1}/", "127.0.0.1")]
    [InlineData("http://[::1]:{1}/", "::1")]
    [InlineData("http://[::ffff:127.0.0.1]:{1}/", "::ffff:127.0.0.1")]
    [InlineData("http://[::ffff:7f00:1]:{1}/", "::ffff:127.0.0.1")]
    [InlineData("http://[0:0:0:0:0:ffff:a9fe:a9fe]/", "::ffff:169.254.169.254")]
    [InlineData("http://[fe80::1%25eth0]:{1}/", "fe80::1")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "169.254.169.254")]
    [InlineData("http://10.0.0.1/", "10.0.0.1")]
    [InlineData("http://0/", "0.0.0.0")]
    [InlineData("https://[fd00:ec2::254]/", "fd00:ec2::254")]
    public async Task DefaultOptions_RefuseInternalLiterals_InEveryNotation_BeforeConnecting(string template, string expectedAddress)
    {
        var url = new Uri(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, $"127.0.0.1:{_server.Port}", _server.Port));
        var recorder = new ConnectionRecorder();
        var resolver = new FakeResolver();
        using var fetcher = Fetchers.Create(new WebFetcherOptions { Resolver = resolver }, recorder);

        var ex = await Assert.ThrowsAsync<BlockedAddressException>(() => fetcher.FetchAsync(url));

        Assert.Equal(IPAddress.Parse(expectedAddress), ex.Address);
        Assert.Equal(url, ex.Url);
        Assert.Contains("AllowedNetworks", ex.Message, StringComparison.Ordinal);
        Assert.Empty(recorder.Attempts);
        Assert.Empty(resolver.Lookups);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task DefaultOptions_RealSocketPath_RefusesLoopback_AndTheServerSeesNothing()
    {
        // No connection seam: the production connect path; 127.0.0.1 must still be refused.
        using var fetcher = new WebFetcher();
        var ex = await Assert.ThrowsAsync<BlockedAddressException>(() => fetcher.FetchAsync(_server.Url("/")));
        Assert.Equal("loopback (127.0.0.0/8)", ex.Reason);
        Assert.Equal("127.0.0.1", ex.Host);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task AllowedNetworks_AdmitsTheLoopbackServer_WithTheRealSocketPath()
    {
        using var fetcher = new WebFetcher(Fetchers.LoopbackOptions());
        var resource = await fetcher.FetchAsync(_server.Url("/"));
        Assert.Equal("hello", resource.Text);
        Assert.Single(_server.Requests);
    }

    [Theory]
    [InlineData("evil.test", new[] { "10.0.0.5" }, "10.0.0.5", "private (10.0.0.0/8)")]
    [InlineData("mixed.test", new[] { "93.184.216.34", "169.254.169.254" }, "169.254.169.254", "cloud metadata (169.254.169.254)")]
    [InlineData("v6.test", new[] { "::ffff:192.168.0.10" }, "::ffff:192.168.0.10", "private (192.168.0.0/16) via IPv4-mapped")]
    [InlineData("localhost.test", new[] { "127.0.0.1" }, "127.0.0.1", "loopback")]
    [InlineData("ula.test", new[] { "fd00::1" }, "fd00::1", "unique local")]
    public async Task HostNames_ResolvingToInternalAddresses_AreRefusedBeforeAnyConnection(string host, string[] answers, string blocked, string reason)
    {
        var resolver = new FakeResolver().Add(host, answers);
        var recorder = new ConnectionRecorder();
        using var fetcher = Fetchers.Create(new WebFetcherOptions { Resolver = resolver }, recorder);

        var ex = await Assert.ThrowsAsync<BlockedAddressException>(() => fetcher.FetchAsync(new Uri($"http://{host}:{_server.Port}/x")));

        Assert.Equal(host, ex.Host);
        Assert.Equal(IPAddress.Parse(blocked), ex.Address);
        Assert.Contains(reason, ex.Reason, StringComparison.Ordinal);
        Assert.Equal([host], resolver.Lookups);
        Assert.Empty(recorder.Attempts); // every address is checked before the first connection attempt
    }

    [Fact]
    public async Task HostName_ResolvingToAnAllowedAddress_ConnectsToThatAddress()
    {
        var resolver = new FakeResolver().Add("site.test", "127.0.0.1");
        var recorder = new ConnectionRecorder();
        using var fetcher = Fetchers.Create(Fetchers.LoopbackOptions(resolver), recorder);

        var resource = await fetcher.FetchAsync(new Uri($"http://site.test:{_server.Port}/"));

        Assert.Equal("hello", resource.Text);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, _server.Port)], recorder.Attempts);
    }

    [Theory]
    [InlineData("metadata.google.internal")]
    [InlineData("METADATA")]
    [InlineData("metadata.google.internal.")]
    [InlineData("instance-data")]
    public async Task CloudMetadataHostNames_AreRefusedWithoutLookingThemUp(string host)
    {
        var resolver = new FakeResolver().Add(host.TrimEnd('.'), "127.0.0.1");
        var recorder = new ConnectionRecorder();
        using var fetcher = Fetchers.Create(Fetchers.LoopbackOptions(resolver), recorder);

        var ex = await Assert.ThrowsAsync<BlockedAddressException>(() => fetcher.FetchAsync(new Uri($"http://{host}/computeMetadata/v1/")));

        Assert.Null(ex.Address);
        Assert.Contains("cloud metadata", ex.Reason, StringComparison.Ordinal);
        Assert.Empty(resolver.Lookups);
        Assert.Empty(recorder.Attempts);
    }

    [Theory]
    [InlineData("http://10.0.0.1/", "10.0.0.1")]
    [InlineData("http://[::ffff:169.254.169.254]/latest/meta-data/", "::ffff:169.254.169.254")]
    [InlineData("http://rebind.test/", "192.168.1.1")]
    [InlineData("http://2130706433:{port}/", "127.0.0.1")] // only 127.0.0.1/32 is allowed... and that is 127.0.0.1: allowed
    [InlineData("http://127.0.0.2:{port}/", "127.0.0.2")]
    public async Task Redirects_AreRevalidatedOnEveryHop(string location, string target)
    {
        location = location.Replace("{port}", _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        _server.MapRedirect("/go", location);
        var resolver = new FakeResolver().Add("rebind.test", "192.168.1.1");
        var recorder = new ConnectionRecorder();
        using var fetcher = Fetchers.Create(Fetchers.LoopbackOptions(resolver), recorder);

        if (target == "127.0.0.1")
        {
            // The decimal form of the allowed address is the allowed address: it is fetched, proving the form is read as 127.0.0.1.
            var ok = await fetcher.FetchAsync(_server.Url("/go"));
            Assert.Equal("hello", ok.Text);
            Assert.Equal(1, ok.Redirects);
            return;
        }

        var ex = await Assert.ThrowsAsync<BlockedAddressException>(() => fetcher.FetchAsync(_server.Url("/go")));

        Assert.Equal(IPAddress.Parse(target), ex.Address);
        Assert.Equal(new Uri(location), ex.Url);
        Assert.Equal(["/go"], _server.Requests);
        Assert.All(recorder.Attempts, a => Assert.Equal(IPAddress.Loopback, a.Address)); // only the first hop connected
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://127.0.0.1/x")]
    [InlineData("gopher://127.0.0.1:70/_x")]
    public async Task Redirects_ToOtherSchemes_AreRefused(string location)
    {
        _server.MapRedirect("/scheme", location);
        var recorder = new ConnectionRecorder();
        using var fetcher = Fetchers.Create(Fetchers.LoopbackOptions(), recorder);

        var ex = await Assert.ThrowsAsync<UnsupportedUrlSchemeException>(() => fetcher.FetchAsync(_server.Url("/scheme")));
        Assert.Equal(new Uri(location), ex.Url);
        Assert.Contains("http://", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonHttpUrls_AreRefused()
    {
        using var fetcher = new WebFetcher();
        await Assert.ThrowsAsync<UnsupportedUrlSchemeException>(() => fetcher.FetchAsync(new Uri("file:///etc/passwd")));
        await Assert.ThrowsAsync<UnsupportedUrlSchemeException>(() => fetcher.FetchAsync(new Uri("/relative", UriKind.Relative)));
    }

    [Fact]
    public async Task CredentialsInTheUrl_NeverAppearInMessages()
    {
        using var fetcher = Fetchers.Create(new WebFetcherOptions(), new ConnectionRecorder());
        var ex = await Assert.ThrowsAsync<BlockedAddressException>(() => fetcher.FetchAsync(new Uri("http://user:s3cret@10.0.0.1/")));
        Assert.DoesNotContain("s3cret", ex.Message, StringComparison.Ordinal);
        Assert.Contains("http://10.0.0.1/", ex.Message, StringComparison.Ordinal);
    }
}
