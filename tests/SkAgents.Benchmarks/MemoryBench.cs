using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using SkAgents.Memory.Partitioning;
using SkAgents.Memory.Sqlite;
using SkAgents.Memory.Storage;

namespace SkAgents.Benchmarks;

/// <summary>Latency percentiles of many single operations (ms).</summary>
internal readonly record struct Latency(double P50, double P90, double P99, double Mean, double Min, double Max, int Count)
{
    public static Latency Of(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0)
        {
            return new Latency(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0);
        }

        double P(double q) => s[Math.Min(s.Length - 1, (int)Math.Ceiling(q * s.Length) - 1)];
        return new Latency(Stats.Of(s).Median, P(0.90), P(0.99), s.Average(), s[0], s[^1], s.Length);
    }
}

internal sealed record ImportResult(int Partitions, int Documents, double Seconds, Latency PerDocumentMs)
{
    public double PartitionsPerSecond => Partitions / Seconds;
}

internal sealed record SearchScale(int Partitions, ImportResult Import, double SnapshotLoadMs, long DatabaseBytes, Dictionary<SearchMode, Latency> Search, Latency VectorOnlyScanPart, double MeanMatchesPerQuery);

internal sealed record MemoryResult(
    int Dimensions,
    int PartitionsPerDocument,
    double MarkdownBytes,
    int MarkdownPartitions,
    Stats PartitionMBps,
    IReadOnlyList<SearchScale> Scales,
    int Queries,
    int Warmup,
    long ScanBytes,
    Stats BandwidthSumGBps,
    Stats KernelPerRowDotGBps,
    Stats KernelBlockedGBps);

/// <summary>Memory store benchmarks: partitioning, import into SQLite, keyword/vector/hybrid search, vector scan vs memory bandwidth.</summary>
internal static class MemoryBench
{
    public const int Dimensions = 384;
    public const int PartitionsPerDocument = 10;
    private const int VocabularySize = 5000;

    public static MemoryResult Run(BenchOptions options)
    {
        var rng = new Random(42);
        string[] vocabulary = MakeVocabulary(rng, VocabularySize);
        double[] zipf = ZipfCumulative(VocabularySize, 1.0);
        int[] scales = options.Quick ? [10_000, 30_000] : [10_000, 100_000];
        int queries = options.Quick ? 60 : 300;
        int warmup = options.Quick ? 10 : 30;

        // (1b) Partitioning throughput.
        string markdown = MakeMarkdown(rng, vocabulary, zipf, options.Quick ? 500_000 : 2_000_000);
        double mdBytes = Encoding.UTF8.GetByteCount(markdown);
        var partitioner = new TextPartitioner(new TextPartitionerOptions { TokenCounter = HeuristicTokenCounter.Instance });
        int mdPartitions = 0;
        for (int i = 0; i < 2; i++)
        {
            mdPartitions = partitioner.Split(markdown).Count;
        }

        var partitionRuns = new List<double>();
        for (int i = 0; i < (options.Quick ? 3 : 7); i++)
        {
            long t = Stopwatch.GetTimestamp();
            mdPartitions = partitioner.Split(markdown).Count;
            partitionRuns.Add(mdBytes / 1e6 / Stopwatch.GetElapsedTime(t).TotalSeconds);
        }

        var partitionMBps = Stats.Of(partitionRuns);
        Console.WriteLine($"Partitioning: {mdBytes / 1e6:F2} MB Markdown -> {mdPartitions} partitions, {partitionMBps.Format("F2")} MB/s");

        // Pre-computed inputs: normalized random vectors and Zipf text for the largest scale.
        int max = scales.Max();
        float[] vectors = RandomUnitVectors(rng, max, Dimensions);
        string[] texts = new string[max];
        for (int i = 0; i < max; i++)
        {
            texts[i] = Sentence(rng, vocabulary, zipf, 40 + rng.Next(60));
        }

        var queryVectors = RandomUnitVectors(rng, queries + warmup, Dimensions);
        var queryTexts = Enumerable.Range(0, queries + warmup).Select(_ => Sentence(rng, vocabulary, zipf, 3 + rng.Next(3))).ToArray();

        var results = new List<SearchScale>();
        string root = Path.Combine(Path.GetTempPath(), "skagents-membench-" + Environment.ProcessId);
        Directory.CreateDirectory(root);
        try
        {
            foreach (int n in scales)
            {
                results.Add(RunScale(Path.Combine(root, $"memory-{n}.db"), n, vectors, texts, queryVectors, queryTexts, queries, warmup).GetAwaiter().GetResult());
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                // SKAGENTS_BENCH_KEEP_DB=1 keeps the databases (and the queries) for looking into a slow query by hand.
                if (Environment.GetEnvironmentVariable("SKAGENTS_BENCH_KEEP_DB") == "1")
                {
                    File.WriteAllLines(Path.Combine(root, "queries.txt"), queryTexts);
                    Console.WriteLine($"Kept the databases in {root}");
                }
                else
                {
                    Directory.Delete(root, recursive: true);
                }
            }
            catch (IOException)
            {
            }
        }

        // (3) Memory bandwidth over the same matrix size as the largest scale, and the scan kernel in isolation.
        long scanBytes = (long)max * Dimensions * sizeof(float);
        int reps = options.Quick ? 7 : 21;
        var sum = new List<double>();
        var perRow = new List<double>();
        var blocked = new List<double>();
        float[] q = queryVectors[..Dimensions];
        float[] scores = new float[max];
        for (int r = 0; r < reps + 2; r++)
        {
            long t = Stopwatch.GetTimestamp();
            float s = TensorPrimitives.Sum(vectors);
            double sumSeconds = Stopwatch.GetElapsedTime(t).TotalSeconds;
            t = Stopwatch.GetTimestamp();
            var top = PerRowDotTopK(vectors, q, Dimensions, 100);
            double perRowSeconds = Stopwatch.GetElapsedTime(t).TotalSeconds;
            t = Stopwatch.GetTimestamp();
            BlockedDot(vectors, q, Dimensions, scores);
            double blockedSeconds = Stopwatch.GetElapsedTime(t).TotalSeconds;
            GC.KeepAlive(s);
            GC.KeepAlive(top);
            if (r >= 2)
            {
                sum.Add(scanBytes / sumSeconds / 1e9);
                perRow.Add(scanBytes / perRowSeconds / 1e9);
                blocked.Add(scanBytes / blockedSeconds / 1e9);
            }
        }

        var result = new MemoryResult(Dimensions, PartitionsPerDocument, mdBytes, mdPartitions, partitionMBps, results, queries, warmup, scanBytes, Stats.Of(sum), Stats.Of(perRow), Stats.Of(blocked));
        Console.WriteLine($"Bandwidth (TensorPrimitives.Sum over {scanBytes / 1e6:F0} MB): {result.BandwidthSumGBps.Format("F2")} GB/s; per-row Dot+heap kernel {result.KernelPerRowDotGBps.Format("F2")} GB/s; 4-row blocked kernel {result.KernelBlockedGBps.Format("F2")} GB/s");
        return result;
    }

    private static async Task<SearchScale> RunScale(string path, int n, float[] vectors, string[] texts, float[] queryVectors, string[] queryTexts, int queries, int warmup)
    {
        const string index = "bench";
        var store = await SqliteMemoryStore.OpenAsync(new SqliteMemoryStoreOptions { DatabasePath = path });
        await using (store.ConfigureAwait(false))
        {
            // (1a) Import: SaveDocumentAsync of pre-built documents (10 partitions, pre-computed embeddings) into a fresh file.
            int documents = n / PartitionsPerDocument;
            var perDocument = new List<double>(documents);
            var tags = new Dictionary<string, IReadOnlyList<string>> { ["source"] = ["bench"] };
            long total = 0;
            for (int d = 0; d < documents; d++)
            {
                var document = new MemoryDocument(index, "doc-" + d, "doc-" + d + ".md", null, "text/markdown", "hash-" + d, tags, DateTimeOffset.UnixEpoch, PartitionsPerDocument);
                var partitions = new MemoryPartition[PartitionsPerDocument];
                for (int p = 0; p < PartitionsPerDocument; p++)
                {
                    int row = (d * PartitionsPerDocument) + p;
                    partitions[p] = new MemoryPartition(p, texts[row], "Section " + p, vectors.AsMemory(row * Dimensions, Dimensions));
                }

                long t = Stopwatch.GetTimestamp();
                await store.SaveDocumentAsync(document, partitions);
                long elapsed = Stopwatch.GetTimestamp() - t;
                total += elapsed;
                perDocument.Add(elapsed * 1000.0 / Stopwatch.Frequency);
            }

            var import = new ImportResult(n, documents, total / (double)Stopwatch.Frequency, Latency.Of(perDocument));
            Console.WriteLine($"Import {n:N0} partitions: {import.PartitionsPerSecond:F0} partitions/s, per document p50 {import.PerDocumentMs.P50:F2} ms p99 {import.PerDocumentMs.P99:F2} ms");

            // First vector search loads the snapshot.
            long load = Stopwatch.GetTimestamp();
            await store.SearchAsync(index, new MemoryQuery(string.Empty) { Vector = queryVectors.AsMemory(0, Dimensions), Mode = SearchMode.Vector });
            double loadMs = Stopwatch.GetElapsedTime(load).TotalMilliseconds;

            // (2) Latency per mode; modes interleaved per query so drift on the shared machine hits all alike.
            var modes = new[] { SearchMode.Keyword, SearchMode.Vector, SearchMode.Hybrid };
            var times = modes.ToDictionary(m => m, _ => new List<double>());
            long matches = 0;
            for (int i = 0; i < queries + warmup; i++)
            {
                var vector = queryVectors.AsMemory(i * Dimensions, Dimensions);
                for (int k = 0; k < modes.Length; k++)
                {
                    var mode = modes[(i + k) % modes.Length];
                    var query = new MemoryQuery(queryTexts[i]) { Mode = mode, Vector = mode == SearchMode.Keyword ? null : vector, Limit = 10 };
                    long t = Stopwatch.GetTimestamp();
                    var hits = await store.SearchAsync(index, query);
                    double ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                    if (hits.Count == 0 && mode != SearchMode.Keyword)
                    {
                        throw new InvalidOperationException($"{mode} search returned nothing.");
                    }

                    if (i >= warmup)
                    {
                        times[mode].Add(ms);
                    }
                }
            }

            // Mean number of FTS matches per query (how much BM25 has to rank).
            using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT count(*) FROM partitions_fts WHERE partitions_fts MATCH $q";
                var parameter = command.Parameters.Add("$q", Microsoft.Data.Sqlite.SqliteType.Text);
                for (int i = warmup; i < queries + warmup; i++)
                {
                    parameter.Value = SqliteFts(queryTexts[i]);
                    matches += Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            // The scan part alone (same loop as VectorSnapshot.Search, limit 10) over this scale, for attribution.
            var scan = new List<double>();
            var matrix = vectors.AsSpan(0, n * Dimensions).ToArray();
            for (int i = 0; i < queries / 3 + 5; i++)
            {
                long t = Stopwatch.GetTimestamp();
                GC.KeepAlive(PerRowDotTopK(matrix, queryVectors.AsSpan(i * Dimensions, Dimensions), Dimensions, 10));
                double ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                if (i >= 5)
                {
                    scan.Add(ms);
                }
            }

            var search = times.ToDictionary(kv => kv.Key, kv => Latency.Of(kv.Value));
            foreach (var mode in modes)
            {
                Console.WriteLine($"  {n:N0} {mode}: p50 {search[mode].P50:F2} ms, p99 {search[mode].P99:F2} ms");
            }

            long dbBytes = new FileInfo(path).Length + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0);
            return new SearchScale(n, import, loadMs, dbBytes, search, Latency.Of(scan), matches / (double)queries);
        }
    }

    private static string SqliteFts(string text) =>
        string.Join(" OR ", text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).Select(t => "\"" + t + "\""));

    /// <summary>The loop of VectorSnapshot.Search (one TensorPrimitives.Dot per row, min-heap of the best k), without filters.</summary>
    internal static int PerRowDotTopK(float[] data, ReadOnlySpan<float> query, int dims, int top)
    {
        int count = data.Length / dims;
        var heap = new PriorityQueue<int, float>(top + 1);
        for (int i = 0; i < count; i++)
        {
            float score = TensorPrimitives.Dot(data.AsSpan(i * dims, dims), query);
            if (heap.Count < top)
            {
                heap.Enqueue(i, score);
            }
            else if (heap.TryPeek(out _, out var worst) && score > worst)
            {
                heap.DequeueEnqueue(i, score);
            }
        }

        return heap.Peek();
    }

    /// <summary>Four rows per pass with Vector256 accumulators (the query stays in L1, each row is streamed once).</summary>
    internal static void BlockedDot(float[] data, float[] query, int dims, float[] scores)
    {
        int count = data.Length / dims;
        ref float m = ref MemoryMarshal.GetArrayDataReference(data);
        ref float qv = ref MemoryMarshal.GetArrayDataReference(query);
        int i = 0;
        for (; i + 4 <= count; i += 4)
        {
            nuint r0 = (nuint)(i * dims);
            nuint r1 = r0 + (nuint)dims;
            nuint r2 = r1 + (nuint)dims;
            nuint r3 = r2 + (nuint)dims;
            var a0 = Vector256<float>.Zero;
            var a1 = Vector256<float>.Zero;
            var a2 = Vector256<float>.Zero;
            var a3 = Vector256<float>.Zero;
            for (nuint k = 0; k < (nuint)dims; k += 8)
            {
                var x = Vector256.LoadUnsafe(ref qv, k);
                a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, r0 + k), x, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, r1 + k), x, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, r2 + k), x, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, r3 + k), x, a3);
            }

            scores[i] = Vector256.Sum(a0);
            scores[i + 1] = Vector256.Sum(a1);
            scores[i + 2] = Vector256.Sum(a2);
            scores[i + 3] = Vector256.Sum(a3);
        }

        for (; i < count; i++)
        {
            scores[i] = TensorPrimitives.Dot(data.AsSpan(i * dims, dims), query);
        }
    }

    private static float[] RandomUnitVectors(Random rng, int count, int dims)
    {
        var data = new float[count * dims];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (rng.NextSingle() * 2) - 1;
        }

        for (int i = 0; i < count; i++)
        {
            var row = data.AsSpan(i * dims, dims);
            TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
        }

        return data;
    }

    private static string[] MakeVocabulary(Random rng, int size)
    {
        const string consonants = "bcdfghklmnprstvz";
        const string vowels = "aeiou";
        var words = new HashSet<string>(StringComparer.Ordinal);
        var sb = new StringBuilder();
        while (words.Count < size)
        {
            sb.Clear();
            int syllables = 1 + rng.Next(4);
            for (int s = 0; s < syllables; s++)
            {
                sb.Append(consonants[rng.Next(consonants.Length)]).Append(vowels[rng.Next(vowels.Length)]);
            }

            if (rng.Next(3) == 0)
            {
                sb.Append(consonants[rng.Next(consonants.Length)]);
            }

            words.Add(sb.ToString());
        }

        return [.. words];
    }

    private static double[] ZipfCumulative(int size, double exponent)
    {
        var c = new double[size];
        double total = 0;
        for (int i = 0; i < size; i++)
        {
            total += 1 / Math.Pow(i + 1, exponent);
            c[i] = total;
        }

        for (int i = 0; i < size; i++)
        {
            c[i] /= total;
        }

        return c;
    }

    private static string Word(Random rng, string[] vocabulary, double[] zipf)
    {
        int i = Array.BinarySearch(zipf, rng.NextDouble());
        return vocabulary[Math.Min(vocabulary.Length - 1, i < 0 ? ~i : i)];
    }

    private static string Sentence(Random rng, string[] vocabulary, double[] zipf, int words)
    {
        var sb = new StringBuilder();
        for (int w = 0; w < words; w++)
        {
            if (w > 0)
            {
                sb.Append(' ');
            }

            sb.Append(Word(rng, vocabulary, zipf));
        }

        return sb.ToString();
    }

    private static string MakeMarkdown(Random rng, string[] vocabulary, double[] zipf, int bytes)
    {
        var sb = new StringBuilder(bytes + 4096);
        int section = 0;
        while (sb.Length < bytes)
        {
            section++;
            sb.Append(section % 4 == 1 ? "# " : "## ").Append("Section ").Append(section).Append(' ').Append(Sentence(rng, vocabulary, zipf, 3)).Append("\n\n");
            int paragraphs = 2 + rng.Next(5);
            for (int p = 0; p < paragraphs; p++)
            {
                switch (rng.Next(8))
                {
                    case 0:
                        for (int l = 0; l < 4; l++)
                        {
                            sb.Append("- ").Append(Sentence(rng, vocabulary, zipf, 6 + rng.Next(8))).Append(".\n");
                        }

                        break;
                    case 1:
                        sb.Append("```csharp\nvar ").Append(Word(rng, vocabulary, zipf)).Append(" = Compute(").Append(rng.Next(1000)).Append(");\nreturn x;\n```\n");
                        break;
                    default:
                        int sentences = 3 + rng.Next(6);
                        for (int s = 0; s < sentences; s++)
                        {
                            var text = Sentence(rng, vocabulary, zipf, 8 + rng.Next(16));
                            sb.Append(char.ToUpperInvariant(text[0])).Append(text.AsSpan(1)).Append(s % 3 == 2 ? ", `code`. " : ". ");
                        }

                        sb.Append('\n');
                        break;
                }

                sb.Append('\n');
            }
        }

        return sb.ToString();
    }
}
