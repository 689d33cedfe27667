namespace SkAgents.LocalModels.Generation;

/// <summary>Why token generation ended.</summary>
public enum GenerationStopReason
{
    /// <summary>Not ended yet.</summary>
    None,

    /// <summary>The model produced an end-of-sequence token.</summary>
    EndOfSequence,

    /// <summary>The new-token limit was reached.</summary>
    MaxNewTokens,

    /// <summary>The sequence reached its maximum length.</summary>
    MaxLength,

    /// <summary>A stop sequence appeared in the text (set by the text layer).</summary>
    StopSequence,
}

/// <summary>
/// The token loop of one generation: feeds the prompt, then chooses and feeds one token at a time until an end token or
/// a limit. It allocates nothing per token: logits are sampled in place and the fed token is a stack-held span.
/// </summary>
public sealed class TokenGenerator
{
    private readonly IDecoderSequence _sequence;
    private readonly TokenSampler _sampler;
    private readonly IReadOnlySet<int> _endTokens;
    private readonly int _maxNewTokens;
    private int[]? _prompt;
    private int _pendingToken = -1;

    /// <summary>Creates the loop.</summary>
    /// <param name="sequence">The sequence to run (empty).</param>
    /// <param name="prompt">The prompt token ids.</param>
    /// <param name="settings">Sampling and limits.</param>
    /// <param name="endTokens">Token ids that end the answer.</param>
    /// <param name="vocabularySize">The logits row length.</param>
    /// <exception cref="ArgumentException">The prompt is empty or does not fit the sequence.</exception>
    public TokenGenerator(IDecoderSequence sequence, IReadOnlyList<int> prompt, GenerationSettings settings, IReadOnlySet<int> endTokens, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(endTokens);
        if (prompt.Count == 0)
        {
            throw new ArgumentException("The prompt has no tokens.", nameof(prompt));
        }

        if (prompt.Count >= sequence.MaxLength)
        {
            throw new ArgumentException(
                $"The prompt has {prompt.Count} tokens, which leaves no room to answer within the maximum length of {sequence.MaxLength} tokens.", nameof(prompt));
        }

        _sequence = sequence;
        _prompt = [.. prompt];
        _endTokens = endTokens;
        _sampler = new TokenSampler(vocabularySize, settings, endTokens);
        _sampler.Observe(_prompt);
        _maxNewTokens = settings.MaxNewTokens ?? int.MaxValue;
        PromptTokens = prompt.Count;
    }

    /// <summary>Gets the number of prompt tokens.</summary>
    public int PromptTokens { get; }

    /// <summary>Gets the number of tokens generated so far (end tokens included).</summary>
    public int GeneratedTokens { get; private set; }

    /// <summary>Gets why generation ended, or <see cref="GenerationStopReason.None"/>.</summary>
    public GenerationStopReason StopReason { get; private set; }

    /// <summary>
    /// Produces the next token. The first call runs the prompt (prefill); each later call feeds the previous token.
    /// </summary>
    /// <param name="token">The new token, when one was produced.</param>
    /// <param name="cancellationToken">Cancels the forward pass.</param>
    /// <returns><see langword="false"/> when generation has ended (see <see cref="StopReason"/>).</returns>
    public bool TryNext(out int token, CancellationToken cancellationToken = default)
    {
        token = -1;
        if (StopReason != GenerationStopReason.None)
        {
            return false;
        }

        cancellationToken.ThrowIfCancellationRequested();
        Span<float> logits;
        if (_prompt is { } prompt)
        {
            _prompt = null;
            logits = _sequence.Forward(prompt, cancellationToken);
        }
        else
        {
            if (GeneratedTokens >= _maxNewTokens)
            {
                StopReason = GenerationStopReason.MaxNewTokens;
                return false;
            }

            if (_sequence.Length >= _sequence.MaxLength)
            {
                StopReason = GenerationStopReason.MaxLength;
                return false;
            }

            Span<int> last = [_pendingToken];
            logits = _sequence.Forward(last, cancellationToken);
        }

        token = _sampler.Next(logits);
        GeneratedTokens++;
        _pendingToken = token;
        if (_endTokens.Contains(token))
        {
            StopReason = GenerationStopReason.EndOfSequence;
        }

        return true;
    }

    /// <summary>Marks the generation as ended by a stop sequence found in the text.</summary>
    public void StopOnSequence() => StopReason = GenerationStopReason.StopSequence;
}
