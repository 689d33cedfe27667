namespace SkAgents.Tokenizers;

/// <summary>
/// Decodes one generated sequence id by id: <see cref="Append"/> returns only text that is complete, never half of a
/// UTF-8 character or of a byte-fallback run, and keeps the spacing the whole-sequence <see cref="Tokenizer.Decode"/> would give.
/// </summary>
/// <remarks>Not thread-safe: use one instance per sequence.</remarks>
public sealed class StreamingDecoder
{
    private const int MaxPending = 16;
    private readonly Tokenizer tokenizer;
    private readonly bool skipSpecialTokens;
    private readonly List<string> window = [];
    private string prefixText = string.Empty;
    private int emittedCount;

    internal StreamingDecoder(Tokenizer tokenizer, bool skipSpecialTokens)
    {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id and returns the text it completes (often empty while a character is still incomplete).</summary>
    /// <param name="id">The next id.</param>
    /// <returns>The new text.</returns>
    public string Append(int id)
    {
        if (skipSpecialTokens && tokenizer.IsSpecialToken(id))
        {
            return string.Empty;
        }

        var token = tokenizer.IdToToken(id);
        if (token is null)
        {
            return string.Empty;
        }

        window.Add(token);
        var text = tokenizer.DecodeTokens([.. window]);
        var pending = window.Count - emittedCount;
        if (text.Length > prefixText.Length && text[^1] != '\uFFFD' || pending >= MaxPending)
        {
            return Emit(text);
        }

        return string.Empty;
    }

    /// <summary>Returns whatever text is still held back (incomplete characters become U+FFFD) and starts over.</summary>
    /// <returns>The remaining text.</returns>
    public string Flush()
    {
        if (window.Count == emittedCount)
        {
            Reset();
            return string.Empty;
        }

        var text = tokenizer.DecodeTokens([.. window]);
        var rest = Delta(text);
        Reset();
        return rest;
    }

    /// <summary>Forgets everything, to decode a new sequence.</summary>
    public void Reset()
    {
        window.Clear();
        prefixText = string.Empty;
        emittedCount = 0;
    }

    private string Emit(string text)
    {
        var delta = Delta(text);

        // Keep the tokens just emitted as context (decoders treat the first token specially), drop older ones.
        var keep = window.Count - emittedCount;
        window.RemoveRange(0, window.Count - keep);
        emittedCount = window.Count;
        prefixText = tokenizer.DecodeTokens([.. window]);
        return delta;
    }

    private string Delta(string text)
    {
        if (text.StartsWith(prefixText, StringComparison.Ordinal))
        {
            return text[prefixText.Length..];
        }

        var common = 0;
        while (common < text.Length && common < prefixText.Length && text[common] == prefixText[common])
        {
            common++;
        }

        return text[common..];
    }
}
