using System.Text.Encodings.Web;
using System.Text.Json;

namespace SkAgents.Web;

/// <summary>Turns a fetched resource into a readable page.</summary>
internal static class WebPageReader
{
    private static readonly JsonWriterOptions Pretty = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static WebPage Read(WebResource resource, bool keepLinks)
    {
        var mediaType = resource.MediaType;
        if (mediaType is "text/html" or "application/xhtml+xml")
        {
            var content = HtmlContentExtractor.Extract(resource.Text, resource.FinalUrl, new HtmlExtractionOptions { KeepLinks = keepLinks });
            return new WebPage(resource.RequestedUrl, resource.FinalUrl, content.Title, content.Markdown, mediaType);
        }

        if (mediaType == "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal))
        {
            return new WebPage(resource.RequestedUrl, resource.FinalUrl, null, PrettyJson(resource.Text), mediaType);
        }

        var title = mediaType is "text/markdown" or "text/x-markdown" ? FirstAtxHeading(resource.Text) : null;
        return new WebPage(resource.RequestedUrl, resource.FinalUrl, title, resource.Text, mediaType);
    }

    /// <summary>Indented JSON; text that is not valid JSON is returned as it is.</summary>
    private static string PrettyJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, Pretty))
            {
                document.WriteTo(writer);
            }

            return System.Text.Encoding.UTF8.GetString(buffer.ToArray()).Replace("\r\n", "\n", StringComparison.Ordinal);
        }
        catch (JsonException)
        {
            return text;
        }
    }

    private static string? FirstAtxHeading(string markdown)
    {
        foreach (var raw in markdown.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                var title = line[2..].Trim().TrimEnd('#').Trim().ToString();
                return title.Length > 0 ? title : null;
            }
        }

        return null;
    }
}
