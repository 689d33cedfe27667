namespace SkAgents.LocalModels.Generation;

/// <summary>
/// Watches streamed text for stop sequences that may arrive split across tokens. <see cref="Append"/> returns only
/// text that cannot be the start of a stop sequence; once one is complete, the text before it is released and
/// <see cref="Stopped"/> turns true.
/// </summary>
public sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private readonly int _longest;
    private string _pending = string.Empty;

    /// <summary>Creates a matcher.</summary>
    /// <param name="stopSequences">The texts that end generation (empty entries are ignored).</param>
    public StopSequenceMatcher(IEnumerable<string> stopSequences)
    {
        ArgumentNullException.ThrowIfNull(stopSequences);
        _stops = stopSequences.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).ToArray();
        _longest = _stops.Length == 0 ? 0 : _stops.Max(s => s.Length);
    }

    /// <summary>Gets whether a stop sequence has been seen.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Gets the stop sequence that ended generation, if any.</summary>
    public string? MatchedStopSequence { get; private set; }

    /// <summary>Adds decoded text.</summary>
    /// <param name="text">The new text.</param>
    /// <returns>The text that is safe to emit now.</returns>
    public string Append(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Stopped || text.Length == 0)
        {
            return string.Empty;
        }

        if (_stops.Length == 0)
        {
            return text;
        }

        var buffer = _pending + text;
        var earliest = -1;
        foreach (var stop in _stops)
        {
            var index = buffer.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0 && (earliest < 0 || index < earliest))
            {
                earliest = index;
                MatchedStopSequence = stop;
            }
        }

        if (earliest >= 0)
        {
            Stopped = true;
            _pending = string.Empty;
            return buffer[..earliest];
        }

        // Keep back the longest tail that is a prefix of some stop sequence.
        var keep = 0;
        var maxKeep = Math.Min(_longest - 1, buffer.Length);
        for (var length = maxKeep; length > 0 && keep == 0; length--)
        {
            var tail = buffer.AsSpan(buffer.Length - length);
            foreach (var stop in _stops)
            {
                if (stop.Length > length && stop.AsSpan(0, length).SequenceEqual(tail))
                {
                    keep = length;
                    break;
                }
            }
        }

        _pending = buffer[(buffer.Length - keep)..];
        return buffer[..(buffer.Length - keep)];
    }

    /// <summary>Releases text held back at the end of generation (it never became a stop sequence).</summary>
    /// <returns>The held-back text.</returns>
    public string Flush()
    {
        var rest = _pending;
        _pending = string.Empty;
        return Stopped ? string.Empty : rest;
    }
}
