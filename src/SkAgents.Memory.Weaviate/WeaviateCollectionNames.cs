using System.Globalization;
using System.Text;

namespace SkAgents.Memory.Weaviate;

/// <summary>
/// Maps memory index names to Weaviate class names and back. Weaviate class names must match
/// <c>^[A-Z][_0-9A-Za-z]*$</c>, so the class is <c>prefix + encoded index</c>: ASCII letters and digits are kept, every
/// other UTF-16 code unit (the underscore included) becomes <c>_XXXX</c> (4 uppercase hex digits). The mapping is
/// deterministic and reversible, so distinct indexes never share a class: <c>docs</c> → <c>SkMemory_docs</c>,
/// <c>my-docs</c> → <c>SkMemory_my_002Ddocs</c>, <c>a_b</c> → <c>SkMemory_a_005Fb</c>.
/// </summary>
public static class WeaviateCollectionNames
{
    /// <summary>Checks that a prefix makes valid class names.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <exception cref="ArgumentException">It is empty, does not start with an uppercase ASCII letter or holds other characters than letters, digits and underscores.</exception>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (!char.IsAsciiLetterUpper(prefix[0]) || !prefix.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException($"Collection prefix '{prefix}' must start with an uppercase ASCII letter and contain only ASCII letters, digits and underscores.", nameof(prefix));
        }
    }

    /// <summary>Maps an index name to its class name.</summary>
    /// <param name="prefix">The collection prefix.</param>
    /// <param name="index">The index name.</param>
    /// <returns>The class name.</returns>
    public static string ToClassName(string prefix, string index)
    {
        ValidatePrefix(prefix);
        ArgumentException.ThrowIfNullOrEmpty(index);
        var sb = new StringBuilder(prefix, prefix.Length + index.Length);
        foreach (char c in index)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('_').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    /// <summary>Maps a class name back to its index name.</summary>
    /// <param name="prefix">The collection prefix.</param>
    /// <param name="className">The class name.</param>
    /// <param name="index">The index name, when the class is one of ours.</param>
    /// <returns>Whether the class was made by <see cref="ToClassName"/> with this prefix.</returns>
    public static bool TryGetIndexName(string prefix, string className, out string index)
    {
        index = string.Empty;
        if (className is null || prefix is null || !className.StartsWith(prefix, StringComparison.Ordinal) || className.Length == prefix.Length)
        {
            return false;
        }

        var sb = new StringBuilder();
        for (int i = prefix.Length; i < className.Length; i++)
        {
            char c = className[i];
            if (char.IsAsciiLetterOrDigit(c))
            {
                sb.Append(c);
            }
            else if (c == '_' && i + 4 < className.Length
                && int.TryParse(className.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
            {
                sb.Append((char)code);
                i += 4;
            }
            else
            {
                return false;
            }
        }

        index = sb.ToString();
        return string.Equals(ToClassName(prefix, index), className, StringComparison.Ordinal);
    }
}
