using System.Text.Encodings.Web;
using System.Text.Json;

namespace SkAgents.Memory.Extraction;

/// <summary>
/// JSON (<c>.json</c>, <c>application/json</c>): validated and pretty-printed (2-space indent, non-ASCII kept readable)
/// as one fenced <c>```json</c> block. Comments and trailing commas are tolerated. The title is a top-level
/// string property <c>title</c> or <c>name</c> when present.
/// </summary>
public sealed class JsonExtractor : TextExtractorBase
{
    private static readonly JsonDocumentOptions ParseOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 256,
    };

    /// <summary>Creates the extractor.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public JsonExtractor(TextExtractionOptions? options = null)
        : base(options, "application/json", ".json", "application/json", "text/json")
    {
    }

    /// <inheritdoc />
    protected override (string? Title, string Markdown) Extract(byte[] content, string fileName)
    {
        var text = ExtractionInput.Decode(content);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new MalformedDocumentException(fileName, "JSON", "the document is empty.");
        }

        try
        {
            using var doc = JsonDocument.Parse(text, ParseOptions);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
            {
                Indented = true,
                Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                MaxDepth = 256,
            }))
            {
                doc.WriteTo(writer);
            }

            var pretty = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
            string? title = null;
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var key in new[] { "title", "name" })
                {
                    if (doc.RootElement.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String)
                    {
                        title = v.GetString();
                        break;
                    }
                }
            }

            return (title, MarkdownText.Fence(pretty, "json"));
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" at line {line + 1}, position {ex.BytePositionInLine + 1}" : "";
            throw new MalformedDocumentException(fileName, "JSON", $"{FirstSentence(ex.Message)}{where}.", ex);
        }
    }

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (i > 0 ? message[..i] : message).TrimEnd('.', ' ');
    }
}
