namespace SkAgents.Memory.Extraction;

/// <summary>Normalizes file names, extensions and media types into lookup keys.</summary>
internal static class FileTypes
{
    /// <summary>Keys for a media type, extension or file name: <c>text/html</c>, <c>.html</c>.</summary>
    public static IEnumerable<string> Keys(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            yield break;
        }

        var v = value.Trim();
        var semicolon = v.IndexOf(';', StringComparison.Ordinal);
        if (semicolon >= 0)
        {
            v = v[..semicolon].Trim();
        }

        if (v.Contains('/', StringComparison.Ordinal) && !v.Contains('.', StringComparison.Ordinal))
        {
            yield return v; // media type
            yield break;
        }

        if (v.Contains('/', StringComparison.Ordinal))
        {
            yield return v; // could be a media type like application/vnd.x+json or a path
        }

        var ext = Path.GetExtension(v);
        if (!string.IsNullOrEmpty(ext))
        {
            yield return ext;
        }
        else if (!v.Contains('/', StringComparison.Ordinal))
        {
            yield return "." + v; // bare extension: "md"
        }
    }

    /// <summary>The charset parameter of a media type, if any.</summary>
    public static string? Charset(string? mediaType)
    {
        if (mediaType is null)
        {
            return null;
        }

        foreach (var part in mediaType.Split(';').Skip(1))
        {
            var kv = part.Split('=', 2);
            if (kv.Length == 2 && kv[0].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                return kv[1].Trim().Trim('"', '\'');
            }
        }

        return null;
    }

    /// <summary>The file name without directory and extension.</summary>
    public static string Stem(string fileName)
    {
        var stem = Path.GetFileNameWithoutExtension(fileName);
        return string.IsNullOrWhiteSpace(stem) ? fileName : stem;
    }
}
