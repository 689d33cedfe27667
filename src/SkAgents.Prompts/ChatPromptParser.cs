using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Xml;
using Microsoft.Extensions.AI;

namespace SkAgents.Prompts;

/// <summary>
/// Turns rendered prompt text into chat messages the way Semantic Kernel does: <c>&lt;message role="..."&gt;</c> elements
/// become messages (entities decoded; <c>&lt;text&gt;</c> and <c>&lt;image&gt;</c> children become content parts), and a prompt
/// without message tags, or one that is not well-formed XML, is a single user message.
/// </summary>
public static class ChatPromptParser
{
    private const string MessageTag = "message";

    /// <summary>Parses a rendered prompt into chat messages, falling back to a single user message.</summary>
    /// <param name="prompt">The rendered prompt.</param>
    /// <returns>The messages (at least one).</returns>
    public static IList<ChatMessage> Parse(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return TryParse(prompt, out var messages) ? messages : [new ChatMessage(ChatRole.User, prompt)];
    }

    /// <summary>Parses <c>&lt;message&gt;</c> tags in a rendered prompt.</summary>
    /// <param name="prompt">The rendered prompt.</param>
    /// <param name="messages">The messages, when the prompt holds at least one valid message tag.</param>
    /// <returns><see langword="true"/> when the prompt is well-formed and holds at least one message with a role.</returns>
    public static bool TryParse(string? prompt, [NotNullWhen(true)] out IList<ChatMessage>? messages)
    {
        messages = null;
        if (prompt is null || prompt.IndexOf("<" + MessageTag, StringComparison.OrdinalIgnoreCase) < 0)
        {
            return false;
        }

        var document = new XmlDocument { XmlResolver = null, PreserveWhitespace = true };
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            CheckCharacters = false,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        try
        {
            using var reader = XmlReader.Create(new StringReader("<root>" + EscapeInvalidCharacters(prompt) + "</root>"), settings);
            document.Load(reader);
        }
        catch (XmlException)
        {
            return false;
        }

        var result = new List<ChatMessage>();
        foreach (XmlNode node in document.DocumentElement!.ChildNodes)
        {
            if (node is XmlElement { Name: MessageTag } element && element.GetAttribute("role") is { Length: > 0 } role)
            {
                result.Add(ParseMessage(element, role));
            }
        }

        if (result.Count == 0)
        {
            return false;
        }

        messages = result;
        return true;
    }

    /// <summary>
    /// Replaces characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/U+FFFF) with character references,
    /// which the reader accepts with character checking off; user input holding them then still parses.
    /// </summary>
    private static string EscapeInvalidCharacters(string text)
    {
        StringBuilder? builder = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            bool valid;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder?.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }

            valid = c is '\t' or '\n' or '\r' || (c >= ' ' && !char.IsSurrogate(c) && c is not ('\uFFFE' or '\uFFFF'));
            if (valid)
            {
                builder?.Append(c);
                continue;
            }

            builder ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
            builder.Append("&#x").Append(((int)c).ToString("X", System.Globalization.CultureInfo.InvariantCulture)).Append(';');
        }

        return builder?.ToString() ?? text;
    }

    private static ChatMessage ParseMessage(XmlElement element, string role)
    {
        var chatRole = role.Trim().ToUpperInvariant() switch
        {
            "SYSTEM" => ChatRole.System,
            "USER" => ChatRole.User,
            "ASSISTANT" => ChatRole.Assistant,
            "TOOL" => ChatRole.Tool,
            _ => new ChatRole(role.Trim()),
        };

        var hasParts = element.ChildNodes.OfType<XmlElement>().Any(e => e.Name is "text" or "image");
        List<AIContent> contents = [];
        if (hasParts)
        {
            foreach (var child in element.ChildNodes.OfType<XmlElement>())
            {
                if (child.Name == "text")
                {
                    contents.Add(new TextContent(child.InnerText.Trim()));
                }
                else if (child.Name == "image")
                {
                    contents.Add(ImageContent(child.InnerText.Trim()));
                }
            }
        }
        else
        {
            var text = new StringBuilder();
            foreach (XmlNode child in element.ChildNodes)
            {
                text.Append(child switch
                {
                    XmlCharacterData data => data.Value,
                    XmlElement nested => nested.OuterXml,
                    _ => string.Empty,
                });
            }

            contents.Add(new TextContent(text.ToString().Trim()));
        }

        var message = new ChatMessage(chatRole, contents);
        if (element.GetAttribute("name") is { Length: > 0 } name)
        {
            message.AuthorName = name;
        }

        return message;
    }

    private static AIContent ImageContent(string source)
    {
        if (source.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return new DataContent(source);
        }

        return Uri.TryCreate(source, UriKind.Absolute, out var uri)
            ? new UriContent(uri, "image/*")
            : new TextContent(source);
    }
}
