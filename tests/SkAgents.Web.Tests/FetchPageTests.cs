using System.Text;

namespace SkAgents.Web.Tests;

public sealed class FetchPageTests : IAsyncLifetime
{
    private LoopbackServer _server = null!;
    private WebFetcher _fetcher = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        foreach (var page in new[] { "news", "docs", "forum", "cookies" })
        {
            _server.MapText($"/{page}.html", "text/html; charset=utf-8", Fetchers.ReadPage(page + ".html"));
        }

        _fetcher = new WebFetcher(Fetchers.LoopbackOptions());
    }

    public async Task DisposeAsync()
    {
        _fetcher.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task HtmlPage_BecomesMainContentMarkdown_WithAbsoluteLinks()
    {
        var page = await _fetcher.FetchPageAsync(_server.Url("/news.html"));

        Assert.Equal("Harbour tunnel opens after six years of work", page.Title);
        Assert.Equal("text/html", page.MediaType);
        Assert.Equal(_server.Url("/news.html"), page.FinalUrl);
        Assert.Contains($"By [Maria Keller]({_server.Url("/authors/maria-keller")})", page.Text, StringComparison.Ordinal);
        Assert.Contains("## Cost overruns", page.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Share on Facebook", page.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirect_GivesTheFinalUrl_AndLinksResolveAgainstIt()
    {
        _server.MapRedirect("/old/retries", "/docs.html", 301);

        var page = await _fetcher.FetchPageAsync(_server.Url("/old/retries"));

        Assert.Equal(_server.Url("/old/retries"), page.RequestedUrl);
        Assert.Equal(_server.Url("/docs.html"), page.FinalUrl);
        Assert.Equal("Retry policies", page.Title);
        Assert.Contains("```python\nfrom fetchly import Client, Retry", page.Text, StringComparison.Ordinal);
        Assert.Contains("| `attempts` | int | 3 |", page.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForumAndCookiePages_AreExtracted()
    {
        var forum = await _fetcher.FetchPageAsync(_server.Url("/forum.html"));
        Assert.Contains("Thanks, updating to 6.8.2 fixed it", forum.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Running Debian", forum.Text, StringComparison.Ordinal);

        var museum = await _fetcher.FetchPageAsync(_server.Url("/cookies.html"));
        Assert.Equal("Opening hours and prices", museum.Title);
        Assert.DoesNotContain("cookies", museum.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task WindowsCodePageHtml_IsDecodedBeforeExtraction()
    {
        var html = "<html><head><meta charset=\"windows-1252\"><title>Caf\u00E9 menu</title></head><body><main><h1>Caf\u00E9 \u201Cmenu\u201D</h1><p>Cr\u00E8me br\u00FBl\u00E9e \u2013 6 \u20AC</p></main></body></html>";
        _server.MapBytes("/cafe", "text/html", CodePagesEncodingProvider.Instance.GetEncoding(1252)!.GetBytes(html));

        var page = await _fetcher.FetchPageAsync(_server.Url("/cafe"));

        Assert.Equal("Caf\u00E9 \u201Cmenu\u201D", page.Title);
        Assert.Equal("# Caf\u00E9 \u201Cmenu\u201D\n\nCr\u00E8me br\u00FBl\u00E9e \u2013 6 \u20AC", page.Text);
    }

    [Fact]
    public async Task PlainText_IsPassedThroughAsIs()
    {
        const string text = "line one\n  indented <b>not html</b>\n\nlast";
        _server.MapText("/notes.txt", "text/plain; charset=utf-8", text);

        var page = await _fetcher.FetchPageAsync(_server.Url("/notes.txt"));

        Assert.Equal(text, page.Text);
        Assert.Null(page.Title);
        Assert.Equal("text/plain", page.MediaType);
    }

    [Fact]
    public async Task Markdown_IsPassedThrough_WithTheFirstHeadingAsTitle()
    {
        const string markdown = "Intro line\n\n# Release notes\n\n- fixed *bugs*\n\n```sh\nmake\n```\n";
        _server.MapText("/README.md", "text/markdown; charset=utf-8", markdown);

        var page = await _fetcher.FetchPageAsync(_server.Url("/README.md"));

        Assert.Equal(markdown, page.Text);
        Assert.Equal("Release notes", page.Title);
        Assert.Equal("text/markdown", page.MediaType);
    }

    [Fact]
    public async Task Json_IsPrettyPrinted()
    {
        _server.MapText("/api/item", "application/json; charset=utf-8", """{"name":"Caf\u00e9","tags":["a","b"],"nested":{"n":1.5,"ok":true}}""");

        var page = await _fetcher.FetchPageAsync(_server.Url("/api/item"));

        Assert.Equal("{\n  \"name\": \"Caf\u00E9\",\n  \"tags\": [\n    \"a\",\n    \"b\"\n  ],\n  \"nested\": {\n    \"n\": 1.5,\n    \"ok\": true\n  }\n}", page.Text);
        Assert.Equal("application/json", page.MediaType);
        Assert.Null(page.Title);
    }

    [Fact]
    public async Task JsonSuffixType_IsPrettyPrinted_AndInvalidJsonIsKeptAsIs()
    {
        _server.MapText("/ld", "application/ld+json", """{"@type":"Article"}""");
        _server.MapText("/broken", "application/json", "{not json");

        Assert.Equal("{\n  \"@type\": \"Article\"\n}", (await _fetcher.FetchPageAsync(_server.Url("/ld"))).Text);
        Assert.Equal("{not json", (await _fetcher.FetchPageAsync(_server.Url("/broken"))).Text);
    }

    [Theory]
    [InlineData("image/png")]
    [InlineData("application/octet-stream")]
    public async Task UnsupportedTypes_AreRefused_WithTheTypeNamed(string contentType)
    {
        _server.MapBytes("/file", contentType, Encoding.ASCII.GetBytes("\u0089PNG"));

        var ex = await Assert.ThrowsAsync<UnsupportedContentTypeException>(() => _fetcher.FetchPageAsync(_server.Url("/file")));

        Assert.Equal(contentType, ex.MediaType);
        Assert.Contains(contentType, ex.Message, StringComparison.Ordinal);
        Assert.Contains(_server.Url("/file").AbsoluteUri, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeepLinksOff_GivesLinkTextOnly()
    {
        var options = Fetchers.LoopbackOptions();
        options.KeepLinks = false;
        using var fetcher = new WebFetcher(options);
        var page = await fetcher.FetchPageAsync(_server.Url("/news.html"));
        Assert.Contains("By Maria Keller, Transport correspondent", page.Text, StringComparison.Ordinal);
    }
}
