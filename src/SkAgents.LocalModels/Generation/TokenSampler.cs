using System.Numerics.Tensors;

namespace SkAgents.LocalModels.Generation;

/// <summary>
/// Chooses the next token from a row of logits: repetition penalty, then greedy arg-max or sampling with
/// temperature, top-k and top-p (in onnxruntime-genai's order). All buffers are allocated once per sequence, so
/// choosing a token allocates nothing.
/// </summary>
/// <remarks>One sampler serves one sequence at a time; it is not thread-safe.</remarks>
public sealed class TokenSampler
{
    private readonly GenerationSettings _settings;
    private readonly Random _random;
    private readonly bool[] _seen;
    private int[]? _indices;
    private float[]? _values;
    private readonly IReadOnlySet<int> _endTokens;
    private int _generated;

    /// <summary>Creates a sampler for one sequence.</summary>
    /// <param name="vocabularySize">The length of a logits row.</param>
    /// <param name="settings">The settings (validated).</param>
    /// <param name="endTokens">End-of-sequence ids, suppressed until <see cref="GenerationSettings.MinNewTokens"/> tokens exist.</param>
    public TokenSampler(int vocabularySize, GenerationSettings settings, IReadOnlySet<int>? endTokens = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
        _random = settings.Seed is { } seed ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : new Random();
        _seen = new bool[vocabularySize];
        _endTokens = endTokens ?? new HashSet<int>();
    }

    /// <summary>Records tokens already in the sequence (the prompt), for the repetition penalty.</summary>
    /// <param name="tokens">The token ids.</param>
    public void Observe(ReadOnlySpan<int> tokens)
    {
        foreach (var token in tokens)
        {
            if ((uint)token < (uint)_seen.Length)
            {
                _seen[token] = true;
            }
        }
    }

    /// <summary>Chooses the next token and records it. <paramref name="logits"/> is modified in place.</summary>
    /// <param name="logits">The last position's logits (length at least the vocabulary size; extra padding ignored).</param>
    /// <returns>The chosen token id.</returns>
    public int Next(Span<float> logits)
    {
        if (logits.Length < _seen.Length)
        {
            throw new ArgumentException($"The logits row has {logits.Length} values; the vocabulary has {_seen.Length}.", nameof(logits));
        }

        logits = logits[.._seen.Length];
        ApplyRepetitionPenalty(logits);
        if (_generated < _settings.MinNewTokens)
        {
            foreach (var end in _endTokens)
            {
                if ((uint)end < (uint)logits.Length)
                {
                    logits[end] = float.NegativeInfinity;
                }
            }
        }

        var token = _settings.IsGreedy ? TensorPrimitives.IndexOfMax(logits) : Sample(logits);
        _seen[token] = true;
        _generated++;
        return token;
    }

    private void ApplyRepetitionPenalty(Span<float> logits)
    {
        var penalty = _settings.RepetitionPenalty;
        if (penalty == 1f)
        {
            return;
        }

        for (var i = 0; i < logits.Length; i++)
        {
            if (_seen[i])
            {
                logits[i] = logits[i] > 0 ? logits[i] / penalty : logits[i] * penalty;
            }
        }
    }

    private int Sample(Span<float> logits)
    {
        TensorPrimitives.Divide(logits, _settings.Temperature, logits);

        // Rank candidates: the top k by logit (all when k is 0 or not smaller than the vocabulary).
        var count = logits.Length;
        var k = _settings.TopK == 0 || _settings.TopK >= count ? count : _settings.TopK;
        // Sampling buffers are made on first use, so greedy generations never pay for them.
        var values = (_values ??= new float[_seen.Length]).AsSpan(0, count);
        var indices = (_indices ??= new int[_seen.Length]).AsSpan(0, count);
        logits.CopyTo(values);
        for (var i = 0; i < count; i++)
        {
            indices[i] = i;
        }

        if (k < count)
        {
            SelectTop(values, indices, k);
        }

        var top = values[..k];
        var topIndices = indices[..k];
        // Descending order for top-p; negate to sort ascending without a comparer allocation.
        TensorPrimitives.Negate(top, top);
        top.Sort(topIndices);
        TensorPrimitives.Negate(top, top);

        TensorPrimitives.SoftMax(top, top);
        var keep = k;
        if (_settings.TopP < 1f)
        {
            var cumulative = 0f;
            for (var i = 0; i < k; i++)
            {
                cumulative += top[i];
                if (cumulative >= _settings.TopP)
                {
                    keep = i + 1;
                    break;
                }
            }
        }

        var total = TensorPrimitives.Sum(top[..keep]);
        var draw = (float)_random.NextDouble() * total;
        for (var i = 0; i < keep; i++)
        {
            draw -= top[i];
            if (draw <= 0)
            {
                return topIndices[i];
            }
        }

        return topIndices[keep - 1];
    }

    /// <summary>Moves the k largest values (and their indices) to the front, in no particular order (quickselect).</summary>
    private static void SelectTop(Span<float> values, Span<int> indices, int k)
    {
        var left = 0;
        var right = values.Length - 1;
        while (left < right)
        {
            var pivot = values[(left + right) >>> 1];
            var i = left;
            var j = right;
            while (i <= j)
            {
                while (values[i] > pivot)
                {
                    i++;
                }

                while (values[j] < pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    (indices[i], indices[j]) = (indices[j], indices[i]);
                    i++;
                    j--;
                }
            }

            if (k - 1 <= j)
            {
                right = j;
            }
            else if (k - 1 >= i)
            {
                left = i;
            }
            else
            {
                return;
            }
        }
    }
}
