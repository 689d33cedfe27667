using System.Numerics.Tensors;

namespace SkAgents.Memory.Sqlite;

/// <summary>An immutable, contiguous matrix of one index's normalized vectors (n × dim) with parallel ids.</summary>
internal sealed class VectorSnapshot
{
    public VectorSnapshot(int dimensions, float[] data, long[] partitionIds, string[] documentIds)
    {
        Dimensions = dimensions;
        Data = data;
        PartitionIds = partitionIds;
        DocumentIds = documentIds;
    }

    public int Dimensions { get; }

    public float[] Data { get; }

    public long[] PartitionIds { get; }

    public string[] DocumentIds { get; }

    public int Count => PartitionIds.Length;

    public static VectorSnapshot Empty(int dimensions) => new(dimensions, [], [], []);

    public static void NormalizeInPlace(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0 && float.IsFinite(norm))
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    /// <summary>Returns a copy without <paramref name="documentId"/>'s rows and with <paramref name="added"/> appended.</summary>
    public VectorSnapshot Replace(string documentId, IReadOnlyList<(long Id, float[] Vector)> added)
    {
        var keep = 0;
        for (var i = 0; i < Count; i++)
        {
            if (!string.Equals(DocumentIds[i], documentId, StringComparison.Ordinal))
            {
                keep++;
            }
        }

        var n = keep + added.Count;
        var data = new float[n * Dimensions];
        var ids = new long[n];
        var docs = new string[n];
        var row = 0;
        for (var i = 0; i < Count; i++)
        {
            if (string.Equals(DocumentIds[i], documentId, StringComparison.Ordinal))
            {
                continue;
            }

            Data.AsSpan(i * Dimensions, Dimensions).CopyTo(data.AsSpan(row * Dimensions, Dimensions));
            ids[row] = PartitionIds[i];
            docs[row] = DocumentIds[i];
            row++;
        }

        foreach (var (id, vector) in added)
        {
            var target = data.AsSpan(row * Dimensions, Dimensions);
            vector.AsSpan().CopyTo(target);
            NormalizeInPlace(target);
            ids[row] = id;
            docs[row] = documentId;
            row++;
        }

        return new VectorSnapshot(Dimensions, data, ids, docs);
    }

    /// <summary>Returns the best <paramref name="top"/> rows by cosine similarity, best first.</summary>
    public List<(long Id, double Score)> Search(ReadOnlySpan<float> normalizedQuery, int top, HashSet<string>? allowedDocuments)
    {
        var heap = new PriorityQueue<int, float>(Math.Min(top, Math.Max(Count, 1)) + 1);
        for (var i = 0; i < Count; i++)
        {
            if (allowedDocuments is not null && !allowedDocuments.Contains(DocumentIds[i]))
            {
                continue;
            }

            var score = TensorPrimitives.Dot(Data.AsSpan(i * Dimensions, Dimensions), normalizedQuery);
            if (float.IsNaN(score))
            {
                score = 0;
            }

            if (heap.Count < top)
            {
                heap.Enqueue(i, score);
            }
            else if (heap.TryPeek(out _, out var worst) && score > worst)
            {
                heap.DequeueEnqueue(i, score);
            }
        }

        var result = new List<(long Id, double Score)>(heap.Count);
        while (heap.TryDequeue(out var i, out var score))
        {
            result.Add((PartitionIds[i], score));
        }

        result.Reverse();
        return result;
    }
}
