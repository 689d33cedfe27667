using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SkAgents.Hosting;

/// <summary>Renders settings for display with every secret replaced, so <c>config show</c> can never leak a key.</summary>
public static class ConfigurationRedactor
{
    /// <summary>What a set secret is shown as.</summary>
    public const string RedactedValue = "***";

    // Whole words of a setting's name (ApiKey → api, key). Whole words, so MaxOutputTokens is not mistaken for a token.
    private static readonly HashSet<string> SecretWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "key", "apikey", "token", "secret", "password", "passwd", "pwd", "credential", "credentials", "connectionstring",
        "authorization", "cookie",
    };

    private static readonly JsonSerializerOptions SerializerOptions = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Gets whether a setting name denotes a secret (ApiKey, AccessToken, Password…).</summary>
    /// <param name="name">The setting's name.</param>
    /// <returns><see langword="true"/> for secrets.</returns>
    public static bool IsSecret(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (SecretWords.Contains(name.Replace("_", string.Empty, StringComparison.Ordinal)))
        {
            return true;
        }

        var words = new List<string>();
        var start = 0;
        for (var i = 1; i <= name.Length; i++)
        {
            if (i == name.Length || name[i] == '_' || (char.IsUpper(name[i]) && !char.IsUpper(name[i - 1])))
            {
                var word = name[start..i].Trim('_');
                if (word.Length > 0)
                {
                    words.Add(word);
                }

                start = i;
            }
        }

        return words.Any(SecretWords.Contains);
    }

    /// <summary>Serializes <paramref name="options"/> to indented JSON with secrets replaced by <see cref="RedactedValue"/>.</summary>
    /// <param name="options">The effective options.</param>
    /// <returns>The JSON text.</returns>
    public static string ToRedactedJson(SkAgentsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var node = JsonSerializer.SerializeToNode(options, SerializerOptions) ?? new JsonObject();
        Redact(node);
        return new JsonObject { [SkAgentsOptions.SectionName] = node }.ToJsonString(SerializerOptions);
    }

    private static void Redact(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var property in obj.ToList())
                {
                    if (IsSecret(property.Key))
                    {
                        var isSet = property.Value is JsonValue value && value.TryGetValue<string>(out var text) && !string.IsNullOrEmpty(text);
                        obj[property.Key] = isSet ? RedactedValue : null;
                    }
                    else if (property.Value is not null)
                    {
                        Redact(property.Value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not null)
                    {
                        Redact(item);
                    }
                }

                break;
        }
    }
}
