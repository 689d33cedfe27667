using SkAgents.Memory.Extraction;
using static SkAgents.Memory.Tests.ExtractionTestHelpers;

namespace SkAgents.Memory.Tests;

public class ExtractionHtmlTests
{
    private const string NewsPage = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>City council approves new bike lanes | The Daily Planet</title>
          <meta property="og:title" content="City council approves new bike lanes">
          <script>window.dataLayer = [];</script>
          <style>.ad { color: red }</style>
        </head>
        <body>
          <div id="cookie-banner" class="consent-overlay">
            <p>We use cookies to improve your experience. By continuing you accept our cookie policy.</p>
            <button>Accept all</button>
          </div>
          <header class="site-header">
            <a href="/">The Daily Planet</a>
            <nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav>
          </header>
          <div class="page-wrapper has-sidebar">
            <div class="ad-slot ad-leaderboard">ADVERTISEMENT Buy the best shoes now, 50% off, limited time only!</div>
            <div class="content">
              <h1>City council approves new bike lanes</h1>
              <p class="byline">By Lois Lane, 12 March 2025</p>
              <p>The city council voted 7-2 on Tuesday to build twelve kilometres of protected bike lanes, a plan that
                 has divided residents, shop owners, and commuters for more than two years.</p>
              <div class="sponsored-content"><p>Sponsored: Try our amazing insurance deals, sign up today and save money.</p></div>
              <h2>What changes</h2>
              <p>Construction starts in May on Main Street, where parking will be moved to side streets, and the
                 work is expected to take around eighteen months, officials said.</p>
              <ul>
                <li>Main Street: 4 km, <strong>fully separated</strong></li>
                <li>Harbour Road: 3 km</li>
              </ul>
              <p>"This is a historic day for our city," said the mayor, adding that funding is secured.</p>
              <div class="share-buttons"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
            </div>
            <aside class="sidebar">
              <h3>Most read</h3>
              <ul><li><a href="/a">Celebrity wedding photos</a></li><li><a href="/b">Ten tips for summer</a></li></ul>
            </aside>
            <section class="related-articles">
              <h3>Related stories</h3>
              <ul><li><a href="/c">Bus fares to rise in June</a></li></ul>
            </section>
          </div>
          <div class="newsletter-signup"><h3>Get our newsletter</h3><form><input type="email"><button>Subscribe</button></form></div>
          <footer><p>© 2025 The Daily Planet. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
        </body>
        </html>
        """;

    [Fact]
    public async Task NewsArticle_KeepsArticle_DropsNavCookieAdsRelatedFooter()
    {
        var doc = await ExtractAsync("article.html", NewsPage);
        Assert.Equal("City council approves new bike lanes", doc.Title);
        Assert.Equal("text/html", doc.MediaType);
        var md = doc.Markdown;

        Assert.StartsWith("# City council approves new bike lanes\n\nBy Lois Lane, 12 March 2025\n\nThe city council voted 7-2", md);
        Assert.Contains("## What changes", md);
        Assert.Contains("- Main Street: 4 km, **fully separated**\n- Harbour Road: 3 km", md);
        Assert.Contains("\"This is a historic day for our city,\" said the mayor", md);
        Assert.Contains("a plan that has divided residents", md); // whitespace collapsed across source lines

        foreach (var noise in new[] { "cookies", "Accept all", "Sport", "ADVERTISEMENT", "Sponsored", "Share on", "Most read",
                     "Related stories", "Bus fares", "newsletter", "Subscribe", "All rights reserved", "dataLayer", "color: red" })
        {
            Assert.DoesNotContain(noise, md, StringComparison.OrdinalIgnoreCase);
        }
    }

    private const string DocsPage = """
        <html>
        <head><title>Configuration - MyLib 2.0 documentation</title></head>
        <body>
          <div class="navbar"><a href="/">MyLib</a> <a href="/api">API</a></div>
          <div class="document">
            <div class="sphinxsidebar" role="navigation"><h3>Table of contents</h3><ul><li><a href="#a">Install</a></li></ul></div>
            <div class="body" role="main">
              <section id="configuration">
                <h1>Configuration<a class="headerlink" href="#configuration">¶</a></h1>
                <p>Options are read from <code>mylib.toml</code> or set in code:</p>
                <div class="highlight-csharp notranslate"><div class="highlight"><pre><span class="k">var</span> opts = <span class="k">new</span> Options
        {
            Retries = 3,

            Timeout = TimeSpan.FromSeconds(30),
        };
        </pre></div></div>
                <h2>Reference</h2>
                <table class="docutils">
                  <thead><tr><th>Option</th><th>Default</th><th>Description</th></tr></thead>
                  <tbody>
                    <tr><td><p><code>Retries</code></p></td><td>3</td><td><p>How often to retry a failed call.</p></td></tr>
                    <tr><td><code>Mode</code></td><td>a|b</td><td>Either <em>fast</em>
                        or <em>safe</em></td></tr>
                    <tr><td colspan="2">Merged</td><td>x</td></tr>
                  </tbody>
                </table>
                <ol start="3"><li>Step three</li><li>Step four<ul><li>detail</li></ul></li></ol>
                <pre><code class="language-bash">dotnet add package MyLib</code></pre>
              </section>
            </div>
          </div>
          <div class="footer">© Copyright 2025. Built with Sphinx.</div>
        </body>
        </html>
        """;

    [Fact]
    public async Task DocsPage_KeepsCodeTablesAndLists()
    {
        var doc = await ExtractAsync("config.html", DocsPage);
        Assert.Equal("Configuration", doc.Title);
        var md = doc.Markdown;

        Assert.StartsWith("# Configuration\n\nOptions", md);
        Assert.DoesNotContain("¶", md);
        Assert.Contains("Options are read from `mylib.toml` or set in code:", md);
        Assert.Contains("```csharp\nvar opts = new Options\n{\n    Retries = 3,\n\n    Timeout = TimeSpan.FromSeconds(30),\n};\n```", md);
        Assert.Contains("## Reference", md);
        Assert.Contains(
            "| Option | Default | Description |\n| --- | --- | --- |\n| `Retries` | 3 | How often to retry a failed call. |\n| `Mode` | a\\|b | Either *fast* or *safe* |\n| Merged | | x |",
            md);
        Assert.Contains("3. Step three\n4. Step four\n   - detail", md);
        Assert.Contains("```bash\ndotnet add package MyLib\n```", md);
        Assert.DoesNotContain("Table of contents", md);
        Assert.DoesNotContain("Built with Sphinx", md);
        Assert.DoesNotContain("API", md);
    }

    [Fact]
    public async Task NoMainOrArticle_PicksDensestTextBlock()
    {
        const string html = """
            <html><head><title>Blog | Jane</title></head><body>
            <div class="top"><a href="/">Home</a> | <a href="/about">About</a> | <a href="/archive">Archive of all the posts ever written here</a></div>
            <div class="links"><p><a href="/1">A long list of links that looks like text but is only links, really</a></p></div>
            <div class="post">
              <h2>Why I moved to the mountains</h2>
              <p>After ten years in the city, I wanted quiet, clean air, and a garden, so we packed everything up.</p>
              <p>The first winter was hard, with snow, power cuts, and long drives, but we learned a lot.</p>
              <p>Now, three years later, I cannot imagine living anywhere else, and the kids love it too.</p>
            </div>
            </body></html>
            """;
        var doc = await ExtractAsync("post.htm", html);
        Assert.Equal("Blog | Jane", doc.Title);
        Assert.StartsWith("## Why I moved to the mountains\n\nAfter ten years in the city", doc.Markdown);
        Assert.DoesNotContain("Archive", doc.Markdown);
        Assert.DoesNotContain("long list of links", doc.Markdown);
    }

    [Fact]
    public async Task BrokenHtml_AndHiddenElements_AndCharsetMeta()
    {
        const string html = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"></head><body><article><h1>Caf\u00e9</h1><p>First <b>bold<p>Second<div hidden>secret</div><span style=\"display: none\">gone</span><table><tr><td>a<td>b</table>";
        var bytes = System.Text.Encoding.Latin1.GetBytes(html);
        var doc = await ExtractBytesAsync("broken.html", bytes);
        Assert.Equal("Café", doc.Title);
        Assert.StartsWith("# Café\n\nFirst **bold**\n\n**Second**", doc.Markdown);
        Assert.Contains("| a | b |\n| --- | --- |", doc.Markdown);
        Assert.DoesNotContain("secret", doc.Markdown);
        Assert.DoesNotContain("gone", doc.Markdown);
    }

    [Fact]
    public async Task ArticleHeaderInsideArticle_IsKept_BlockquoteAndLinksAsText()
    {
        const string html = """
            <body><header><a href="/">Site</a></header>
            <article><header><h1>Kept title</h1></header>
            <blockquote><p>Quoted line one.</p><p>Line two.</p></blockquote>
            <p>See <a href="https://example.com/docs">the docs</a> for more.</p>
            <footer>Filed under: Tech</footer></article>
            <article class="teaser"><p>x</p></article>
            </body>
            """;
        var doc = await ExtractAsync("a.html", html);
        Assert.Equal("# Kept title\n\n> Quoted line one.\n>\n> Line two.\n\nSee the docs for more.\n\nFiled under: Tech", doc.Markdown);
    }
}
