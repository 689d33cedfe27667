using SkAgents.LocalModels.Generation;
using SkAgents.OnnxRuntime;

namespace SkAgents.LocalModels.GenAI;

/// <summary>
/// One sequence of an <see cref="OnnxDecoderModel"/>: its KV cache and the pre-built inputs and outputs of a decode step.
/// A one-token step in shared-buffer mode allocates no managed memory: the token and position live in ORT-allocated
/// [1, 1] tensors made once, the attention mask is a cached view, and the logits are written straight into the
/// returned buffer.
/// </summary>
internal sealed class OnnxDecoderSequence : IDecoderSequence
{
    private readonly OnnxDecoderModel _model;
    private readonly bool _shared;
    private readonly int _vocabulary;
    private readonly int _layers;
    private readonly OrtValue _stepIds;
    private readonly OrtValue? _stepPosition;
    private readonly OrtValue _stepLogits;
    private readonly string[] _inputNames;
    private readonly OrtValue[] _inputValues;
    private readonly string[] _outputNames;
    private readonly OrtValue[] _outputValues;
    private OrtValue[]? _promptOutputs;
    private readonly OrtValue[] _keys;
    private readonly OrtValue[] _values;
    private readonly int _maskSlot;
    private readonly int _positionSlot;
    private readonly int _firstPastSlot;
    private OrtValueList? _presents;
    private int _length;
    private bool _disposed;

    public OnnxDecoderSequence(OnnxDecoderModel model, int maxLength)
    {
        _model = model;
        MaxLength = maxLength;
        _shared = model.KvCacheMode == KvCacheMode.SharedBuffer;
        _vocabulary = model.VocabularySize;
        _layers = model.NumLayers;
        var disposables = new List<IDisposable>();
        try
        {
            _stepLogits = Track(OrtValue.Allocate<float>([1, 1, _vocabulary]));
            _stepIds = Track(OrtValue.Allocate<long>([1, 1]));
            if (model.PositionIdsName is not null)
            {
                _stepPosition = Track(OrtValue.Allocate<long>([1, 1]));
            }

            var inputNames = new List<string> { model.InputIdsName };
            _maskSlot = _positionSlot = -1;
            if (model.AttentionMaskName is not null)
            {
                _maskSlot = inputNames.Count;
                inputNames.Add(model.AttentionMaskName);
            }

            if (model.PositionIdsName is not null)
            {
                _positionSlot = inputNames.Count;
                inputNames.Add(model.PositionIdsName);
            }

            _firstPastSlot = inputNames.Count;
            var outputNames = new List<string> { model.LogitsName };
            for (int i = 0; i < _layers; i++)
            {
                inputNames.Add(model.PastKeyNames[i]);
                inputNames.Add(model.PastValueNames[i]);
                outputNames.Add(model.PresentKeyNames[i]);
                outputNames.Add(model.PresentValueNames[i]);
            }

            _inputNames = [.. inputNames];
            _outputNames = [.. outputNames];
            _inputValues = new OrtValue[_inputNames.Length];
            _outputValues = new OrtValue[_outputNames.Length];
            _keys = new OrtValue[_layers];
            _values = new OrtValue[_layers];
            long seq = _shared ? maxLength : 0;
            long[] shape = [1, model.NumKeyValueHeads, seq, model.HeadSize];
            for (int i = 0; i < _layers; i++)
            {
                _keys[i] = Track(CreateCache(shape));
                _values[i] = Track(CreateCache(shape));
            }

            _inputValues[0] = _stepIds;
            if (_positionSlot >= 0)
            {
                _inputValues[_positionSlot] = _stepPosition!;
            }

            BindPasts(_keys, _values);
            if (_shared)
            {
                _outputValues[0] = _stepLogits;
                for (int i = 0; i < _layers; i++)
                {
                    _outputValues[1 + (2 * i)] = _keys[i];
                    _outputValues[2 + (2 * i)] = _values[i];
                }
            }
        }
        catch
        {
            foreach (var item in disposables)
            {
                item.Dispose();
            }

            throw;
        }

        T Track<T>(T item)
            where T : IDisposable
        {
            disposables.Add(item);
            return item;
        }
    }

    public int Length => _length;

    public int MaxLength { get; }

    public Span<float> Forward(scoped ReadOnlySpan<int> tokens, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ObjectDisposedException.ThrowIf(_model.IsDisposed, _model);
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("No tokens to feed.", nameof(tokens));
        }

        if (tokens.Length > MaxLength - _length)
        {
            throw new InvalidOperationException(
                $"Feeding {tokens.Length} tokens to a sequence of {_length} would exceed its maximum length of {MaxLength} tokens.");
        }

        foreach (int token in tokens)
        {
            if ((uint)token >= (uint)_vocabulary)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), token, $"Token id {token} is outside the vocabulary (0..{_vocabulary - 1}).");
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        int chunk = _model.Options.PrefillChunkSize > 0 ? _model.Options.PrefillChunkSize : int.MaxValue;
        while (!tokens.IsEmpty)
        {
            int count = Math.Min(chunk, tokens.Length);
            if (count == 1)
            {
                Step(tokens[0], cancellationToken);
            }
            else
            {
                Run(tokens[..count], cancellationToken);
            }

            tokens = tokens[count..];
        }

        return _stepLogits.GetTensorSpan<float>();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _presents?.Dispose();
        _presents = null;
        foreach (var value in _keys)
        {
            value?.Dispose();
        }

        foreach (var value in _values)
        {
            value?.Dispose();
        }

        _stepLogits.Dispose();
        _stepPosition?.Dispose();
        _stepIds.Dispose();
    }

    /// <summary>A zero-filled cache tensor allocated by ONNX Runtime (or an empty one for growing mode).</summary>
    private static OrtValue CreateCache(long[] shape) =>
        shape[2] == 0 ? OrtValue.CreateTensor(0, 0, TensorElementType.Float, shape) : OrtValue.Allocate<float>(shape);

    private void BindPasts(OrtValue[] keys, OrtValue[] values)
    {
        for (int i = 0; i < _layers; i++)
        {
            _inputValues[_firstPastSlot + (2 * i)] = keys[i];
            _inputValues[_firstPastSlot + (2 * i) + 1] = values[i];
        }
    }

    /// <summary>One token: no managed allocations in shared-buffer mode.</summary>
    private void Step(int token, CancellationToken cancellationToken)
    {
        _stepIds.GetTensorSpan<long>()[0] = token;
        _inputValues[0] = _stepIds;
        if (_positionSlot >= 0)
        {
            _stepPosition!.GetTensorSpan<long>()[0] = _length;
            _inputValues[_positionSlot] = _stepPosition;
        }

        if (_maskSlot >= 0)
        {
            _inputValues[_maskSlot] = _model.MaskView(_length + 1);
        }

        Execute(1, cancellationToken);
    }

    /// <summary>Several tokens at once (a prompt or a chunk of one).</summary>
    private void Run(ReadOnlySpan<int> tokens, CancellationToken cancellationToken)
    {
        int count = tokens.Length;
        var ids = new long[count];
        var positions = new long[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = tokens[i];
            positions[i] = _length + i;
        }

        using var idsValue = OrtValue.CreateTensor(ids, [1, count]);
        using var positionsValue = _positionSlot >= 0 ? OrtValue.CreateTensor(positions, [1, count]) : null;
        _inputValues[0] = idsValue;
        if (_positionSlot >= 0)
        {
            _inputValues[_positionSlot] = positionsValue!;
        }

        if (_maskSlot >= 0)
        {
            _inputValues[_maskSlot] = _model.MaskView(_length + count);
        }

        try
        {
            Execute(count, cancellationToken);
        }
        finally
        {
            _inputValues[0] = _stepIds;
            if (_positionSlot >= 0)
            {
                _inputValues[_positionSlot] = _stepPosition!;
            }
        }
    }

    private void Execute(int count, CancellationToken cancellationToken)
    {
        var session = _model.Session;
        try
        {
            if (_shared)
            {
                if (count == 1)
                {
                    session.Run(_inputNames, _inputValues, _outputNames, _outputValues, null, cancellationToken);
                }
                else
                {
                    RunSharedPrompt(session, count, cancellationToken);
                }
            }
            else
            {
                var presents = session.Run(_inputNames, _inputValues, _outputNames, null, cancellationToken);
                try
                {
                    CopyLastRow(presents[0], count);
                }
                catch
                {
                    presents.Dispose();
                    throw;
                }

                // The presents (one position longer) are the next pasts; the previous ones are done.
                presents[0].Dispose();
                var previous = _presents;
                _presents = presents;
                for (int i = 0; i < _layers; i++)
                {
                    _inputValues[_firstPastSlot + (2 * i)] = presents[1 + (2 * i)];
                    _inputValues[_firstPastSlot + (2 * i) + 1] = presents[2 + (2 * i)];
                }

                previous?.Dispose();
            }
        }
        catch (OnnxRuntimeException ex) when (_shared)
        {
            throw new InvalidOperationException(
                $"The decoder failed with a shared past/present KV buffer ({ex.Message}). If the export does not use GroupQueryAttention-style buffers, " +
                "set search.past_present_share_buffer to false in genai_config.json or use KvCacheMode.Growing.", ex);
        }

        _length += count;
    }

    private void RunSharedPrompt(InferenceSession session, int count, CancellationToken cancellationToken)
    {
        long bytes = (long)count * _vocabulary * sizeof(float);
        bool rented = _model.TryRentPromptLogits(bytes, out nint buffer);
        try
        {
            using var logits = rented
                ? OrtValue.CreateTensor(buffer, bytes, TensorElementType.Float, [1, count, _vocabulary])
                : OrtValue.Allocate<float>([1, count, _vocabulary]);
            _promptOutputs ??= (OrtValue[])_outputValues.Clone();
            _promptOutputs[0] = logits;
            try
            {
                session.Run(_inputNames, _inputValues, _outputNames, _promptOutputs, null, cancellationToken);
                CopyLastRow(logits, count);
            }
            finally
            {
                _promptOutputs[0] = _stepLogits;
            }
        }
        finally
        {
            if (rented)
            {
                _model.ReturnPromptLogits();
            }
        }
    }

    private void CopyLastRow(OrtValue logits, int count)
    {
        var shape = logits.Shape;
        if (shape.Length != 3 || shape[1] != count || shape[2] != _vocabulary)
        {
            throw new InvalidOperationException(
                $"The decoder returned logits of shape [{string.Join(",", shape.ToArray())}]; expected [1,{count},{_vocabulary}].");
        }

        logits.GetTensorSpan<float>().Slice((count - 1) * _vocabulary, _vocabulary).CopyTo(_stepLogits.GetTensorSpan<float>());
    }
}
