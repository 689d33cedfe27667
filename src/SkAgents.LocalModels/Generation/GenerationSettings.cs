namespace SkAgents.LocalModels.Generation;

/// <summary>How tokens are chosen and when generation stops.</summary>
public sealed record GenerationSettings
{
    /// <summary>Gets the most new tokens; null means up to <see cref="MaxLength"/>.</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>Gets the longest sequence (prompt plus answer). It also sizes a shared KV cache. Default 4096.</summary>
    public int MaxLength { get; init; } = 4096;

    /// <summary>Gets whether to sample; false picks the most likely token (greedy).</summary>
    public bool DoSample { get; init; }

    /// <summary>Gets the temperature (sampling only; 0 means greedy). Default 1.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Gets the number of most likely tokens to sample from (0 = all). Default 50.</summary>
    public int TopK { get; init; } = 50;

    /// <summary>Gets the nucleus probability mass to sample from (1 = all). Default 1.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Gets the repetition penalty (1 = none; HF semantics: positive logits divided, negative multiplied).</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>Gets the random seed; null draws one.</summary>
    public long? Seed { get; init; }

    /// <summary>Gets the fewest new tokens before an end-of-sequence token may end the answer.</summary>
    public int MinNewTokens { get; init; }

    /// <summary>Gets texts that end the answer when generated (in addition to the model's end tokens).</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>Gets whether <see cref="Temperature"/>, <see cref="TopK"/> and <see cref="TopP"/> make this greedy.</summary>
    public bool IsGreedy => !DoSample || Temperature <= 0 || TopK == 1;

    /// <summary>Throws when a value is out of range, naming it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (MaxLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "MaxLength must be at least 1.");
        }

        if (MaxNewTokens is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "MaxNewTokens must be at least 1.");
        }

        if (Temperature < 0 || float.IsNaN(Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be 0 or more.");
        }

        if (TopK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be 0 (off) or more.");
        }

        if (TopP is <= 0 or > 1 || float.IsNaN(TopP))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1].");
        }

        if (RepetitionPenalty <= 0 || float.IsNaN(RepetitionPenalty))
        {
            throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "RepetitionPenalty must be positive.");
        }

        if (MinNewTokens < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MinNewTokens), MinNewTokens, "MinNewTokens must be 0 or more.");
        }
    }
}
