using System.Diagnostics;
using System.Numerics.Tensors;
using SkAgents.LocalModels.GenAI;
using SkAgents.LocalModels.Generation;
using SkAgents.ModelFactory.Models;

namespace SkAgents.Benchmarks;

/// <summary>Per-token managed allocation of the decode loop for a given layer count.</summary>
internal sealed record LayerProbeResult(int Layers, int InputsPlusOutputs, double OursBytesPerToken, double SequenceOnlyBytesPerToken, double ReferenceBytesPerToken);

/// <summary>Cost of choosing a token from one logits row.</summary>
internal sealed record ArgMaxResult(int Vocabulary, Stats IndexOfMaxMicroseconds, Stats PlainLoopMicroseconds);

/// <summary>Per-step and prefill cost of each path on a decoder whose ONNX work is tiny, so that the managed overhead shows.</summary>
internal sealed record OverheadResult(int Layers, int Vocabulary, int Steps, Dictionary<GenerationPath, Stats> StepMicroseconds, Stats PairedStepDifferenceMicroseconds, int PrefillLength, Dictionary<GenerationPath, Stats> PrefillMilliseconds, Stats PairedPrefillDifferenceMilliseconds);

/// <summary>Small, deterministic probes that explain the generation figures.</summary>
internal static class Probes
{
    /// <summary>
    /// A decoder with Qwen2.5-0.5B's layer count and vocabulary but hidden size 64: one step costs well under a
    /// millisecond of ONNX work, so the difference between our path and the reference loop (same session, same
    /// inputs) is the managed overhead per token, in microseconds, far above the noise of a shared machine.
    /// </summary>
    public static OverheadResult StepOverhead(BenchOptions options, int layers, int vocabulary)
    {
        var dims = new DecoderDimensions("overhead-probe", layers, 64, 2, 1, 32, 128, vocabulary, 4096, "qwen2");
        var (folder, _) = GenerationBench.EnsureModel(options.ModelCache, dims, layers, null);
        using var model = OnnxDecoderModel.Load(folder, new OnnxDecoderOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, KvCacheMode = KvCacheMode.SharedBuffer });
        int steps = options.Quick ? 128 : 512;
        int prefill = options.Prompts.Max();
        int maxLength = Math.Max(16 + steps, prefill) + 1;
        var shortPrompt = GenerationBench.Prompt(16, model.VocabularySize);
        var longPrompt = GenerationBench.Prompt(prefill, model.VocabularySize);
        using var reference = new ReferenceLoop(GenerationBench.SessionOf(model), model.NumLayers, model.NumKeyValueHeads, model.HeadSize, model.VocabularySize, maxLength);
        GenerationPath[] paths = [GenerationPath.Ours, GenerationPath.OursSequenceOnly, GenerationPath.Reference];
        var step = paths.ToDictionary(p => p, _ => new List<double>());
        var pre = paths.ToDictionary(p => p, _ => new List<double>());
        int repetitions = options.Quick ? 5 : 11;
        for (int rep = -1; rep < repetitions; rep++)
        {
            for (int i = 0; i < paths.Length; i++)
            {
                var path = paths[(i + rep + 1) % paths.Length];
                var run = GenerationBench.Execute(path, model, reference, shortPrompt, steps, maxLength);
                var first = GenerationBench.Execute(path, model, reference, longPrompt, 0, maxLength);
                if (rep >= 0)
                {
                    step[path].Add(run.DecodeMs * 1000 / steps);
                    pre[path].Add(first.TtftMs);
                }
            }
        }

        var result = new OverheadResult(
            layers,
            model.VocabularySize,
            steps,
            step.ToDictionary(p => p.Key, p => Stats.Of(p.Value)),
            Stats.Of(step[GenerationPath.Ours].Zip(step[GenerationPath.Reference], (a, b) => a - b)),
            prefill,
            pre.ToDictionary(p => p.Key, p => Stats.Of(p.Value)),
            Stats.Of(pre[GenerationPath.Ours].Zip(pre[GenerationPath.Reference], (a, b) => a - b)));
        Console.WriteLine($"  step µs: ours {result.StepMicroseconds[GenerationPath.Ours].Format("F1")}, sequence only {result.StepMicroseconds[GenerationPath.OursSequenceOnly].Format("F1")}, reference {result.StepMicroseconds[GenerationPath.Reference].Format("F1")}; ours − reference {result.PairedStepDifferenceMicroseconds.Format("F1")}");
        Console.WriteLine($"  prefill {prefill} ms: ours {result.PrefillMilliseconds[GenerationPath.Ours].Format("F1")}, sequence only {result.PrefillMilliseconds[GenerationPath.OursSequenceOnly].Format("F1")}, reference {result.PrefillMilliseconds[GenerationPath.Reference].Format("F1")}; ours − reference {result.PairedPrefillDifferenceMilliseconds.Format("F1")}");
        return result;
    }

    /// <summary>
    /// Tiny decoders (hidden 64) with many layers: InferenceSession.Run keeps its name/value pointer slots
    /// (2 · (inputs + outputs)) on the stack only up to 256 slots, i.e. up to 31 layers for a GQA decoder.
    /// </summary>
    public static List<LayerProbeResult> LayerAllocations(BenchOptions options, IEnumerable<int> layerCounts)
    {
        var results = new List<LayerProbeResult>();
        foreach (int layers in layerCounts)
        {
            var dims = new DecoderDimensions("probe", layers, 64, 2, 1, 32, 128, 512, 4096, "qwen2");
            var (folder, _) = GenerationBench.EnsureModel(options.ModelCache, dims, layers, null);
            using var model = OnnxDecoderModel.Load(folder, new OnnxDecoderOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, KvCacheMode = KvCacheMode.SharedBuffer });
            const int Steps = 64;
            int maxLength = 8 + Steps + 1;
            var prompt = GenerationBench.Prompt(8, model.VocabularySize);
            using var reference = new ReferenceLoop(GenerationBench.SessionOf(model), model.NumLayers, model.NumKeyValueHeads, model.HeadSize, model.VocabularySize, maxLength);

            // Warm-up, then one measured run per path.
            double ours = 0, sequenceOnly = 0, raw = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                ours = OursBytes(model, prompt, Steps, maxLength) / (double)Steps;
                sequenceOnly = SequenceBytes(model, prompt, Steps, maxLength) / (double)Steps;
                raw = reference.Generate(prompt, Steps).DecodeAllocatedBytes / (double)Steps;
            }

            int slots = 2 * ((2 + (2 * layers)) + (1 + (2 * layers)));
            results.Add(new LayerProbeResult(layers, slots, ours, sequenceOnly, raw));
            Console.WriteLine($"  layers {layers,2} ({slots} pointer slots): ours {ours,7:F1} B/token, sequence only {sequenceOnly,7:F1} B/token, reference {raw,7:F1} B/token");
        }

        return results;
    }

    /// <summary>
    /// What our prefill pays for its logits output: OnnxDecoderSequence allocates a zeroed [1, P, V] tensor with
    /// OrtValue.Allocate for every prompt (ORT's default, non-arena allocator, then NativeMemory.Clear) and frees it after.
    /// Measures allocate + free, allocate + clear + free, and allocate + clear + one write pass + free (what ORT then does).
    /// </summary>
    public static (long Bytes, Stats AllocateFreeMs, Stats AllocateClearFreeMs, Stats WithWriteMs, Stats ReusedWriteMs) PrefillLogitsBuffer(int promptLength, int vocabulary, int repetitions)
    {
        long[] shape = [1, promptLength, vocabulary];
        var a = new List<double>();
        var b = new List<double>();
        var c = new List<double>();
        var d = new List<double>();
        using var reused = SkAgents.OnnxRuntime.OrtValue.Allocate<float>(shape);
        for (int rep = -1; rep < repetitions; rep++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using (var raw = SkAgents.OnnxRuntime.OrtValue.CreateTensor(System.Runtime.InteropServices.Marshal.AllocHGlobal((nint)(promptLength * (long)vocabulary * 4)), promptLength * (long)vocabulary * 4, SkAgents.OnnxRuntime.TensorElementType.Float, shape))
            {
                System.Runtime.InteropServices.Marshal.FreeHGlobal(raw.DataPointer);
            }

            double allocFree = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            t0 = Stopwatch.GetTimestamp();
            using (SkAgents.OnnxRuntime.OrtValue.Allocate<float>(shape))
            {
            }

            double allocClearFree = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            t0 = Stopwatch.GetTimestamp();
            using (var value = SkAgents.OnnxRuntime.OrtValue.Allocate<float>(shape))
            {
                value.GetTensorSpan<float>().Fill(1f);
            }

            double withWrite = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            t0 = Stopwatch.GetTimestamp();
            reused.GetTensorSpan<float>().Fill(1f);
            double reusedWrite = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (rep >= 0)
            {
                a.Add(allocFree);
                b.Add(allocClearFree);
                c.Add(withWrite);
                d.Add(reusedWrite);
            }
        }

        return (promptLength * (long)vocabulary * 4, Stats.Of(a), Stats.Of(b), Stats.Of(c), Stats.Of(d));
    }

    /// <summary>TensorPrimitives.IndexOfMax (our sampler's greedy path) against a plain loop (the reference).</summary>
    public static ArgMaxResult ArgMax(int vocabulary, int repetitions)
    {
        var logits = new float[vocabulary];
        var random = new Random(7);
        for (int i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)((random.NextDouble() * 20) - 10);
        }

        const int Inner = 1000;
        var simd = new List<double>();
        var plain = new List<double>();
        int sink = 0;
        for (int rep = -5; rep < repetitions; rep++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < Inner; i++)
            {
                sink += TensorPrimitives.IndexOfMax<float>(logits);
            }

            double a = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / Inner;
            t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < Inner; i++)
            {
                sink += ReferenceLoop.ArgMax(logits);
            }

            double b = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / Inner;
            if (rep >= 0)
            {
                simd.Add(a);
                plain.Add(b);
            }
        }

        GC.KeepAlive(sink);
        return new ArgMaxResult(vocabulary, Stats.Of(simd), Stats.Of(plain));
    }

    private static long OursBytes(OnnxDecoderModel model, int[] prompt, int steps, int maxLength)
    {
        using var sequence = model.StartSequence(maxLength);
        var generator = new TokenGenerator(sequence, prompt, new GenerationSettings { MaxLength = maxLength, MaxNewTokens = steps + 1 }, new HashSet<int>(), model.VocabularySize);
        generator.TryNext(out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < steps; i++)
        {
            generator.TryNext(out _);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static long SequenceBytes(OnnxDecoderModel model, int[] prompt, int steps, int maxLength)
    {
        using var sequence = model.StartSequence(maxLength);
        int token = TensorPrimitives.IndexOfMax<float>(sequence.Forward(prompt, CancellationToken.None));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < steps; i++)
        {
            ReadOnlySpan<int> last = [token];
            token = TensorPrimitives.IndexOfMax<float>(sequence.Forward(last, CancellationToken.None));
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
