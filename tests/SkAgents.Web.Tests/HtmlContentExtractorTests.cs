namespace SkAgents.Web.Tests;

public class HtmlContentExtractorTests
{
    private static readonly Uri PageUrl = new("https://news.example/2025/04/tunnel.html");

    private static HtmlContent Extract(string page, bool keepLinks = true) =>
        HtmlContentExtractor.Extract(Fetchers.ReadPage(page), PageUrl, new HtmlExtractionOptions { KeepLinks = keepLinks });

    private static void AssertAbsent(string markdown, params string[] noise)
    {
        foreach (var text in noise)
        {
            Assert.False(markdown.Contains(text, StringComparison.OrdinalIgnoreCase), $"'{text}' should have been dropped:\n{markdown}");
        }
    }

    [Fact]
    public void NewsArticle_KeepsStory_DropsNavShareAdsNewsletterRelatedFooter()
    {
        var page = Extract("news.html");
        var md = page.Markdown;

        Assert.Equal("Harbour tunnel opens after six years of work", page.Title);
        Assert.Contains("# Harbour tunnel opens after six years of work\n\nBy [Maria Keller](https://news.example/authors/maria-keller), Transport correspondent · 2 April 2025", md);
        Assert.Contains("The harbour tunnel opened to traffic on Wednesday morning, six years after construction began and two years later than planned,", md);
        Assert.Contains("## Cost overruns\n\nThe project's budget grew", md);
        Assert.Contains("- Length: 4.2 km, of which 2.9 km under water\n- Lanes: two in each direction\n- Speed limit: 80 km/h", md);
        Assert.Contains("> \"We learned a lot about this harbour, and most of it the hard way,\" the chief engineer said.", md);
        Assert.EndsWith("## What happens next\n\nFerries between the shores will run a reduced timetable from May, and the old harbour bridge will close for repairs in the autumn, the city said in a statement.", md);

        AssertAbsent(md,
            "Skip to content", "Business", "Culture", "Opinion",              // header nav
            "Share on Facebook", "Post on X", "Email this story",          // share bar
            "Advertisement", "Lisbon", "Sponsored", "RapidLoans",          // ads
            "morning briefing", "Sign me up", "inbox at 7am",              // newsletter box
            "Most read", "Ten restaurants", "Related stories", "drivers' union", "weird trick", // rail, related, outbrain
            "About us", "Privacy policy", "Media Group", "googletag");     // footer, scripts
    }

    [Fact]
    public void NewsArticle_WithoutLinks_KeepsLinkText()
    {
        var md = Extract("news.html", keepLinks: false).Markdown;
        Assert.Contains("By Maria Keller, Transport correspondent", md);
        Assert.DoesNotContain("](", md);
    }

    [Fact]
    public void DocsPage_KeepsHeadingsCodeTablesAdmonitions_DropsSidebarTocAndChrome()
    {
        var page = Extract("docs.html");
        var md = page.Markdown;

        Assert.Equal("Retry policies", page.Title);
        Assert.StartsWith("# Retry policies\n\nFetchly retries failed requests according to a *retry policy*.", md);
        Assert.Contains("## Backoff strategies\n\nConfigure the policy when you build the client:", md);
        Assert.Contains("```python\nfrom fetchly import Client, Retry\n\nclient = Client(retry=Retry(attempts=5, backoff=\"exponential\"))\n```", md);
        Assert.Contains("```bash\nfetchly get https://example.org --retries 5\n```", md);
        Assert.Contains("> **Warning**\n>\n> Retrying non-idempotent requests such as `POST` can create duplicate orders.", md);
        Assert.Contains("> **Note**\n>\n> Exponential backoff doubles the delay after each attempt, up to `max_delay`.", md);
        Assert.Contains(
            "| Option | Type | Default |\n| --- | --- | --- |\n| `attempts` | int | 3 |\n| `backoff` | str | `\"fixed\"` |\n| `max_delay` | float | 30.0 |",
            md);
        Assert.Contains("### Steps to enable retries\n\n1. Create a `Retry` object.\n2. Pass it to the client.", md);

        AssertAbsent(md,
            "¶", "GitHub repository", "Search",                             // header, permalinks
            "Installation", "Quickstart guide", "Changelog",               // sidebar nav, prev/next
            "On this page",                                                // TOC
            "Edit this page", "Was this page helpful",                     // page chrome
            "Made with Material");                                         // footer
    }

    [Fact]
    public void ForumThread_KeepsEveryPostAndAuthor_DropsSignaturesVotesAndBoardChrome()
    {
        var page = Extract("forum.html");
        var md = page.Markdown;

        Assert.Equal("Laptop fan runs constantly after update", page.Title); // " - Linux Help Forum" trimmed: it is the thread heading
        Assert.StartsWith("## Laptop fan runs constantly after update", md);
        var first = md.IndexOf("After the kernel update to 6.8 my laptop fan never stops, even when the machine is idle.\nTemperatures look normal", StringComparison.Ordinal);
        var second = md.IndexOf("This is a known regression in the thermal driver for some models, and it is fixed in 6.8.2.\nUntil then, boot with `thermal.off=0`", StringComparison.Ordinal);
        var third = md.IndexOf("Thanks, updating to 6.8.2 fixed it", StringComparison.Ordinal);
        Assert.True(first >= 0 && second > first && third > second, md);
        Assert.Contains("by **tuxfan** » Mon Mar 03, 2025 9:14 am", md);
        Assert.Contains("by **kernelguru** » Mon Mar 03, 2025 10:02 am", md);
        Assert.Contains("by **tuxfan** » Mon Mar 03, 2025 6:40 pm", md);

        AssertAbsent(md,
            "Running Debian since 2009", "forum rules",                     // signatures
            "Upvote", "Reply with quote", "17",                             // vote buttons and counts
            "Board index", "Page 1 of 1", "FAQ", "Members", "Login",        // breadcrumbs, pagination, navbar
            "Contact us", "Powered by phpBB");                              // footer
    }

    [Fact]
    public void ForumThread_WithArticlePosts_KeepsAllPosts()
    {
        const string html = """
            <html><head><title>Which database for a small app? - Devs</title></head><body>
            <nav><a href="/">Latest</a> <a href="/top">Top</a></nav>
            <div class="topic">
              <h1>Which database for a small app?</h1>
              <article class="topic-post" id="post_1"><div class="names"><a href="/u/ana">ana</a></div>
                <div class="cooked"><p>I am building a small inventory app for a shop, with a few thousand rows, and wonder which database to use.</p></div>
                <div class="post-controls"><button>Like</button><span class="like-count">4</span></div></article>
              <article class="topic-post" id="post_2"><div class="names"><a href="/u/ben">ben</a></div>
                <div class="cooked"><p>SQLite is plenty for that size, it is a single file, needs no server, and backups are a file copy away.</p></div>
                <div class="post-controls"><button>Like</button><span class="like-count">9</span></div></article>
            </div>
            <footer>Powered by Discourse</footer>
            </body></html>
            """;
        var page = HtmlContentExtractor.Extract(html, null, new HtmlExtractionOptions { KeepLinks = false });

        Assert.Equal("Which database for a small app?", page.Title);
        Assert.Equal(
            "# Which database for a small app?\n\nana\n\nI am building a small inventory app for a shop, with a few thousand rows, and wonder which database to use.\n\n"
            + "ben\n\nSQLite is plenty for that size, it is a single file, needs no server, and backups are a file copy away.",
            page.Markdown);
    }

    [Fact]
    public void CookieBannerPage_KeepsMainContent_DropsConsentHeaderNavAndFooter()
    {
        var page = Extract("cookies.html");
        var md = page.Markdown;

        Assert.Equal("Opening hours and prices", page.Title);
        Assert.StartsWith("# Opening hours and prices\n\nThe museum is open every day except Monday", md);
        Assert.Contains("| Day | Hours |\n| --- | --- |\n| Tuesday to Sunday | 10:00–18:00 |\n| Thursday | 10:00–21:00 |\n| Monday | Closed |", md);
        Assert.Contains("## Tickets\n\n- Adults: 18 euros\n- Students and seniors: 12 euros\n- Children under 12: free", md);
        Assert.EndsWith("you can leave and come back as often as you like.", md);

        AssertAbsent(md,
            "143 partners", "Accept all cookies", "Reject all", "tracking technologies", // consent banners
            "Plan your visit", "Museum shop", "Become a member",                        // header nav
            "Museum Square", "Instagram", "Registered charity");                        // footer
    }

    [Fact]
    public void CookieBanner_WithoutRolesOrLandmarks_IsDroppedByItsName()
    {
        const string html = """
            <body>
              <div id="CybotCookiebotDialog"><p>This website uses cookies. We use cookies to personalise content and ads, and to analyse our traffic.</p></div>
              <div class="text"><h1>Title</h1><p>The real content of the page is this paragraph, which is long enough to be scored as content.</p></div>
            </body>
            """;
        var md = HtmlContentExtractor.Extract(html).Markdown;
        Assert.Equal("# Title\n\nThe real content of the page is this paragraph, which is long enough to be scored as content.", md);
    }

    [Fact]
    public void ContentContainer_CarryingANoiseWord_IsKept_WhileCommentsAreDropped()
    {
        const string html = """
            <body>
              <div class="site-branding"><a href="/">Jane's kitchen</a></div>
              <div class="post-wrap">
                <h1 class="entry-title">Sourdough without a scale</h1>
                <div class="entry-content sharing-enabled">
                  <p>You do not need a kitchen scale to bake good sourdough, as long as you measure by volume the same way every time.</p>
                  <p>Use one cup of starter, three cups of flour and one and a quarter cups of water, then adjust the dough by feel.</p>
                  <div class="sharedaddy"><a href="/s/fb">Share this: Facebook</a></div>
                </div>
              </div>
              <section id="comments" class="comments-area">
                <h2>42 comments</h2>
                <p>Great recipe, I tried it last weekend with whole wheat flour and it worked really well, thank you so much for sharing!</p>
                <p>Could you explain how long the bulk fermentation should take at room temperature in winter, when the kitchen is cold?</p>
                <p>I have been baking for years and I never thought of measuring by volume, this makes everything so much easier for me.</p>
                <p>My loaf came out flat, maybe my starter was too weak, I will try again next week and report back with some photos.</p>
              </section>
            </body>
            """;
        var md = HtmlContentExtractor.Extract(html).Markdown;
        Assert.Equal(
            "# Sourdough without a scale\n\nYou do not need a kitchen scale to bake good sourdough, as long as you measure by volume the same way every time.\n\n"
            + "Use one cup of starter, three cups of flour and one and a quarter cups of water, then adjust the dough by feel.",
            md);
    }

    [Fact]
    public void Links_AreMadeAbsolute_AgainstTheBaseUrlOrBaseElement()
    {
        const string html = """<main><p>See <a href="../guide/">the guide</a>, <a href="#top">top</a>, <a href="javascript:void(0)">js</a> and <a href="mailto:a@b.example">mail</a>.</p></main>""";
        Assert.Equal(
            "See [the guide](https://news.example/2025/guide/), top, js and [mail](mailto:a@b.example).",
            HtmlContentExtractor.Extract(html, PageUrl).Markdown);

        const string withBase = """<html><head><base href="https://cdn.example/docs/"></head><body><main><p><a href="api.html">API</a></p></main></body></html>""";
        Assert.Equal("[API](https://cdn.example/docs/api.html)", HtmlContentExtractor.Extract(withBase, PageUrl).Markdown);
        Assert.Equal("[API](api.html)", HtmlContentExtractor.Extract("<main><p><a href=\"api.html\">API</a></p></main>").Markdown);
    }

    [Fact]
    public void Code_LanguageFromGitHubStyleClasses_AndLineBreaksInPre()
    {
        const string html = """
            <main>
              <div class="highlight highlight-source-rust"><pre>fn main() {<br>    println!("hi");<br>}</pre></div>
              <pre data-lang="sql">SELECT 1;</pre>
            </main>
            """;
        Assert.Equal("```rust\nfn main() {\n    println!(\"hi\");\n}\n```\n\n```sql\nSELECT 1;\n```", HtmlContentExtractor.Extract(html).Markdown);
    }

    [Fact]
    public void PygmentsLineNumberTables_BecomeOneCodeBlock()
    {
        const string html = """
            <main><table class="highlighttable"><tr><td class="linenos"><div class="linenodiv"><pre>1
            2</pre></div></td><td class="code"><div class="highlight-python"><pre>x = 1
            y = 2</pre></div></td></tr></table></main>
            """;
        Assert.Equal("```python\nx = 1\ny = 2\n```", HtmlContentExtractor.Extract(html).Markdown);
    }

    [Fact]
    public void ConvertToMarkdown_ConvertsEverything_WithoutMainContentSelection()
    {
        using var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument("<body><nav>Menu</nav><h1>T</h1><p>x <a href=\"/y\">y</a></p></body>");
        var content = HtmlContentExtractor.ConvertToMarkdown(document.Body!);
        Assert.Equal("T", content.Title);
        Assert.Equal("Menu\n\n# T\n\nx [y](/y)", content.Markdown);
    }

    [Fact]
    public void EmptyOrTextOnlyHtml_IsHandled()
    {
        Assert.Equal(new HtmlContent(null, ""), HtmlContentExtractor.Extract(""));
        Assert.Equal("just text", HtmlContentExtractor.Extract("just text").Markdown);
    }
}
