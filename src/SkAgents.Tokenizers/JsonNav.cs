using System.Globalization;
using System.Text.Json;

namespace SkAgents.Tokenizers;

/// <summary>A JSON element with its path, for readable errors.</summary>
internal readonly struct JsonNav
{
    public JsonNav(JsonElement element, string path)
    {
        Element = element;
        Path = path;
    }

    public JsonElement Element { get; }

    public string Path { get; }

    public bool IsNull => Element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    public bool TryGet(string name, out JsonNav value)
    {
        if (Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var child) && child.ValueKind != JsonValueKind.Null)
        {
            value = new JsonNav(child, Path + "." + name);
            return true;
        }

        value = default;
        return false;
    }

    public JsonNav Required(string name)
    {
        if (!TryGet(name, out var value))
        {
            throw new TokenizerFormatException($"Missing required property '{name}'", Path);
        }

        return value;
    }

    public string RequiredString(string name)
    {
        var value = Required(name);
        return value.Element.ValueKind == JsonValueKind.String
            ? value.Element.GetString()!
            : throw new TokenizerFormatException($"Expected a string, found {value.Element.ValueKind}", value.Path);
    }

    public string? String(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        return value.Element.ValueKind == JsonValueKind.String
            ? value.Element.GetString()
            : throw new TokenizerFormatException($"Expected a string, found {value.Element.ValueKind}", value.Path);
    }

    public bool Bool(string name, bool defaultValue)
    {
        if (!TryGet(name, out var value))
        {
            return defaultValue;
        }

        return value.Element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TokenizerFormatException($"Expected a boolean, found {value.Element.ValueKind}", value.Path),
        };
    }

    public bool? OptionalBool(string name) => TryGet(name, out _) ? Bool(name, false) : null;

    public int Int(string name, int defaultValue)
    {
        if (!TryGet(name, out var value))
        {
            return defaultValue;
        }

        return value.AsInt();
    }

    public int AsInt()
    {
        if (Element.ValueKind == JsonValueKind.Number && Element.TryGetInt32(out var result))
        {
            return result;
        }

        throw new TokenizerFormatException($"Expected a 32-bit integer, found {Describe()}", Path);
    }

    public string AsString() => Element.ValueKind == JsonValueKind.String
        ? Element.GetString()!
        : throw new TokenizerFormatException($"Expected a string, found {Describe()}", Path);

    public IEnumerable<JsonNav> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array)
        {
            throw new TokenizerFormatException($"Expected an array, found {Element.ValueKind}", Path);
        }

        var index = 0;
        foreach (var item in Element.EnumerateArray())
        {
            yield return new JsonNav(item, Path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]");
            index++;
        }
    }

    public IEnumerable<(string Name, JsonNav Value)> Properties()
    {
        if (Element.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerFormatException($"Expected an object, found {Element.ValueKind}", Path);
        }

        foreach (var property in Element.EnumerateObject())
        {
            yield return (property.Name, new JsonNav(property.Value, Path + "['" + property.Name + "']"));
        }
    }

    /// <summary>Reads a single character property (serialized as a one-character string).</summary>
    public char Char(string name, char defaultValue)
    {
        var text = String(name);
        if (text is null)
        {
            return defaultValue;
        }

        return text.Length == 1 ? text[0] : throw new TokenizerFormatException($"Expected a single character, found '{text}'", Path + "." + name);
    }

    private string Describe() => Element.ValueKind == JsonValueKind.Number ? Element.GetRawText() : Element.ValueKind.ToString();
}
