using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace SkAgents.Memory.Extraction;

/// <summary>
/// HTML (<c>.html</c>, <c>.htm</c>, <c>text/html</c>, <c>application/xhtml+xml</c>) to Markdown with main-content extraction.
/// </summary>
/// <remarks>
/// <para>Noise removal: scripts, styles, forms and controls, <c>nav</c>, <c>aside</c>, dialogs, hidden elements
/// (<c>hidden</c>, <c>aria-hidden="true"</c>, <c>display:none</c>); page-level <c>header</c>/<c>footer</c> (those outside
/// <c>article</c>/<c>main</c>); landmark roles (navigation, banner, contentinfo, complementary, search, dialog); and
/// elements whose class or id has a noise token (cookie, consent, ad(s), advert*, sponsor*, promo, newsletter, share, social,
/// related, recommended, sidebar, breadcrumb(s), comments, popup, modal, toc, pagination, ...) unless they hold the main content.</para>
/// <para>Main content: <c>main</c>/<c>[role=main]</c>, else a dominant <c>article</c>, else the block with the densest
/// paragraph text (Readability-style scoring, penalized by link density), else <c>body</c>.</para>
/// <para>Output keeps headings, lists, tables (pipe tables), <c>pre</c> (fenced, language from <c>language-*</c> classes),
/// emphasis and inline code; links become their text. Title: the first <c>h1</c> of the main content, else
/// <c>og:title</c>, else <c>&lt;title&gt;</c>.</para>
/// </remarks>
public sealed class HtmlExtractor : TextExtractorBase
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
        "sponsor", "sponsored", "promo", "promoted", "newsletter", "subscribe", "signup", "share", "sharing", "social",
        "related", "recommended", "recommendations", "sidebar", "breadcrumb", "breadcrumbs", "comments", "popup", "modal",
        "overlay", "navbar", "menu", "toc", "pagination", "pager", "outbrain", "taboola", "paywall", "skip", "print-only",
        "masthead", "site-footer", "footer", "topbar", "disclaimer-banner", "headerlink", "anchorjs-link", "visually-hidden", "sr-only",
    };

    /// <summary>Creates the extractor.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public HtmlExtractor(TextExtractionOptions? options = null)
        : base(options, "text/html", ".html", ".htm", ".xhtml", "text/html", "application/xhtml+xml")
    {
    }

    /// <inheritdoc />
    protected override (string? Title, string Markdown) Extract(byte[] content, string fileName)
    {
        var html = ExtractionInput.Decode(content, ExtractionInput.SniffHtmlCharset(content));
        var parser = new HtmlParser();
        using var document = parser.ParseDocument(html);

        var ogTitle = document.QuerySelector("meta[property='og:title'], meta[name='og:title'], meta[name='twitter:title']")?.GetAttribute("content");
        var docTitle = document.Title;
        var anyH1 = document.QuerySelector("h1")?.TextContent;

        var body = (IElement?)document.Body ?? document.DocumentElement;
        RemoveNoise(body);
        var main = ChooseMainContent(body);

        var converter = new HtmlMarkdownConverter(keepLinks: false);
        var markdown = converter.Convert(main);
        var title = FirstNonBlank(converter.FirstH1, ogTitle, docTitle, anyH1);
        return (title, markdown);
    }

    private static string? FirstNonBlank(params string?[] values) =>
        values.Select(v => v is null ? null : MarkdownText.Collapse(v)).FirstOrDefault(v => !string.IsNullOrEmpty(v));

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

            if (!HasNoiseToken(el))
            {
                continue;
            }

            // Never drop what holds the content: a wrapper called "page has-sidebar" still contains the article.
            if (el.QuerySelector("main, article, [role=main], [itemprop=articleBody]") is not null
                || (bodyText > 0 && TextLength(el) > bodyText / 2))
            {
                continue;
            }

            el.Remove();
        }
    }

    private static bool HasNoiseToken(IElement el)
    {
        foreach (var attr in new[] { el.ClassName, el.Id })
        {
            if (string.IsNullOrEmpty(attr))
            {
                continue;
            }

            if (NoiseTokens.Contains(attr.Trim()))
            {
                return true;
            }

            foreach (var cls in attr.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (NoiseTokens.Contains(cls))
                {
                    return true;
                }

                foreach (var token in cls.Split(['-', '_', ':'], StringSplitOptions.RemoveEmptyEntries))
                {
                    if (NoiseTokens.Contains(token))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
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

        var scores = new Dictionary<IElement, double>();
        foreach (var p in body.QuerySelectorAll("p, pre, blockquote, td"))
        {
            var text = MarkdownText.Collapse(p.TextContent);
            if (text.Length < 25)
            {
                continue;
            }

            var score = 1 + text.Count(c => c == ',') + Math.Min(text.Length / 100.0, 3);
            if (p.ParentElement is { } parent)
            {
                scores[parent] = scores.GetValueOrDefault(parent) + score;
                if (parent.ParentElement is { } grand)
                {
                    scores[grand] = scores.GetValueOrDefault(grand) + (score / 2);
                }
            }
        }

        var winner = scores
            .Select(kv => (Element: kv.Key, Score: kv.Value * (1 - LinkDensity(kv.Key))))
            .OrderByDescending(x => x.Score)
            .FirstOrDefault();
        return winner.Element is not null && winner.Score >= 3 ? winner.Element : body;
    }

    private static int TextLength(IElement el) => MarkdownText.Collapse(el.TextContent).Length;

    private static double LinkDensity(IElement el)
    {
        var total = TextLength(el);
        if (total == 0)
        {
            return 1;
        }

        var links = el.QuerySelectorAll("a").Sum(a => MarkdownText.Collapse(a.TextContent).Length);
        return Math.Min(1, (double)links / total);
    }
}
