using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace SkAgents.Prompts;

/// <summary>Conversions of argument values to text and JSON, and the HTML encoding used for inserted content.</summary>
internal static class PromptValues
{
    /// <summary>Converts a value to the text inserted into a prompt.</summary>
    public static string ToText(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        JsonElement e => e.ValueKind switch
        {
            JsonValueKind.String => e.GetString() ?? string.Empty,
            JsonValueKind.Null or JsonValueKind.Undefined => string.Empty,
            JsonValueKind.Object or JsonValueKind.Array => Compact(e),
            _ => e.GetRawText(),
        },
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonNode n => Compact(ToElement(n)),
        bool b => b ? "true" : "false",
        char c => c.ToString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IDictionary or IEnumerable => Compact(ToElement(ToJsonNode(value))),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>Writes a JSON element without indentation.</summary>
    public static string Compact(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Converts a value to a JSON node (dictionaries to objects, sequences to arrays).</summary>
    public static JsonNode? ToJsonNode(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case JsonNode node:
                return node.DeepClone();
            case JsonElement element:
                return element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? null : JsonNode.Parse(element.GetRawText());
            case string s:
                return JsonValue.Create(s);
            case bool b:
                return JsonValue.Create(b);
            case long l:
                return JsonValue.Create(l);
            case int i:
                return JsonValue.Create(i);
            case double d:
                return JsonValue.Create(d);
            case float f:
                return JsonValue.Create(f);
            case decimal m:
                return JsonValue.Create(m);
            case IDictionary dictionary:
                var obj = new JsonObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    obj[ToText(entry.Key)] = ToJsonNode(entry.Value);
                }

                return obj;
            case IEnumerable sequence:
                var array = new JsonArray();
                foreach (var item in sequence)
                {
                    array.Add(ToJsonNode(item));
                }

                return array;
            default:
                return JsonSerializer.SerializeToNode(value, value.GetType(), AIJsonUtilities.DefaultOptions);
        }
    }

    /// <summary>Converts a JSON node to a standalone JSON element.</summary>
    public static JsonElement ToElement(JsonNode? node)
    {
        using var document = JsonDocument.Parse(node?.ToJsonString() ?? "null");
        return document.RootElement.Clone();
    }

    /// <summary>Reads a number from a numeric value, a JSON number or numeric text.</summary>
    public static bool TryGetDouble(object? value, out double result)
    {
        switch (value)
        {
            case double d:
                result = d;
                return true;
            case float f:
                result = f;
                return true;
            case long l:
                result = l;
                return true;
            case int i:
                result = i;
                return true;
            case decimal m:
                result = (double)m;
                return true;
            case JsonElement { ValueKind: JsonValueKind.Number } e:
                return e.TryGetDouble(out result);
            case JsonElement { ValueKind: JsonValueKind.String } e:
                return double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out result);
            case string s:
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out result);
            case IConvertible c and not bool:
                try
                {
                    result = c.ToDouble(CultureInfo.InvariantCulture);
                    return true;
                }
                catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
                {
                    break;
                }
        }

        result = 0;
        return false;
    }

    /// <summary>
    /// HTML-encodes the characters that matter to the chat prompt parser (<c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c>, quotes).
    /// Unlike <see cref="System.Net.WebUtility.HtmlEncode(string)"/> it leaves other characters alone.
    /// </summary>
    public static string HtmlEncode(string text)
    {
        if (text.AsSpan().IndexOfAny("&<>\"'") < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => builder.Append("&amp;"),
                '<' => builder.Append("&lt;"),
                '>' => builder.Append("&gt;"),
                '"' => builder.Append("&quot;"),
                '\'' => builder.Append("&#39;"),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }

    /// <summary>Decodes HTML entities.</summary>
    public static string HtmlDecode(string text) => text.Contains('&', StringComparison.Ordinal) ? System.Net.WebUtility.HtmlDecode(text) : text;
}
