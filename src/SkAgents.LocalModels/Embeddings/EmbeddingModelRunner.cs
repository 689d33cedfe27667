using System.Buffers;
using System.Numerics;
using SkAgents.LocalModels.GenAI;
using SkAgents.OnnxRuntime;

namespace SkAgents.LocalModels.Embeddings;

/// <summary>
/// Feeds token ids to a BERT-style ONNX encoder: builds input_ids / attention_mask / token_type_ids / position_ids
/// ([batch, sequence], right-padded, int64 or int32 as the graph declares) over pooled buffers and runs the session.
/// Stateless between runs, so safe for concurrent use.
/// </summary>
internal sealed class EmbeddingModelRunner
{
    public const string InputIdsName = "input_ids";
    public const string AttentionMaskName = "attention_mask";
    public const string TokenTypeIdsName = "token_type_ids";
    public const string PositionIdsName = "position_ids";

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly InputKind[] _kinds;
    private readonly bool[] _int32;
    private readonly string[] _outputNames;
    private readonly long _padId;

    public EmbeddingModelRunner(InferenceSession session, string outputName, long padId, string source)
    {
        _session = session;
        _outputNames = [outputName];
        _padId = padId;
        int count = session.InputMetadata.Count;
        _inputNames = new string[count];
        _kinds = new InputKind[count];
        _int32 = new bool[count];
        bool hasIds = false;
        for (int i = 0; i < count; i++)
        {
            var input = session.InputMetadata[i];
            _inputNames[i] = input.Name;
            _kinds[i] = input.Name switch
            {
                InputIdsName => InputKind.InputIds,
                AttentionMaskName => InputKind.AttentionMask,
                TokenTypeIdsName => InputKind.TokenTypeIds,
                PositionIdsName => InputKind.PositionIds,
                _ => throw new ModelFolderException(
                    $"{source}: unexpected model input '{input}'. A BERT-style embedder takes {InputIdsName}, and optionally {AttentionMaskName}, {TokenTypeIdsName} and {PositionIdsName}."),
            };
            if (!input.IsTensor || input.ElementType is not (TensorElementType.Int64 or TensorElementType.Int32) || input.Shape.Count != 2)
            {
                throw new ModelFolderException($"{source}: model input '{input}' should be an int64 (or int32) tensor [batch, sequence].");
            }

            _int32[i] = input.ElementType == TensorElementType.Int32;
            if (_kinds[i] == InputKind.InputIds)
            {
                hasIds = true;
                FixedBatch = input.Shape[0] > 0 ? checked((int)input.Shape[0]) : null;
                FixedSequence = input.Shape[1] > 0 ? checked((int)input.Shape[1]) : null;
            }
        }

        if (!hasIds)
        {
            throw new ModelFolderException($"{source}: the model has no '{InputIdsName}' input (inputs: {string.Join(", ", _inputNames)}).");
        }
    }

    private enum InputKind
    {
        InputIds,
        AttentionMask,
        TokenTypeIds,
        PositionIds,
    }

    /// <summary>Gets the batch size fixed by the graph, if it is not dynamic.</summary>
    public int? FixedBatch { get; }

    /// <summary>Gets the sequence length fixed by the graph, if it is not dynamic.</summary>
    public int? FixedSequence { get; }

    /// <summary>Gets the names of the model inputs, in model order.</summary>
    public IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>
    /// Runs the model on the encodings <paramref name="rows"/> selects (right-padded to the longest, or to the graph's
    /// fixed length; extra rows of a fixed batch repeat the first row). The caller owns (disposes) the outputs.
    /// </summary>
    public OrtValueList Run(IReadOnlyList<int>[] encodings, ReadOnlySpan<int> rows, out int batch, out int sequence, CancellationToken cancellationToken)
    {
        int longest = 1;
        foreach (int row in rows)
        {
            longest = Math.Max(longest, encodings[row].Count);
        }

        batch = FixedBatch ?? rows.Length;
        sequence = FixedSequence ?? longest;
        int size = checked(batch * sequence);
        Span<long> shape = [batch, sequence];
        var longs = new long[]?[_kinds.Length];
        var ints = new int[]?[_kinds.Length];
        var values = new OrtValue?[_kinds.Length];
        try
        {
            for (int i = 0; i < _kinds.Length; i++)
            {
                if (_int32[i])
                {
                    var buffer = ints[i] = ArrayPool<int>.Shared.Rent(size);
                    Fill(buffer.AsSpan(0, size), _kinds[i], encodings, rows, batch, sequence);
                    values[i] = OrtValue.CreateTensor(buffer.AsMemory(0, size), shape);
                }
                else
                {
                    var buffer = longs[i] = ArrayPool<long>.Shared.Rent(size);
                    Fill(buffer.AsSpan(0, size), _kinds[i], encodings, rows, batch, sequence);
                    values[i] = OrtValue.CreateTensor(buffer.AsMemory(0, size), shape);
                }
            }

            return _session.Run(_inputNames, values!, _outputNames, null, cancellationToken);
        }
        finally
        {
            for (int i = 0; i < _kinds.Length; i++)
            {
                // Dispose (unpin) the tensors before their buffers go back to the pool.
                values[i]?.Dispose();
                if (longs[i] is { } l)
                {
                    ArrayPool<long>.Shared.Return(l);
                }

                if (ints[i] is { } n)
                {
                    ArrayPool<int>.Shared.Return(n);
                }
            }
        }
    }

    private void Fill<T>(Span<T> buffer, InputKind kind, IReadOnlyList<int>[] encodings, ReadOnlySpan<int> rows, int batch, int sequence)
        where T : unmanaged, IBinaryInteger<T>
    {
        T pad = T.CreateTruncating(_padId);
        for (int r = 0; r < batch; r++)
        {
            var ids = encodings[rows[r < rows.Length ? r : 0]];
            int length = Math.Min(ids.Count, sequence);
            var row = buffer.Slice(r * sequence, sequence);
            switch (kind)
            {
                case InputKind.InputIds:
                    for (int t = 0; t < length; t++)
                    {
                        row[t] = T.CreateTruncating(ids[t]);
                    }

                    row[length..].Fill(pad);
                    break;
                case InputKind.AttentionMask:
                    row[..length].Fill(T.One);
                    row[length..].Clear();
                    break;
                case InputKind.TokenTypeIds:
                    row.Clear();
                    break;
                case InputKind.PositionIds:
                    for (int t = 0; t < sequence; t++)
                    {
                        row[t] = T.CreateTruncating(t);
                    }

                    break;
            }
        }
    }
}
