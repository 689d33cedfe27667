using System.Globalization;
using System.Runtime.InteropServices;
using SkAgents.OnnxRuntime;

namespace SkAgents.Benchmarks;

/// <summary>What one generation run measured.</summary>
/// <param name="StartMs">Sequence start: KV cache allocation (and, for our path, generator construction).</param>
/// <param name="TtftMs">Time to first token: the prompt's forward pass plus choosing the first token.</param>
/// <param name="DecodeMs">The decode loop (one forward pass and one arg-max per generated token).</param>
/// <param name="DecodeTokens">Tokens generated in the decode loop (after the first).</param>
/// <param name="DecodeAllocatedBytes">Managed bytes allocated by this thread during the decode loop.</param>
/// <param name="Tokens">The first token followed by the decoded ones.</param>
internal sealed record GenerationRun(double StartMs, double TtftMs, double DecodeMs, int DecodeTokens, long DecodeAllocatedBytes, int[] Tokens);

/// <summary>
/// The minimal reference: a greedy loop written directly on <see cref="InferenceSession"/> and <see cref="OrtValue"/>.
/// Per layer one pre-allocated <c>[1, kv_heads, max_length, head_size]</c> key and value buffer bound as both past input
/// and present output; all-ones attention-mask views and logits buffers created up front; arg-max in a plain loop.
/// </summary>
internal sealed class ReferenceLoop : IDisposable
{
    private readonly InferenceSession _session;
    private readonly int _layers;
    private readonly int _vocabulary;
    private readonly long[] _kvShape;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly OrtValue[] _inputs;
    private readonly OrtValue[] _outputs;
    private readonly long[] _ones;
    private readonly OrtValue[] _masks;
    private readonly long[] _stepId = GC.AllocateArray<long>(1, pinned: true);
    private readonly OrtValue _stepIdValue;
    private readonly float[] _stepLogits;
    private readonly OrtValue _stepLogitsValue;
    private readonly Dictionary<int, PromptBuffers> _prompts = [];

    public ReferenceLoop(InferenceSession session, int layers, int kvHeads, int headSize, int vocabulary, int maxLength)
    {
        _session = session;
        _layers = layers;
        _vocabulary = vocabulary;
        _kvShape = [1, kvHeads, maxLength, headSize];
        var inputNames = new List<string> { "input_ids", "attention_mask" };
        var outputNames = new List<string> { "logits" };
        for (int i = 0; i < layers; i++)
        {
            string layer = i.ToString(CultureInfo.InvariantCulture);
            inputNames.Add($"past_key_values.{layer}.key");
            inputNames.Add($"past_key_values.{layer}.value");
            outputNames.Add($"present.{layer}.key");
            outputNames.Add($"present.{layer}.value");
        }

        _inputNames = [.. inputNames];
        _outputNames = [.. outputNames];
        _inputs = new OrtValue[_inputNames.Length];
        _outputs = new OrtValue[_outputNames.Length];
        _ones = GC.AllocateArray<long>(maxLength, pinned: true);
        Array.Fill(_ones, 1L);
        _masks = new OrtValue[maxLength + 1];
        for (int length = 1; length <= maxLength; length++)
        {
            _masks[length] = OrtValue.CreateTensor(_ones.AsMemory(0, length), [1, length]);
        }

        _stepIdValue = OrtValue.CreateTensor(_stepId.AsMemory(), [1, 1]);
        _stepLogits = GC.AllocateArray<float>(vocabulary, pinned: true);
        _stepLogitsValue = OrtValue.CreateTensor(_stepLogits.AsMemory(), [1, 1, vocabulary]);
    }

    public int MaxLength => (int)_kvShape[2];

    /// <summary>Runs the prompt, then <paramref name="decodeTokens"/> greedy steps.</summary>
    public GenerationRun Generate(int[] prompt, int decodeTokens)
    {
        var buffers = PromptFor(prompt.Length);
        var tokens = new int[decodeTokens + 1];
        var caches = new OrtValue[2 * _layers];
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < _layers; i++)
        {
            var key = caches[2 * i] = OrtValue.Allocate<float>(_kvShape);
            var value = caches[(2 * i) + 1] = OrtValue.Allocate<float>(_kvShape);
            _inputs[2 + (2 * i)] = key;
            _inputs[3 + (2 * i)] = value;
            _outputs[1 + (2 * i)] = key;
            _outputs[2 + (2 * i)] = value;
        }

        try
        {
            double startMs = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;

            // Prefill: [1, P] ids, [1, P] mask, logits [1, P, V] (only the last row is used).
            long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < prompt.Length; i++)
            {
                buffers.Ids[i] = prompt[i];
            }

            _inputs[0] = buffers.IdsValue;
            _inputs[1] = _masks[prompt.Length];
            _outputs[0] = buffers.LogitsValue;
            _session.Run(_inputNames, _inputs, _outputNames, _outputs);
            var all = buffers.LogitsValue.GetTensorSpan<float>();
            int token = ArgMax(all.Slice((prompt.Length - 1) * _vocabulary, _vocabulary));
            tokens[0] = token;
            double ttftMs = System.Diagnostics.Stopwatch.GetElapsedTime(t1).TotalMilliseconds;

            // Decode: [1, 1] id, mask of the new length, logits [1, 1, V] written into a pinned array.
            _inputs[0] = _stepIdValue;
            _outputs[0] = _stepLogitsValue;
            int length = prompt.Length;
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int n = 1; n <= decodeTokens; n++)
            {
                _stepId[0] = token;
                length++;
                _inputs[1] = _masks[length];
                _session.Run(_inputNames, _inputs, _outputNames, _outputs);
                token = ArgMax(_stepLogits);
                tokens[n] = token;
            }

            double decodeMs = System.Diagnostics.Stopwatch.GetElapsedTime(t2).TotalMilliseconds;
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            return new GenerationRun(startMs, ttftMs, decodeMs, decodeTokens, allocated, tokens);
        }
        finally
        {
            foreach (var cache in caches)
            {
                cache?.Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var mask in _masks)
        {
            mask?.Dispose();
        }

        foreach (var prompt in _prompts.Values)
        {
            prompt.IdsValue.Dispose();
            prompt.LogitsValue.Dispose();
        }

        _stepIdValue.Dispose();
        _stepLogitsValue.Dispose();
    }

    /// <summary>Plain arg-max: first index of the largest value.</summary>
    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        float max = values[0];
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > max)
            {
                max = values[i];
                best = i;
            }
        }

        return best;
    }

    private PromptBuffers PromptFor(int length)
    {
        if (!_prompts.TryGetValue(length, out var buffers))
        {
            var ids = GC.AllocateArray<long>(length, pinned: true);
            buffers = new PromptBuffers(ids, OrtValue.CreateTensor(ids.AsMemory(), [1, length]), OrtValue.Allocate<float>([1, length, _vocabulary]));
            _prompts[length] = buffers;
        }

        return buffers;
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly record struct PromptBuffers(long[] Ids, OrtValue IdsValue, OrtValue LogitsValue);
}
