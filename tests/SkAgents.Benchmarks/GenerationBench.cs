using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using SkAgents.LocalModels.GenAI;
using SkAgents.LocalModels.Generation;
using SkAgents.ModelFactory.Models;
using SkAgents.OnnxRuntime;

namespace SkAgents.Benchmarks;

/// <summary>The measured paths.</summary>
internal enum GenerationPath
{
    /// <summary>OnnxDecoderModel + TokenGenerator (greedy TokenSampler): what LocalChatClient runs.</summary>
    Ours,

    /// <summary>OnnxDecoderSequence.Forward + TensorPrimitives.IndexOfMax, without TokenGenerator.</summary>
    OursSequenceOnly,

    /// <summary>The raw InferenceSession loop (<see cref="ReferenceLoop"/>).</summary>
    Reference,
}

/// <summary>Results of one model: every run of every path, per scenario.</summary>
internal sealed class ModelResult
{
    public required string Name { get; init; }

    public required DecoderDimensions Dimensions { get; init; }

    public required int Layers { get; init; }

    public required int Vocabulary { get; init; }

    public required long FileBytes { get; init; }

    public required double WriteSeconds { get; init; }

    public required double LoadSeconds { get; init; }

    public required int MaxLength { get; init; }

    public required int DecodePrompt { get; init; }

    public required int DecodeTokens { get; init; }

    public required bool TokensIdentical { get; set; }

    /// <summary>Decode runs (prompt <see cref="DecodePrompt"/>, then <see cref="DecodeTokens"/> tokens), by path, in repetition order.</summary>
    public Dictionary<GenerationPath, List<GenerationRun>> Decode { get; } = [];

    /// <summary>Prefill-only runs by prompt length and path.</summary>
    public SortedDictionary<int, Dictionary<GenerationPath, List<GenerationRun>>> Prefill { get; } = [];
}

/// <summary>Writes (or reuses) a realistic-shape model and measures our generation path next to the reference loop.</summary>
internal static class GenerationBench
{
    private static readonly IReadOnlySet<int> NoEndTokens = new HashSet<int>();

    public static ModelResult Run(BenchOptions options, DecoderDimensions dimensions, int layers)
    {
        var (folder, writeSeconds) = EnsureModel(options.ModelCache, dimensions, layers, options.Vocabulary);
        long fileBytes = new FileInfo(Path.Combine(folder, "model.onnx")).Length;
        Console.WriteLine($"  model: {folder} ({fileBytes / 1e6:F0} MB{(writeSeconds > 0 ? $", written in {writeSeconds:F1} s" : ", cached")})");

        var decoderOptions = new OnnxDecoderOptions
        {
            IntraOpNumThreads = options.Threads,
            InterOpNumThreads = 1,
            KvCacheMode = KvCacheMode.SharedBuffer,
            AllowSpinning = options.Spinning,
        };
        long loadStart = Stopwatch.GetTimestamp();
        using var model = OnnxDecoderModel.Load(folder, decoderOptions);
        double loadSeconds = Stopwatch.GetElapsedTime(loadStart).TotalSeconds;
        var session = SessionOf(model);
        int maxLength = options.Prompts.Max() + options.Tokens + 1;
        int vocabulary = model.VocabularySize;
        Console.WriteLine($"  loaded in {loadSeconds:F1} s: {model.NumLayers} layers, vocabulary {vocabulary}, KV {model.KvCacheBytes(maxLength) / 1e6:F1} MB per sequence (max length {maxLength})");

        using var reference = new ReferenceLoop(session, model.NumLayers, model.NumKeyValueHeads, model.HeadSize, vocabulary, maxLength);
        var result = new ModelResult
        {
            Name = dimensions.Name,
            Dimensions = dimensions,
            Layers = model.NumLayers,
            Vocabulary = vocabulary,
            FileBytes = fileBytes,
            WriteSeconds = writeSeconds,
            LoadSeconds = loadSeconds,
            MaxLength = maxLength,
            DecodePrompt = options.Prompts[0],
            DecodeTokens = options.Tokens,
            TokensIdentical = true,
        };

        GenerationPath[] paths = options.Breakdown
            ? [GenerationPath.Ours, GenerationPath.Reference, GenerationPath.OursSequenceOnly]
            : [GenerationPath.Ours, GenerationPath.Reference];
        var prompts = options.Prompts.Distinct().ToDictionary(p => p, p => Prompt(p, vocabulary));
        int[]? expected = null;

        for (int rep = -options.Warmup; rep < options.Repetitions; rep++)
        {
            bool measured = rep >= 0;
            var order = Rotate(paths, rep + options.Warmup);

            // Scenario 1: prompt P0 then N greedy tokens (start, TTFT, decode speed, allocations).
            foreach (var path in order)
            {
                var run = Execute(path, model, reference, prompts[options.Prompts[0]], options.Tokens, maxLength);
                expected ??= run.Tokens;
                if (!run.Tokens.AsSpan().SequenceEqual(expected))
                {
                    result.TokensIdentical = false;
                }

                if (measured)
                {
                    Add(result.Decode, path, run);
                }

                Console.WriteLine($"  {(measured ? $"rep {rep + 1}" : "warm-up")} {path,-16} P={options.Prompts[0],4}: start {run.StartMs,7:F1} ms, TTFT {run.TtftMs,8:F1} ms, decode {run.DecodeTokens * 1000 / run.DecodeMs,7:F2} tok/s, {run.DecodeAllocatedBytes / (double)Math.Max(1, run.DecodeTokens),7:F1} B/token");
            }

            // Scenario 2: prefill only, for the other prompt lengths (TTFT / prefill throughput).
            foreach (int length in options.Prompts.Skip(1).Distinct())
            {
                foreach (var path in order.Where(p => p != GenerationPath.OursSequenceOnly))
                {
                    var run = Execute(path, model, reference, prompts[length], 0, maxLength);
                    if (measured)
                    {
                        if (!result.Prefill.TryGetValue(length, out var byPath))
                        {
                            result.Prefill[length] = byPath = [];
                        }

                        Add(byPath, path, run);
                    }

                    Console.WriteLine($"  {(measured ? $"rep {rep + 1}" : "warm-up")} {path,-16} P={length,4}: TTFT {run.TtftMs,8:F1} ms ({length * 1000 / run.TtftMs,7:F1} prompt tok/s)");
                }
            }
        }

        return result;
    }

    /// <summary>Runs one path on a fresh sequence.</summary>
    internal static GenerationRun Execute(GenerationPath path, OnnxDecoderModel model, ReferenceLoop reference, int[] prompt, int decodeTokens, int maxLength)
    {
        Quiesce();
        return path switch
        {
            GenerationPath.Ours => RunOurs(model, prompt, decodeTokens, maxLength),
            GenerationPath.OursSequenceOnly => RunSequenceOnly(model, prompt, decodeTokens, maxLength),
            _ => reference.Generate(prompt, decodeTokens),
        };
    }

    /// <summary>Our path as LocalChatClient runs it: StartSequence, TokenGenerator (greedy), TryNext per token.</summary>
    private static GenerationRun RunOurs(OnnxDecoderModel model, int[] prompt, int decodeTokens, int maxLength)
    {
        var settings = new GenerationSettings { MaxNewTokens = decodeTokens + 1, MaxLength = maxLength };
        var tokens = new int[decodeTokens + 1];
        long t0 = Stopwatch.GetTimestamp();
        using var sequence = model.StartSequence(maxLength);
        var generator = new TokenGenerator(sequence, prompt, settings, NoEndTokens, model.VocabularySize);
        double startMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;

        long t1 = Stopwatch.GetTimestamp();
        if (!generator.TryNext(out tokens[0]))
        {
            throw new InvalidOperationException("No first token.");
        }

        double ttftMs = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        long t2 = Stopwatch.GetTimestamp();
        for (int n = 1; n <= decodeTokens; n++)
        {
            if (!generator.TryNext(out tokens[n]))
            {
                throw new InvalidOperationException($"Generation stopped early: {generator.StopReason}.");
            }
        }

        double decodeMs = Stopwatch.GetElapsedTime(t2).TotalMilliseconds;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        return new GenerationRun(startMs, ttftMs, decodeMs, decodeTokens, allocated, tokens);
    }

    /// <summary>Our sequence without the generator: Forward + TensorPrimitives.IndexOfMax.</summary>
    private static GenerationRun RunSequenceOnly(OnnxDecoderModel model, int[] prompt, int decodeTokens, int maxLength)
    {
        var tokens = new int[decodeTokens + 1];
        long t0 = Stopwatch.GetTimestamp();
        using var sequence = model.StartSequence(maxLength);
        double startMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;

        long t1 = Stopwatch.GetTimestamp();
        int token = TensorPrimitives.IndexOfMax<float>(sequence.Forward(prompt, CancellationToken.None));
        tokens[0] = token;
        double ttftMs = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        long t2 = Stopwatch.GetTimestamp();
        for (int n = 1; n <= decodeTokens; n++)
        {
            ReadOnlySpan<int> last = [token];
            token = TensorPrimitives.IndexOfMax<float>(sequence.Forward(last, CancellationToken.None));
            tokens[n] = token;
        }

        double decodeMs = Stopwatch.GetElapsedTime(t2).TotalMilliseconds;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        return new GenerationRun(startMs, ttftMs, decodeMs, decodeTokens, allocated, tokens);
    }

    /// <summary>Writes the model once into the cache (a completed folder is reused).</summary>
    public static (string Folder, double WriteSeconds) EnsureModel(string cacheRoot, DecoderDimensions dimensions, int layers, int? vocabulary)
    {
        string name = $"{dimensions.Name}-h{dimensions.Hidden}-L{layers}-V{vocabulary ?? dimensions.Vocabulary}-v1";
        string folder = Path.Combine(cacheRoot, name);
        string marker = Path.Combine(folder, ".complete");
        if (File.Exists(marker))
        {
            return (folder, 0);
        }

        Console.WriteLine($"  writing {name} (about {(dimensions with { Layers = layers }).EstimatedBytes / 1e6:F0} MB)...");
        string temp = Path.Combine(cacheRoot, $".tmp-{name}-{Guid.NewGuid():N}");
        long start = Stopwatch.GetTimestamp();
        try
        {
            RealisticDecoderFactory.Write(temp, dimensions, layers, vocabulary);
            File.WriteAllText(Path.Combine(temp, ".complete"), name);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            Directory.Move(temp, folder);
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }

        return (folder, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>The session the model runs on, so that the reference loop uses the very same one.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Session")]
    internal static extern InferenceSession SessionOf(OnnxDecoderModel model);

    /// <summary>Deterministic pseudo-random prompt ids (the same for every path).</summary>
    internal static int[] Prompt(int length, int vocabulary)
    {
        var random = new Random(length);
        var ids = new int[length];
        for (int i = 0; i < length; i++)
        {
            ids[i] = random.Next(vocabulary);
        }

        return ids;
    }

    internal static void Quiesce()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static GenerationPath[] Rotate(GenerationPath[] paths, int by)
    {
        var result = new GenerationPath[paths.Length];
        for (int i = 0; i < paths.Length; i++)
        {
            result[i] = paths[(i + by) % paths.Length];
        }

        return result;
    }

    private static void Add(Dictionary<GenerationPath, List<GenerationRun>> runs, GenerationPath path, GenerationRun run)
    {
        if (!runs.TryGetValue(path, out var list))
        {
            runs[path] = list = [];
        }

        list.Add(run);
    }
}
