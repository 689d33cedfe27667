using System.Text;

namespace SkAgents.Web.Tests;

public sealed class CharsetTests : IAsyncLifetime
{
    private LoopbackServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<WebResource> FetchAsync(string? contentType, byte[] body)
    {
        _server.MapBytes("/c", contentType, body);
        using var fetcher = new WebFetcher(Fetchers.LoopbackOptions());
        return await fetcher.FetchAsync(_server.Url("/c"));
    }

    [Fact]
    public async Task Windows1252_FromContentType_DecodesSmartQuotesAndEuro()
    {
        // “Café” costs €5 — in windows-1252 bytes
        byte[] body = [0x93, 0x43, 0x61, 0x66, 0xE9, 0x94, 0x20, 0x63, 0x6F, 0x73, 0x74, 0x73, 0x20, 0x80, 0x35];
        var r = await FetchAsync("text/plain; charset=windows-1252", body);
        Assert.Equal("\u201CCaf\u00E9\u201D costs \u20AC5", r.Text);
        Assert.Equal("windows-1252", r.Charset);
    }

    [Fact]
    public async Task Iso88591_Label_DecodesAsWindows1252LikeBrowsers()
    {
        byte[] body = [0x4E, 0x61, 0xEF, 0x76, 0x65, 0x20, 0x93, 0x71, 0x94]; // Naïve “q”
        var r = await FetchAsync("text/plain; charset=ISO-8859-1", body);
        Assert.Equal("Na\u00EFve \u201Cq\u201D", r.Text);
        Assert.Equal("windows-1252", r.Charset);
    }

    [Fact]
    public async Task HtmlMetaCharset_IsUsed_WhenTheHeaderHasNone()
    {
        var html = "<html><head><meta charset=\"windows-1252\"><title>x</title></head><body><p>Gr\u00FC\u00DFe \u2013 ok</p></body></html>";
        var bytes = CodePagesEncodingProvider.Instance.GetEncoding(1252)!.GetBytes(html);
        var r = await FetchAsync("text/html", bytes);
        Assert.Contains("Gr\u00FC\u00DFe \u2013 ok", r.Text, StringComparison.Ordinal);
        Assert.Equal("windows-1252", r.Charset);
    }

    [Fact]
    public async Task HtmlHttpEquivCharset_IsUsed()
    {
        var html = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"></head><body>Caf\u00E9</body></html>";
        var r = await FetchAsync("text/html", Encoding.Latin1.GetBytes(html));
        Assert.Contains("Caf\u00E9", r.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeaderCharset_WinsOverMeta()
    {
        var html = "<html><head><meta charset=\"windows-1252\"></head><body>\u00E9\u4E2D</body></html>";
        var r = await FetchAsync("text/html; charset=utf-8", Encoding.UTF8.GetBytes(html));
        Assert.Contains("\u00E9\u4E2D", r.Text, StringComparison.Ordinal);
        Assert.Equal("utf-8", r.Charset);
    }

    [Fact]
    public async Task Utf8Bom_IsHonouredAndStripped()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("h\u00E9llo")).ToArray();
        var r = await FetchAsync("text/plain", bytes);
        Assert.Equal("h\u00E9llo", r.Text);
        Assert.Equal("utf-8", r.Charset);
    }

    [Fact]
    public async Task Utf16LeBom_IsHonoured()
    {
        var bytes = new byte[] { 0xFF, 0xFE }.Concat(Encoding.Unicode.GetBytes("\u4E2D\u6587")).ToArray();
        var r = await FetchAsync("text/plain", bytes);
        Assert.Equal("\u4E2D\u6587", r.Text);
    }

    [Fact]
    public async Task NoDeclaration_DefaultsToUtf8()
    {
        var r = await FetchAsync("text/plain", Encoding.UTF8.GetBytes("\u65E5\u672C \u00E9"));
        Assert.Equal("\u65E5\u672C \u00E9", r.Text);
        Assert.Equal("utf-8", r.Charset);
    }

    [Fact]
    public async Task UnknownCharsetLabel_FallsBackToDetection()
    {
        var r = await FetchAsync("text/plain; charset=x-no-such-charset", Encoding.UTF8.GetBytes("\u00E9t\u00E9"));
        Assert.Equal("\u00E9t\u00E9", r.Text);
    }

    [Fact]
    public void Decoder_InvalidUtf8WithoutDeclaration_FallsBackToWindows1252()
    {
        var decoded = WebTextDecoder.Decode([0x63, 0x61, 0x66, 0xE9]);
        Assert.Equal("caf\u00E9", decoded.Text);
        Assert.Equal("windows-1252", decoded.Charset);
    }
}
