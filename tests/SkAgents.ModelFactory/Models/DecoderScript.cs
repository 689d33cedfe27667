namespace SkAgents.ModelFactory.Models;

/// <summary>
/// What a tiny decoder answers, decided by its context alone (so it works with any prompt and with or without KV cache).
/// <para>
/// The model looks at its input through attention: the <em>anchor count</em> c (how many anchor tokens the sequence
/// holds so far) and the <em>distance</em> d of the current position from the last anchor (from a virtual anchor at
/// position −1 when there is none, so d = position + 1). The greedy next token is <c>Table[reply(c)][d]</c>, where
/// reply(c) is the reply with the largest <see cref="DecoderReply.MinAnchorCount"/> ≤ c (the first reply if none).
/// A reply's tokens are placed at d = <see cref="ReplyOffset"/>, <see cref="ReplyOffset"/> + 1, … and followed by
/// <see cref="EndTokenId"/>, which also fills every other distance (so generation always ends).
/// </para>
/// <para>
/// Chat use: with the anchor <c>&lt;|im_start|&gt;</c> and offset 10 (the length of <c>assistant\n</c>), a prompt
/// ending in the generation prompt <c>&lt;|im_start|&gt;assistant\n</c> makes the model spell the reply chosen by the
/// number of <c>&lt;|im_start|&gt;</c> in the prompt: <c>.Reply(0, toolCall).Reply(4, answer)</c> answers the first
/// round (system + user + assistant = 3 anchors, or 2 without system) with the tool call and the round after the tool
/// result (5 or 4 anchors) with the answer.
/// </para>
/// </summary>
public sealed class DecoderScript
{
    private readonly List<DecoderReply> _replies = [];
    private readonly TinyVocabulary? _vocabulary;
    private bool _letters;

    /// <summary>Creates an empty script.</summary>
    /// <param name="anchorTokenIds">Tokens that count as anchors (none: distances are position + 1).</param>
    /// <param name="replyOffset">The distance from the last anchor at which replies start (the last prompt token's distance).</param>
    /// <param name="endTokenId">The token after each reply and at every unscripted distance.</param>
    /// <param name="vocabulary">Optional vocabulary, for the text overload of <see cref="Reply(int, string)"/>.</param>
    public DecoderScript(IReadOnlyList<int> anchorTokenIds, int replyOffset, int endTokenId, TinyVocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(anchorTokenIds);
        ArgumentOutOfRangeException.ThrowIfNegative(replyOffset);
        AnchorTokenIds = [.. anchorTokenIds];
        ReplyOffset = replyOffset;
        EndTokenId = endTokenId;
        _vocabulary = vocabulary;
    }

    /// <summary>Gets the anchor token ids.</summary>
    public IReadOnlyList<int> AnchorTokenIds { get; }

    /// <summary>Gets the distance at which replies start.</summary>
    public int ReplyOffset { get; }

    /// <summary>Gets the end token.</summary>
    public int EndTokenId { get; }

    /// <summary>Gets the replies, by increasing <see cref="DecoderReply.MinAnchorCount"/>.</summary>
    public IReadOnlyList<DecoderReply> Replies => _replies;

    /// <summary>
    /// A script for chat prompts of a vocabulary: anchor = its assistant-turn token, offset = its generation prompt's
    /// length after the anchor, end = its turn-end token (<c>&lt;|im_end|&gt;</c> or <c>&lt;|end|&gt;</c>).
    /// </summary>
    /// <param name="vocabulary">The vocabulary.</param>
    /// <returns>An empty script; add replies.</returns>
    public static DecoderScript ForChat(TinyVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return new DecoderScript([vocabulary.AnchorTokenId], vocabulary.ReplyOffset, vocabulary.TurnEndTokenId, vocabulary);
    }

    /// <summary>
    /// A script without anchors that, after a prompt of exactly <paramref name="promptLength"/> tokens (containing no
    /// anchor), generates <paramref name="tokens"/> and then <paramref name="endTokenId"/>.
    /// </summary>
    /// <param name="tokens">The tokens to generate.</param>
    /// <param name="promptLength">The prompt length.</param>
    /// <param name="endTokenId">The end token.</param>
    /// <returns>The script.</returns>
    public static DecoderScript Sequence(IReadOnlyList<int> tokens, int promptLength, int endTokenId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(promptLength, 1);
        return new DecoderScript([], promptLength, endTokenId).Reply(0, tokens);
    }

    /// <summary>
    /// The default script of the tiny models: no anchors, and the token after position p is the letter
    /// <c>'a' + (p + 1) % 26</c> (byte ids 97–122), forever. A prompt of length P continues with the letters of
    /// positions P, P + 1, …
    /// </summary>
    /// <param name="endTokenId">The end token (never produced).</param>
    /// <returns>The script.</returns>
    public static DecoderScript Letters(int endTokenId) => new([], 0, endTokenId) { _letters = true };

    /// <summary>Gets whether this is the <see cref="Letters"/> script.</summary>
    public bool IsLetters => _letters;

    /// <summary>Adds a reply chosen when the sequence holds at least <paramref name="minAnchorCount"/> anchors.</summary>
    /// <param name="minAnchorCount">The smallest anchor count that selects this reply.</param>
    /// <param name="tokens">The reply's tokens (the end token is appended by the model).</param>
    /// <returns>This script.</returns>
    public DecoderScript Reply(int minAnchorCount, IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(minAnchorCount);
        if (_letters)
        {
            throw new InvalidOperationException("The letters script has no replies.");
        }

        if (_replies.Any(r => r.MinAnchorCount == minAnchorCount))
        {
            throw new ArgumentException($"A reply for anchor count {minAnchorCount} exists already.", nameof(minAnchorCount));
        }

        _replies.Add(new DecoderReply(minAnchorCount, [.. tokens]));
        _replies.Sort((a, b) => a.MinAnchorCount.CompareTo(b.MinAnchorCount));
        return this;
    }

    /// <summary>Adds a reply given as text, encoded with the script's vocabulary (added tokens such as <c>&lt;tool_call&gt;</c> are recognized).</summary>
    /// <param name="minAnchorCount">The smallest anchor count that selects this reply.</param>
    /// <param name="text">The reply text.</param>
    /// <returns>This script.</returns>
    public DecoderScript Reply(int minAnchorCount, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var vocabulary = _vocabulary ?? throw new InvalidOperationException("This script has no vocabulary; create it with ForChat or pass token ids.");
        return Reply(minAnchorCount, vocabulary.Encode(text));
    }

    /// <summary>The number of anchors in a token sequence.</summary>
    /// <param name="ids">Token ids.</param>
    /// <returns>The count.</returns>
    public int CountAnchors(IEnumerable<int> ids) => ids.Count(AnchorTokenIds.Contains);

    /// <summary>
    /// The greedy continuation the model produces after <paramref name="prompt"/> (the reference semantics, computed
    /// without the model): at most <paramref name="maxTokens"/> tokens, stopping after <paramref name="stopTokens"/>.
    /// </summary>
    /// <param name="prompt">The prompt ids.</param>
    /// <param name="maxTokens">The most tokens.</param>
    /// <param name="stopTokens">Tokens that end the continuation (included); null = the end token.</param>
    /// <returns>The tokens.</returns>
    public IReadOnlyList<int> Continue(IReadOnlyList<int> prompt, int maxTokens, IReadOnlyCollection<int>? stopTokens = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        stopTokens ??= [EndTokenId];
        var sequence = new List<int>(prompt);
        var result = new List<int>();
        while (result.Count < maxTokens)
        {
            int next = NextToken(sequence);
            result.Add(next);
            sequence.Add(next);
            if (stopTokens.Contains(next))
            {
                break;
            }
        }

        return result;
    }

    /// <summary>The token the model predicts after <paramref name="sequence"/>.</summary>
    /// <param name="sequence">The ids so far (not empty).</param>
    /// <returns>The token.</returns>
    public int NextToken(IReadOnlyList<int> sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        int position = sequence.Count - 1;
        int last = -1;
        int count = 0;
        for (int i = 0; i < sequence.Count; i++)
        {
            if (AnchorTokenIds.Contains(sequence[i]))
            {
                last = i;
                count++;
            }
        }

        return TokenAt(ReplyIndex(count), position - last);
    }

    internal int ReplyIndex(int anchorCount)
    {
        int index = 0;
        for (int i = 0; i < _replies.Count; i++)
        {
            if (_replies[i].MinAnchorCount <= anchorCount)
            {
                index = i;
            }
        }

        return index;
    }

    internal int TokenAt(int reply, int distance)
    {
        if (_letters)
        {
            return 'a' + (distance % 26);
        }

        if (_replies.Count == 0)
        {
            return EndTokenId;
        }

        var tokens = _replies[reply].Tokens;
        int j = distance - ReplyOffset;
        return j >= 0 && j < tokens.Count ? tokens[j] : EndTokenId;
    }
}

/// <summary>One scripted reply.</summary>
/// <param name="MinAnchorCount">The smallest anchor count that selects it.</param>
/// <param name="Tokens">Its tokens.</param>
public sealed record DecoderReply(int MinAnchorCount, IReadOnlyList<int> Tokens);
