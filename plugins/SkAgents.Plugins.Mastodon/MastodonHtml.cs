using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace SkAgents.Plugins.Mastodon;

/// <summary>Mastodon's sanitized status HTML (p, br, span, a) as plain text.</summary>
public static class MastodonHtml
{
    private static readonly HtmlParser Parser = new();

    /// <summary>
    /// Converts status HTML to plain text: paragraphs are separated by a blank line, <c>&lt;br&gt;</c> becomes a line
    /// break, links, mentions and hashtags become their visible text (Mastodon's shortened link spans are joined back
    /// into the full URL), and entities are decoded.
    /// </summary>
    /// <param name="html">The HTML.</param>
    /// <returns>The text.</returns>
    public static string ToPlainText(string? html)
    {
        if (string.IsNullOrWhiteSpace(html))
        {
            return string.Empty;
        }

        var document = Parser.ParseDocument("<!DOCTYPE html><html><body>" + html + "</body></html>");
        var paragraphs = new List<string>();
        var current = new StringBuilder();
        Walk(document.Body!, current, paragraphs);
        Flush(current, paragraphs);
        return string.Join("\n\n", paragraphs);
    }

    private static void Walk(INode node, StringBuilder current, List<string> paragraphs)
    {
        foreach (var child in node.ChildNodes)
        {
            switch (child)
            {
                case IText text:
                    current.Append(text.Data.Replace("\r", string.Empty, StringComparison.Ordinal).Replace('\n', ' '));
                    break;
                case IElement element:
                    var name = element.LocalName;
                    if (name == "br")
                    {
                        current.Append('\n');
                    }
                    else if (name is "p" or "div" or "blockquote" or "li" or "pre" or "h1" or "h2" or "h3" or "h4" or "h5" or "h6" or "ul" or "ol")
                    {
                        Flush(current, paragraphs);
                        Walk(element, current, paragraphs);
                        Flush(current, paragraphs);
                    }
                    else if (name is "script" or "style")
                    {
                        // Never present in sanitized content; ignore if an instance sends it.
                    }
                    else
                    {
                        Walk(element, current, paragraphs);
                    }

                    break;
            }
        }
    }

    private static void Flush(StringBuilder current, List<string> paragraphs)
    {
        var lines = current.ToString().Split('\n').Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        var text = string.Join('\n', lines).Trim('\n');
        if (text.Length > 0)
        {
            paragraphs.Add(text);
        }

        current.Clear();
    }
}
