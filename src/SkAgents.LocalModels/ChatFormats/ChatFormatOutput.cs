using System.Text;
using Microsoft.Extensions.AI;

namespace SkAgents.LocalModels.ChatFormats;

/// <summary>An assistant answer read back from generated text.</summary>
/// <param name="Text">The answer text, without tool-call markup or reasoning.</param>
/// <param name="Reasoning">The model's reasoning block, when the family writes one (Qwen3 <c>&lt;think&gt;</c>).</param>
/// <param name="Calls">The tool calls, in order.</param>
/// <param name="Errors">Problems reading tool calls (malformed JSON, missing names).</param>
public sealed record ChatFormatOutput(string Text, string? Reasoning, IReadOnlyList<FunctionCallContent> Calls, IReadOnlyList<string> Errors)
{
    /// <summary>Builds the assistant message contents: reasoning, text, errors and calls.</summary>
    /// <returns>The contents.</returns>
    public IList<AIContent> ToContents()
    {
        var contents = new List<AIContent>();
        if (!string.IsNullOrWhiteSpace(Reasoning))
        {
            contents.Add(new TextReasoningContent(Reasoning));
        }

        if (!string.IsNullOrEmpty(Text))
        {
            contents.Add(new TextContent(Text));
        }

        contents.AddRange(Errors.Select(e => new ErrorContent(e)));
        contents.AddRange(Calls);
        return contents;
    }
}

/// <summary>
/// Reads one streamed generation: <see cref="Append"/> returns the text that is safe to show now, holding back
/// anything that may be the start of a tool call; <see cref="Complete"/> returns the whole answer.
/// </summary>
public sealed class ChatFormatOutputParser
{
    private readonly ChatFormat _format;
    private readonly IReadOnlyList<string> _markers;
    private readonly StringBuilder _all = new();
    private int _emitted;
    private bool _pastReasoning;
    private int _toolStart = -1;

    internal ChatFormatOutputParser(ChatFormat format, IReadOnlyList<string> markers)
    {
        _format = format;
        _markers = markers;
    }

    /// <summary>Gets whether a tool call has started (the rest of the output is held back).</summary>
    public bool InToolCall => _toolStart >= 0;

    /// <summary>Adds generated text.</summary>
    /// <param name="delta">The new text.</param>
    /// <returns>Text that can be shown now (possibly empty).</returns>
    public string Append(string delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        _all.Append(delta);
        if (_toolStart >= 0)
        {
            return string.Empty;
        }

        var text = _all.ToString();
        if (!_pastReasoning && _format.ReasoningMarkers is { } reasoning)
        {
            // A leading reasoning block (Qwen3 <think>…</think>) is held back: it is not answer text.
            var lead = text.AsSpan().TrimStart();
            if (lead.Length < reasoning.Open.Length && reasoning.Open.AsSpan().StartsWith(lead))
            {
                return string.Empty; // may still become the opening marker
            }

            if (lead.StartsWith(reasoning.Open, StringComparison.Ordinal))
            {
                var close = text.IndexOf(reasoning.Close, StringComparison.Ordinal);
                if (close < 0)
                {
                    return string.Empty;
                }

                _emitted = close + reasoning.Close.Length;
                while (_emitted < text.Length && char.IsWhiteSpace(text[_emitted]))
                {
                    _emitted++;
                }

                // Wait for the first non-blank character so the answer never starts with the separating blank lines.
                if (_emitted == text.Length)
                {
                    return string.Empty;
                }
            }

            _pastReasoning = true;
        }

        var (start, _) = FindMarker(text, _emitted);
        if (start >= 0)
        {
            _toolStart = start;
            return Emit(text, start);
        }

        // Hold back a tail that could still grow into a marker.
        var safe = text.Length - LongestMarkerPrefixAtEnd(text);
        return Emit(text, safe);
    }

    /// <summary>Finishes the generation and reads the whole answer.</summary>
    /// <returns>The answer.</returns>
    public ChatFormatOutput Complete()
    {
        var text = _all.ToString();
        var calls = new List<FunctionCallContent>();
        var errors = new List<string>();
        var answer = text;
        if (_toolStart < 0)
        {
            var (start, _) = FindMarker(text, 0);
            _toolStart = start;
        }

        if (_toolStart >= 0)
        {
            var trailing = _format.ParseToolCalls(text[_toolStart..], calls, errors);
            answer = text[.._toolStart] + trailing;
        }

        var (reasoning, rest) = _format.SplitReasoning(answer);
        return new ChatFormatOutput(rest.Trim(), reasoning?.Trim(), calls, errors);
    }

    /// <summary>Gets the text shown so far plus what is still held back (for diagnostics).</summary>
    /// <returns>The whole output.</returns>
    public override string ToString() => _all.ToString();

    private string Emit(string text, int upTo)
    {
        if (upTo <= _emitted)
        {
            return string.Empty;
        }

        var piece = text[_emitted..upTo];
        _emitted = upTo;
        return piece;
    }

    private (int Index, string? Marker) FindMarker(string text, int from)
    {
        var best = -1;
        string? found = null;
        foreach (var marker in _markers)
        {
            var index = marker.Length == 0 ? -1 : text.IndexOf(marker, Math.Max(0, from - marker.Length + 1), StringComparison.Ordinal);
            if (index >= 0 && (best < 0 || index < best))
            {
                best = index;
                found = marker;
            }
        }

        return (best, found);
    }

    private int LongestMarkerPrefixAtEnd(string text)
    {
        var longest = 0;
        foreach (var marker in _markers)
        {
            for (var length = Math.Min(marker.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(marker.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
