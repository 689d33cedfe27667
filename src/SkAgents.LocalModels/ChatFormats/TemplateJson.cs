using System.Text;
using System.Text.Json;

namespace SkAgents.LocalModels.ChatFormats;

/// <summary>
/// Writes JSON the way Hugging Face chat templates do (<c>tojson</c>, i.e. Python's <c>json.dumps</c> with
/// <c>ensure_ascii=False</c>): <c>", "</c> and <c>": "</c> separators, non-ASCII text as is. Models were trained on
/// exactly this spelling of tool declarations and calls, so we reproduce it.
/// </summary>
internal static class TemplateJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize(object? value)
    {
        var element = value as JsonElement? ?? JsonSerializer.SerializeToElement(value, Options);
        var builder = new StringBuilder();
        Write(builder, element);
        return builder.ToString();
    }

    private static void Write(StringBuilder builder, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                builder.Append('{');
                var first = true;
                foreach (var property in element.EnumerateObject())
                {
                    if (!first)
                    {
                        builder.Append(", ");
                    }

                    first = false;
                    builder.Append(JsonSerializer.Serialize(property.Name, Options)).Append(": ");
                    Write(builder, property.Value);
                }

                builder.Append('}');
                break;
            case JsonValueKind.Array:
                builder.Append('[');
                var firstItem = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!firstItem)
                    {
                        builder.Append(", ");
                    }

                    firstItem = false;
                    Write(builder, item);
                }

                builder.Append(']');
                break;
            case JsonValueKind.String:
                builder.Append(JsonSerializer.Serialize(element.GetString(), Options));
                break;
            case JsonValueKind.Number:
                builder.Append(element.GetRawText());
                break;
            case JsonValueKind.True:
                builder.Append("true");
                break;
            case JsonValueKind.False:
                builder.Append("false");
                break;
            default:
                builder.Append("null");
                break;
        }
    }
}
