using SkAgents.Memory.Storage;
using SkAgents.Testing;
using SkAgents.Web;

namespace SkAgents.Memory.Tests;

public sealed class WebImportTests
{
    private const string Article = """
        <!doctype html><html><head><title>Tide tables | Harbour news</title></head><body>
        <nav><a href="/">Home</a><a href="/weather">Weather</a></nav>
        <div class="cookie-banner">We use cookies to improve your experience.</div>
        <main><article>
          <h1>Spring tides reach the old harbour</h1>
          <p>The highest spring tide of the year reached the old harbour wall on Tuesday morning, two hours after sunrise.</p>
          <h2>Safety advice</h2>
          <ul><li>Keep off the breakwater at high water.</li><li>Moor small boats on the inner quay.</li></ul>
        </article></main>
        <footer>© Harbour news</footer>
        </body></html>
        """;

    [Fact]
    public async Task A_web_page_is_imported_as_its_main_content_cited_by_title_and_url()
    {
        await using var site = await LoopbackWebSite.StartAsync();
        var page = site.Serve("/news/tides.html", Article);
        var moved = site.Redirect("/tides", "/news/tides.html", 301);
        using var fetcher = LoopbackFetcher();
        var store = new InMemoryTestStore();
        var memory = new MemoryService(store, webFetcher: fetcher);

        var first = await memory.ImportWebPageAsync(moved, tags: new Dictionary<string, IReadOnlyList<string>> { ["topic"] = ["sea"] });
        var again = await memory.ImportWebPageAsync(moved, tags: new Dictionary<string, IReadOnlyList<string>> { ["topic"] = ["sea"] });

        Assert.Equal(ImportStatus.Imported, first.Status);
        Assert.Equal(ImportStatus.Unchanged, again.Status);
        Assert.StartsWith("web-127.0.0.1-tides-", first.DocumentId, StringComparison.Ordinal);
        var document = await store.GetDocumentAsync("default", first.DocumentId);
        Assert.NotNull(document);
        Assert.Equal(page.AbsoluteUri, document.SourceUrl);
        Assert.Equal("Spring tides reach the old harbour", document.SourceName);
        Assert.Equal("text/html", document.MediaType);
        var text = string.Join("\n", store.PartitionsOf(first.DocumentId).Select(p => p.Text));
        Assert.Contains("## Safety advice", text, StringComparison.Ordinal);
        Assert.Contains("- Keep off the breakwater at high water.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("cookies", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Weather", text, StringComparison.Ordinal);

        var answer = await memory.AskAsync("When did the spring tide reach the harbour wall?");
        Assert.NotEmpty(answer.Sources);
        Assert.All(answer.Sources, s => Assert.Equal(page.AbsoluteUri, s.SourceUrl));
        Assert.Contains("Tuesday morning", answer.Text, StringComparison.Ordinal);
        Assert.Contains("[1]", answer.Text, StringComparison.Ordinal);

        // A changed page replaces the stored one.
        site.Serve("/news/tides.html", Article.Replace("Tuesday", "Wednesday", StringComparison.Ordinal));
        Assert.Equal(ImportStatus.Imported, (await memory.ImportWebPageAsync(moved)).Status);
        Assert.Contains("Wednesday", string.Join("\n", store.PartitionsOf(first.DocumentId).Select(p => p.Text)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_default_fetcher_refuses_loopback_and_failures_store_nothing()
    {
        await using var site = await LoopbackWebSite.StartAsync();
        var page = site.Serve("/page.html", Article);
        var store = new InMemoryTestStore();

        // No allow-list: the address guard refuses 127.0.0.1 before connecting.
        var blocked = await Assert.ThrowsAsync<BlockedAddressException>(() => new MemoryService(store).ImportWebPageAsync(page));
        Assert.Empty(site.Requests);

        using var fetcher = LoopbackFetcher();
        var memory = new MemoryService(store, webFetcher: fetcher);
        var missing = await Assert.ThrowsAsync<WebFetchHttpException>(() => memory.ImportWebPageAsync(new Uri(site.BaseUri, "/gone.html")));
        Assert.Equal(404, missing.StatusCode);
        site.Serve("/logo.png", "\u0089PNG", "image/png");
        await Assert.ThrowsAsync<UnsupportedContentTypeException>(() => memory.ImportWebPageAsync(new Uri(site.BaseUri, "/logo.png")));
        await Assert.ThrowsAsync<ArgumentException>(() => memory.ImportWebPageAsync(new Uri("file:///etc/passwd")));
        Assert.Equal(0, store.Saves);
        Assert.Contains("127.0.0.1", blocked.Message, StringComparison.Ordinal);
    }

    private static WebFetcher LoopbackFetcher()
    {
        var options = new WebFetcherOptions();
        options.AllowedNetworks.Add("127.0.0.1/32");
        return new WebFetcher(options);
    }
}
