namespace SkAgents.LocalModels.Generation;

/// <summary>
/// A causal language model that can run forward passes for one sequence at a time. The ONNX Runtime decoder of an
/// onnxruntime-genai folder is one implementation; the generator and chat client depend only on this contract.
/// </summary>
public interface IDecoderModel : IDisposable
{
    /// <summary>Gets the length of a logits row.</summary>
    int VocabularySize { get; }

    /// <summary>Gets the longest sequence the model supports.</summary>
    int ContextLength { get; }

    /// <summary>Starts a sequence, allocating its KV cache for at most <paramref name="maxLength"/> tokens.</summary>
    /// <param name="maxLength">The longest the sequence may grow (prompt plus answer).</param>
    /// <returns>The sequence; dispose it to free its cache.</returns>
    IDecoderSequence StartSequence(int maxLength);
}

/// <summary>One sequence's forward passes over a KV cache.</summary>
public interface IDecoderSequence : IDisposable
{
    /// <summary>Gets how many tokens the sequence holds.</summary>
    int Length { get; }

    /// <summary>Gets the longest the sequence may grow.</summary>
    int MaxLength { get; }

    /// <summary>
    /// Appends tokens (the prompt, or one generated token) and runs the model over them.
    /// </summary>
    /// <param name="tokens">The new tokens.</param>
    /// <param name="cancellationToken">Stops a running forward pass.</param>
    /// <returns>The logits for the next token after the last one, valid until the next call.</returns>
    /// <exception cref="InvalidOperationException">The sequence would exceed <see cref="MaxLength"/>.</exception>
    Span<float> Forward(scoped ReadOnlySpan<int> tokens, CancellationToken cancellationToken);
}
