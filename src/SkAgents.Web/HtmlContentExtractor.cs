using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace SkAgents.Web;

/// <summary>The readable content of an HTML page.</summary>
/// <param name="Title">The title: the first <c>h1</c> of the main content, else <c>og:title</c>/<c>twitter:title</c>, else
/// <c>&lt;title&gt;</c>, else any <c>h1</c>; null when the page has none.</param>
/// <param name="Markdown">The main content as normalized Markdown (<c>\n</c> line endings, one blank line between blocks).</param>
public sealed record HtmlContent(string? Title, string Markdown);

/// <summary>Options of <see cref="HtmlContentExtractor"/>.</summary>
public sealed class HtmlExtractionOptions
{
    /// <summary>Default options.</summary>
    public static HtmlExtractionOptions Default { get; } = new();

    /// <summary>Whether links become <c>[text](url)</c> (URLs made absolute against the base URL when one is known);
    /// when false links become their text. Fragment-only and <c>javascript:</c> links always become their text. Default true.</summary>
    public bool KeepLinks { get; init; } = true;
}

/// <summary>
/// Readability-style main-content extraction from HTML to Markdown.
/// </summary>
/// <remarks>
/// <para>Noise removal: scripts, styles, forms and controls (buttons, inputs), <c>nav</c>, <c>aside</c>, dialogs, hidden
/// elements (<c>hidden</c>, <c>aria-hidden="true"</c>, <c>display:none</c>); page-level <c>header</c>/<c>footer</c> (those
/// outside <c>article</c>/<c>main</c>); landmark roles (navigation, banner, contentinfo, complementary, search, dialog);
/// elements whose class or id has a noise token (cookie, consent, ad(s), advert*, sponsor*, promo, newsletter, share,
/// social, related, recommended, sidebar, breadcrumb(s), popup, modal, toc, pagination, signature, vote(s), ...) unless they
/// hold the main content, hold most of the page's text, or look like content (a content word such as <c>entry-content</c>
/// plus two or more real paragraphs). Consent banners (class or id containing cookie, consent, gdpr, onetrust, cookiebot)
/// and comment sections are dropped whatever their size.</para>
/// <para>Main content: the largest <c>main</c>/<c>[role=main]</c>; else a dominant <c>article</c>; else, when several
/// substantial articles stand side by side (a forum thread, a comment-style page), their closest common ancestor; else the
/// block with the densest paragraph text (paragraphs, and text-only <c>div</c>s, score <c>1 + commas + min(length/100, 3)</c>
/// for their parent, half for the grandparent and a third for the next; scores are penalized by link density), widened to
/// the common ancestor of comparable blocks close by (several posts), and to its parent when that only adds the article's
/// <c>h1</c> (and at most 300 characters); else <c>body</c>.</para>
/// <para>Output keeps headings, lists, tables (pipe tables), <c>pre</c> (fenced, language from <c>language-*</c>,
/// <c>lang-*</c>, <c>highlight-*</c>, <c>highlight-source-*</c> classes or <c>data-lang</c>), admonitions (as block quotes
/// with a bold title), block quotes, emphasis and inline code; links per <see cref="HtmlExtractionOptions.KeepLinks"/>.</para>
/// </remarks>
public static class HtmlContentExtractor
{
    private static readonly string[] RemoveSelectors =
    [
        "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "form", "button", "input",
        "select", "textarea", "nav", "aside", "dialog", "link", "meta",
        "[hidden]", "[aria-hidden=true]", "[aria-modal=true]",
        "[role=navigation]", "[role=banner]", "[role=contentinfo]", "[role=complementary]", "[role=search]", "[role=dialog]",
        "[role=alertdialog]", "[role=menubar]", "[role=toolbar]",
    ];

    private static readonly HashSet<string> NoiseTokens = new(StringComparer.OrdinalIgnoreCase)
    {
        "cookie", "cookies", "consent", "gdpr", "ad", "ads", "adsbygoogle", "advert", "adverts", "advertisement", "advertising",
        "sponsor", "sponsored", "promo", "promoted", "newsletter", "subscribe", "signup", "share", "sharing", "sharedaddy", "social",
        "related", "recommended", "recommendations", "sidebar", "breadcrumb", "breadcrumbs", "comments", "popup", "modal",
        "overlay", "navbar", "menu", "toc", "pagination", "pager", "outbrain", "taboola", "paywall", "skip", "print-only",
        "masthead", "site-footer", "footer", "topbar", "disclaimer-banner", "headerlink", "anchorjs-link", "visually-hidden", "sr-only",
        "hash-link", "permalink", "anchor-link", "signature", "signaturecontainer", "sig", "vote", "votes", "voting", "upvote",
        "downvote", "reactions", "post-actions", "post-controls", "linenos", "lineno", "edit-this-page", "feedback", "rating",
    };

    /// <summary>Class/id fragments that mark noise wherever they appear in a name (<c>CybotCookiebotDialog</c>, <c>onetrust-banner-sdk</c>).</summary>
    private static readonly string[] NoiseFragments = ["cookie", "consent", "gdpr", "onetrust", "cookiebot"];

    /// <summary>Extracts the main content of <paramref name="html"/> as Markdown, keeping links.</summary>
    /// <param name="html">The HTML (a whole page or a fragment).</param>
    /// <param name="baseUrl">The page URL, to make relative links absolute; a <c>&lt;base href&gt;</c> in the page takes precedence.</param>
    /// <returns>The title and the Markdown.</returns>
    public static HtmlContent Extract(string html, Uri? baseUrl = null) => Extract(html, baseUrl, null);

    /// <summary>Extracts the main content of <paramref name="html"/> as Markdown.</summary>
    /// <param name="html">The HTML (a whole page or a fragment).</param>
    /// <param name="baseUrl">The page URL, to make relative links absolute; a <c>&lt;base href&gt;</c> in the page takes precedence.</param>
    /// <param name="options">Options; <see cref="HtmlExtractionOptions.Default"/> when null.</param>
    /// <returns>The title and the Markdown.</returns>
    public static HtmlContent Extract(string html, Uri? baseUrl, HtmlExtractionOptions? options)
    {
        ArgumentNullException.ThrowIfNull(html);
        options ??= HtmlExtractionOptions.Default;
        using var document = new HtmlParser().ParseDocument(html);

        var ogTitle = document.QuerySelector("meta[property='og:title'], meta[name='og:title'], meta[name='twitter:title']")?.GetAttribute("content");
        var docTitle = document.Title;
        var anyH1 = document.QuerySelector("h1")?.TextContent;
        var linkBase = ResolveBase(baseUrl, document.QuerySelector("base[href]")?.GetAttribute("href"));

        var body = (IElement?)document.Body ?? document.DocumentElement;
        RemoveNoise(body);
        var main = ChooseMainContent(body);

        var converter = new HtmlMarkdownConverter(options.KeepLinks, linkBase);
        var markdown = converter.Convert(main);
        var title = FirstNonBlank(converter.FirstH1, ogTitle, TrimSiteName(docTitle, main), anyH1);
        return new HtmlContent(title, MarkdownBlocks.Finish(markdown));
    }

    /// <summary>
    /// Converts an element tree to Markdown as it is, without noise removal or main-content selection (for HTML that is
    /// all content, such as rendered Markdown).
    /// </summary>
    /// <param name="root">The element to convert (for example a document's <c>body</c>).</param>
    /// <param name="options">Options; <see cref="HtmlExtractionOptions.Default"/> when null.</param>
    /// <param name="baseUrl">The URL relative links are resolved against; null keeps them as written.</param>
    /// <returns>The first <c>h1</c> met (null when none) and the Markdown.</returns>
    public static HtmlContent ConvertToMarkdown(IElement root, HtmlExtractionOptions? options = null, Uri? baseUrl = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        var converter = new HtmlMarkdownConverter((options ?? HtmlExtractionOptions.Default).KeepLinks, baseUrl);
        var markdown = converter.Convert(root);
        return new HtmlContent(converter.FirstH1, MarkdownBlocks.Finish(markdown));
    }

    private static Uri? ResolveBase(Uri? baseUrl, string? baseHref)
    {
        if (string.IsNullOrWhiteSpace(baseHref))
        {
            return baseUrl is { IsAbsoluteUri: true } ? baseUrl : null;
        }

        if (baseUrl is { IsAbsoluteUri: true } && Uri.TryCreate(baseUrl, baseHref.Trim(), out var combined))
        {
            return combined;
        }

        return Uri.TryCreate(baseHref.Trim(), UriKind.Absolute, out var absolute) ? absolute : baseUrl;
    }

    private static readonly string[] TitleSeparators = [" | ", " - ", " – ", " — ", " » ", " :: ", " · "];

    /// <summary>
    /// <c>Topic - Site name</c>: when the main content's first heading is one side of a separator in the document title,
    /// the title is that heading.
    /// </summary>
    private static string? TrimSiteName(string? docTitle, IElement main)
    {
        if (string.IsNullOrWhiteSpace(docTitle) || main.QuerySelector("h1, h2") is not { } heading)
        {
            return docTitle;
        }

        var title = MarkdownBlocks.Collapse(docTitle);
        var text = MarkdownBlocks.Collapse(heading.TextContent);
        if (text.Length == 0)
        {
            return docTitle;
        }

        foreach (var separator in TitleSeparators)
        {
            if (title.StartsWith(text + separator, StringComparison.OrdinalIgnoreCase) || title.EndsWith(separator + text, StringComparison.OrdinalIgnoreCase))
            {
                return text;
            }
        }

        return docTitle;
    }

    private static string? FirstNonBlank(params string?[] values) =>
        values.Select(v => v is null ? null : MarkdownBlocks.Collapse(v)).FirstOrDefault(v => !string.IsNullOrEmpty(v));

    private static void RemoveNoise(IElement body)
    {
        foreach (var el in body.QuerySelectorAll(string.Join(",", RemoveSelectors)).ToList())
        {
            el.Remove();
        }

        foreach (var el in body.QuerySelectorAll("header, footer").ToList())
        {
            if (el.ParentElement?.Closest("article, main, [role=main]") is null)
            {
                el.Remove();
            }
        }

        var bodyText = TextLength(body);
        foreach (var el in body.QuerySelectorAll("[class], [id], [style]").ToList())
        {
            if (el.ParentElement is null || el.LocalName is "main" or "article" or "body" or "html")
            {
                continue; // already detached with an ancestor, or structural
            }

            var style = el.GetAttribute("style");
            if (style is not null && style.Replace(" ", "", StringComparison.Ordinal).Contains("display:none", StringComparison.OrdinalIgnoreCase))
            {
                el.Remove();
                continue;
            }

            var noise = NoiseKind(el);
            if (noise == Noise.None)
            {
                continue;
            }

            // Never drop what holds the content: a wrapper called "page has-sidebar" still contains the article.
            // Consent banners and comment sections are dropped even when they hold most of the text (a short page behind a
            // long notice, a short post under a long discussion).
            if (el.QuerySelector("main, article, [role=main], [itemprop=articleBody]") is not null
                || (noise == Noise.Token && bodyText > 0 && TextLength(el) > bodyText / 2)
                || (noise == Noise.Token && LooksLikeContent(el)))
            {
                continue;
            }

            el.Remove();
        }
    }

    private static readonly HashSet<string> ContentTokens = new(StringComparer.OrdinalIgnoreCase)
    {
        "content", "article", "main", "body", "entry", "story", "post", "text",
    };

    private static readonly HashSet<string> CommentTokens = new(StringComparer.OrdinalIgnoreCase) { "comment", "comments", "disqus" };

    /// <summary>
    /// A content container that also carries a noise word (<c>entry-content sharing-enabled</c>): its class or id names
    /// content (and no comments), and it holds at least two real paragraphs (80+ characters) with little link text.
    /// </summary>
    private static bool LooksLikeContent(IElement el)
    {
        var tokens = $"{el.ClassName} {el.Id}".Split([' ', '-', '_', ':'], StringSplitOptions.RemoveEmptyEntries);
        if (!tokens.Any(ContentTokens.Contains) || tokens.Any(CommentTokens.Contains))
        {
            return false;
        }

        var paragraphs = el.QuerySelectorAll("p").Count(p => TextLength(p) >= 80 && LinkDensity(p) < 0.25);
        return paragraphs >= 2;
    }

    private enum Noise
    {
        None,

        /// <summary>A noise word: dropped unless the element holds most of the page or looks like content.</summary>
        Token,

        /// <summary>Consent banners and comment sections: dropped unless they contain the main element.</summary>
        Consent,
    }

    private static Noise NoiseKind(IElement el)
    {
        foreach (var attr in new[] { el.ClassName, el.Id })
        {
            if (string.IsNullOrEmpty(attr))
            {
                continue;
            }

            foreach (var fragment in NoiseFragments)
            {
                if (attr.Contains(fragment, StringComparison.OrdinalIgnoreCase))
                {
                    return Noise.Consent;
                }
            }

            if (NoiseTokens.Contains(attr.Trim()))
            {
                return Noise.Token;
            }

            foreach (var cls in attr.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (cls.Split(['-', '_', ':'], StringSplitOptions.RemoveEmptyEntries).Any(CommentTokens.Contains))
                {
                    return Noise.Consent;
                }

                if (NoiseTokens.Contains(cls))
                {
                    return Noise.Token;
                }

                foreach (var token in cls.Split(['-', '_', ':'], StringSplitOptions.RemoveEmptyEntries))
                {
                    if (NoiseTokens.Contains(token))
                    {
                        return Noise.Token;
                    }
                }
            }
        }

        return Noise.None;
    }

    private static IElement ChooseMainContent(IElement body)
    {
        var mains = body.QuerySelectorAll("main, [role=main]").ToList();
        if (mains.Count > 0)
        {
            var best = mains.OrderByDescending(TextLength).First();
            if (TextLength(best) > 0)
            {
                return best;
            }
        }

        var articles = body.QuerySelectorAll("article, [itemprop=articleBody]")
            .Where(a => a.ParentElement?.Closest("article, [itemprop=articleBody]") is null)
            .OrderByDescending(TextLength)
            .ToList();
        if (articles.Count == 1 || (articles.Count > 1 && TextLength(articles[0]) >= 2 * TextLength(articles[1])))
        {
            return articles[0];
        }

        if (articles.Count > 1)
        {
            // Several substantial articles side by side (the posts of a thread): keep them all.
            var substantial = articles.Where(a => TextLength(a) >= 140).ToList();
            if (substantial.Count > 1)
            {
                return CommonAncestor(substantial);
            }
        }

        var scores = new Dictionary<IElement, double>();
        foreach (var p in ScoredBlocks(body))
        {
            var text = MarkdownBlocks.Collapse(p.TextContent);
            if (text.Length < 25)
            {
                continue;
            }

            var score = 1 + text.Count(c => c == ',') + Math.Min(text.Length / 100.0, 3);
            var divisor = 1.0;
            for (var (ancestor, level) = (p.ParentElement, 0); ancestor is not null && level < 3; ancestor = ancestor.ParentElement, level++)
            {
                scores[ancestor] = scores.GetValueOrDefault(ancestor) + (score / divisor);
                divisor = level == 0 ? 2 : 3 * (level + 1);
            }
        }

        var ranked = scores
            .Select(kv => (Element: kv.Key, Score: kv.Value * (1 - LinkDensity(kv.Key))))
            .OrderByDescending(x => x.Score)
            .ToList();
        if (ranked.Count == 0 || ranked[0].Score < 3)
        {
            return body;
        }

        var top = ranked[0];
        // Comparable blocks near the winner (other posts of a thread, the second half of a split article body) join it:
        // take their closest common ancestor when it lies at most four levels above the winner.
        var comparable = ranked
            .Skip(1)
            .Where(x => x.Score >= 0.5 * top.Score && !x.Element.Contains(top.Element) && !top.Element.Contains(x.Element))
            .Select(x => x.Element)
            .ToList();
        if (comparable.Count > 0)
        {
            var ancestor = CommonAncestor([top.Element, .. comparable]);
            if (Depth(top.Element) - Depth(ancestor) <= 4 && ancestor != body.ParentElement)
            {
                return WithHeading(ancestor);
            }
        }

        return WithHeading(top.Element);
    }

    /// <summary>
    /// The article's <c>h1</c> often sits just outside the text block (<c>h1.entry-title</c> beside <c>div.entry-content</c>):
    /// widen to the parent when it adds that heading and little else (at most 300 characters).
    /// </summary>
    private static IElement WithHeading(IElement element)
    {
        if (element.QuerySelector("h1") is null && element.ParentElement is { } parent && parent.LocalName != "html"
            && parent.QuerySelector("h1") is not null && TextLength(parent) - TextLength(element) <= 300)
        {
            return parent;
        }

        return element;
    }

    /// <summary>Paragraph-like blocks: p, pre, blockquote, td, and div/section whose text is not inside other blocks.</summary>
    private static IEnumerable<IElement> ScoredBlocks(IElement body)
    {
        foreach (var el in body.QuerySelectorAll("p, pre, blockquote, td, div, section"))
        {
            if (el.LocalName is "div" or "section")
            {
                if (el.QuerySelector("p, pre, blockquote, div, section, table, ul, ol, h1, h2, h3, h4, h5, h6") is not null)
                {
                    continue;
                }
            }

            yield return el;
        }
    }

    private static IElement CommonAncestor(List<IElement> elements)
    {
        var path = new List<IElement>();
        for (var e = elements[0]; e is not null; e = e.ParentElement)
        {
            path.Add(e);
        }

        foreach (var candidate in path)
        {
            if (elements.All(e => candidate == e || candidate.Contains(e)))
            {
                return candidate;
            }
        }

        return path[^1];
    }

    private static int Depth(IElement el)
    {
        var depth = 0;
        for (var e = el.ParentElement; e is not null; e = e.ParentElement)
        {
            depth++;
        }

        return depth;
    }

    private static int TextLength(IElement el) => MarkdownBlocks.Collapse(el.TextContent).Length;

    private static double LinkDensity(IElement el)
    {
        var total = TextLength(el);
        if (total == 0)
        {
            return 1;
        }

        var links = el.QuerySelectorAll("a").Sum(a => MarkdownBlocks.Collapse(a.TextContent).Length);
        return Math.Min(1, (double)links / total);
    }
}
