using System.Text;
using System.Text.RegularExpressions;

namespace SkAgents.Connectors.OpenAI;

/// <summary>Removes an API key, and masked echoes of it such as <c>sk-abc1****wxyz</c>, from text.</summary>
internal static partial class SecretRedactor
{
    public const string Redacted = "[REDACTED]";

    // A masked echo: some key characters, a run of '*' (or '•'), more key characters.
    [GeneratedRegex(@"[A-Za-z0-9_\-]*(?:\*{3,}|•{3,})[A-Za-z0-9_\-]*", RegexOptions.CultureInvariant)]
    private static partial Regex MaskedTokenRegex();

    /// <summary>Redacts <paramref name="secret"/> (and masked forms of it) from <paramref name="text"/>.</summary>
    public static string Redact(string? text, string? secret)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        if (string.IsNullOrEmpty(secret) || secret.Length < 4)
        {
            return text;
        }

        string result = text.Replace(secret, Redacted, StringComparison.Ordinal);
        return MaskedTokenRegex().Replace(result, m => IsMaskedFormOf(m.Value, secret) ? Redacted : m.Value);
    }

    private static bool IsMaskedFormOf(string token, string secret)
    {
        int firstMask = token.IndexOfAny(['*', '•']);
        int lastMask = token.LastIndexOfAny(['*', '•']);
        string prefix = token[..firstMask];
        string suffix = token[(lastMask + 1)..];
        bool prefixMatches = prefix.Length >= 3 && secret.StartsWith(prefix, StringComparison.Ordinal);
        bool suffixMatches = suffix.Length >= 3 && secret.EndsWith(suffix, StringComparison.Ordinal);
        return prefixMatches || suffixMatches;
    }

    /// <summary>The endpoint as text for messages, without user info, query or fragment.</summary>
    public static string DescribeEndpoint(Uri? endpoint)
    {
        if (endpoint is null)
        {
            return "(unknown endpoint)";
        }

        if (!endpoint.IsAbsoluteUri)
        {
            return endpoint.OriginalString;
        }

        var builder = new StringBuilder();
        builder.Append(endpoint.Scheme).Append("://").Append(endpoint.Authority).Append(endpoint.AbsolutePath);
        return builder.ToString();
    }
}
