using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SkAgents.Memory.Storage;
using SkAgents.OnnxRuntime;

namespace SkAgents.Benchmarks;

/// <summary>Facts about the machine and runtime, printed with every report.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Memory, string Os, string Runtime, string OrtVersion, string OrtPath, string Gc, DateTime StartedUtc)
{
    public static MachineInfo Collect()
    {
        string cpu = "unknown";
        string memory = "unknown";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
            var total = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal));
            if (total is not null)
            {
                memory = $"{long.Parse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024.0:F1} GiB";
            }
        }
        catch (IOException)
        {
        }

        string gc = System.Runtime.GCSettings.IsServerGC ? "server" : "workstation";
        gc += System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.Batch ? ", non-concurrent" : ", concurrent";
        return new MachineInfo(cpu, Environment.ProcessorCount, memory, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, OnnxRuntimeLibrary.Version, OnnxRuntimeLibrary.LoadedPath, gc, DateTime.UtcNow);
    }
}

/// <summary>Renders the results as markdown.</summary>
internal static class Report
{
    public const string BeginMarker = "<!-- BEGIN GENERATED RESULTS (tests/SkAgents.Benchmarks --output) -->";
    public const string EndMarker = "<!-- END GENERATED RESULTS -->";

    public static string Render(BenchOptions options, MachineInfo machine, IReadOnlyList<ModelResult> models, OverheadResult? overhead, (long Bytes, Stats AllocateFreeMs, Stats AllocateClearFreeMs, Stats WithWriteMs, Stats ReusedWriteMs)? prefillBuffer, IReadOnlyList<LayerProbeResult> probes, ArgMaxResult? argMax, IReadOnlyList<TokenizerResult> tokenizers, TimeSpan elapsed)
    {
        var md = new StringBuilder();
        md.AppendLine(BeginMarker);
        md.AppendLine();
        md.AppendLine(Inv($"Run of {machine.StartedUtc:yyyy-MM-dd HH:mm} UTC, {elapsed.TotalMinutes:F1} min in one process:"));
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine($"dotnet run -c Release --project tests/SkAgents.Benchmarks -- {options.CommandLine}".TrimEnd());
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine("| machine | |");
        md.AppendLine("|---|---|");
        md.AppendLine(Inv($"| CPU | {machine.Cpu}, {machine.Cores} logical cores visible, {machine.Memory} RAM (shared machine) |"));
        md.AppendLine(Inv($"| OS | {machine.Os} |"));
        md.AppendLine(Inv($"| .NET | {machine.Runtime}, Release, {machine.Gc} GC |"));
        md.AppendLine(Inv($"| ONNX Runtime | {machine.OrtVersion} (official CPU build from onnxruntime-node), CPU execution provider |"));
        md.AppendLine(Inv($"| ORT threads | intra-op {options.Threads}, inter-op 1, sequential execution, spinning {(options.Spinning is { } spin ? (spin ? "on" : "off") : "ORT default (on)")}, graph optimization ALL |"));
        md.AppendLine(Inv($"| protocol | {options.Warmup} warm-up + {options.Repetitions} measured repetitions per path; paths interleaved and their order rotated each repetition; fresh sequence (KV cache) per run; GC.Collect before each run; figures are median (min–max) |"));
        md.AppendLine();

        foreach (var model in models)
        {
            RenderModel(md, model);
        }

        if (overhead is { } o)
        {
            md.AppendLine(Inv($"#### Managed overhead: the same loops on a decoder with {o.Layers} layers and {o.Vocabulary:N0} logits but hidden size 64 (1 intra-op thread)"));
            md.AppendLine();
            md.AppendLine(Inv($"Here the ONNX work per step is small, so the difference between the paths (same session, same inputs, paired per repetition) is the per-token cost of our managed code. Decode: {o.Steps} steps after a 16-token prompt; prefill: {o.PrefillLength}-token prompt."));
            md.AppendLine();
            md.AppendLine("| path | µs per decode step | prefill ms |");
            md.AppendLine("|---|---|---|");
            foreach (var path in (GenerationPath[])[GenerationPath.Ours, GenerationPath.OursSequenceOnly, GenerationPath.Reference])
            {
                md.AppendLine(Inv($"| {Label(path)} | {o.StepMicroseconds[path].Format("F1")} | {o.PrefillMilliseconds[path].Format("F1")} |"));
            }

            md.AppendLine(Inv($"| **ours − reference (paired per repetition)** | **{o.PairedStepDifferenceMicroseconds.Format("F1")}** | **{o.PairedPrefillDifferenceMilliseconds.Format("F1")}** |"));
            md.AppendLine(Inv($"| ours − reference, best runs (min − min; interference only adds time) | {o.StepMicroseconds[GenerationPath.Ours].Min - o.StepMicroseconds[GenerationPath.Reference].Min:F1} | {o.PrefillMilliseconds[GenerationPath.Ours].Min - o.PrefillMilliseconds[GenerationPath.Reference].Min:F1} |"));
            md.AppendLine();
        }

        if (prefillBuffer is { } pb)
        {
            md.AppendLine(Inv($"#### The prefill logits buffer ({pb.Bytes / 1e6:F0} MB = [1, prompt, vocabulary] float32), ms"));
            md.AppendLine();
            md.AppendLine("| operation | ms |");
            md.AppendLine("|---|---|");
            md.AppendLine(Inv($"| malloc + free, untouched | {pb.AllocateFreeMs.Format("F1")} |"));
            md.AppendLine(Inv($"| OrtValue.Allocate (ORT default allocator + NativeMemory.Clear) + free: a fresh buffer per prompt (what OnnxDecoderSequence did before it reused one) | {pb.AllocateClearFreeMs.Format("F1")} |"));
            md.AppendLine(Inv($"| the same plus one write pass (ORT writing the logits) | {pb.WithWriteMs.Format("F1")} |"));
            md.AppendLine(Inv($"| one write pass into a reused buffer (the reference loop, and OnnxDecoderSequence now) | {pb.ReusedWriteMs.Format("F1")} |"));
            md.AppendLine();
        }

        if (argMax is not null)
        {
            md.AppendLine(Inv($"#### Choosing a token from {argMax.Vocabulary:N0} logits (µs per call)"));
            md.AppendLine();
            md.AppendLine("| arg-max | µs |");
            md.AppendLine("|---|---|");
            md.AppendLine(Inv($"| TensorPrimitives.IndexOfMax (our TokenSampler, greedy) | {argMax.IndexOfMaxMicroseconds.Format("F1")} |"));
            md.AppendLine(Inv($"| plain scalar loop (reference loop) | {argMax.PlainLoopMicroseconds.Format("F1")} |"));
            md.AppendLine();
        }

        if (probes.Count > 0)
        {
            md.AppendLine("#### Managed bytes per decode step by layer count (tiny hidden-64 decoders, 64 steps after a warm-up)");
            md.AppendLine();
            md.AppendLine("| layers | pointer slots in InferenceSession.Run (2 × (inputs + outputs)) | ours (TokenGenerator) B/token | OnnxDecoderSequence only B/token | reference loop B/token |");
            md.AppendLine("|---|---|---|---|---|");
            foreach (var p in probes)
            {
                md.AppendLine(Inv($"| {p.Layers} | {p.InputsPlusOutputs} | {p.OursBytesPerToken:F1} | {p.SequenceOnlyBytesPerToken:F1} | {p.ReferenceBytesPerToken:F1} |"));
            }

            md.AppendLine();
        }

        if (tokenizers.Count > 0)
        {
            md.AppendLine("### Tokenizers (single thread, one Encode/Decode call per document, MB = 10⁶ UTF-8 bytes)");
            md.AppendLine();
            md.AppendLine("Steady state after warm-up passes (at least 3 and until the warm-up time is over, so tiered JIT has settled); \"first pass\" is the very first encode pass of that tokenizer and corpus in the process (tier-0 code, empty word cache for the first corpus).");
            md.AppendLine();
            md.AppendLine("| tokenizer | corpus | documents | size MB | bytes/token | encode MB/s | encode M tokens/s | decode MB/s | first pass encode MB/s |");
            md.AppendLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var t in tokenizers)
            {
                var mtok = new Stats(t.EncodeTokensPerSecond.Median / 1e6, t.EncodeTokensPerSecond.Min / 1e6, t.EncodeTokensPerSecond.Max / 1e6, t.EncodeTokensPerSecond.Count);
                md.AppendLine(Inv($"| {t.Tokenizer} | {t.Corpus} | {t.Documents:N0} | {t.Utf8Bytes / 1e6:F2} | {t.Utf8Bytes / (double)t.Tokens:F2} | {t.EncodeMBps.Format("F2")} | {mtok.Format("F2")} | {t.DecodeMBps.Format("F1")} | {t.FirstPassEncodeMBps:F2} |"));
            }

            md.AppendLine();
        }

        md.AppendLine(EndMarker);
        return md.ToString();
    }

    public const string MemoryBeginMarker = "<!-- BEGIN GENERATED MEMORY RESULTS (tests/SkAgents.Benchmarks --only memory --output) -->";
    public const string MemoryEndMarker = "<!-- END GENERATED MEMORY RESULTS -->";

    /// <summary>Replaces the generated section of the file (or appends one).</summary>
    public static void WriteInto(string path, string section) => WriteInto(path, section, BeginMarker, EndMarker);

    /// <summary>Replaces the section between the given markers (or appends one).</summary>
    public static void WriteInto(string path, string section, string beginMarker, string endMarker)
    {
        string existing = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n\n";
        int begin = existing.IndexOf(beginMarker, StringComparison.Ordinal);
        int end = existing.IndexOf(endMarker, StringComparison.Ordinal);
        string updated = begin >= 0 && end > begin
            ? string.Concat(existing.AsSpan(0, begin), section.TrimEnd(), existing.AsSpan(end + endMarker.Length))
            : existing.TrimEnd() + "\n\n" + section;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, updated);
    }

    public static string RenderMemory(BenchOptions options, MachineInfo machine, MemoryResult r, TimeSpan elapsed)
    {
        var md = new StringBuilder();
        md.AppendLine(MemoryBeginMarker);
        md.AppendLine();
        md.AppendLine("## Memory store (SkAgents.Memory.Sqlite): generated results");
        md.AppendLine();
        md.AppendLine(Inv($"Run of {machine.StartedUtc:yyyy-MM-dd HH:mm} UTC, {elapsed.TotalMinutes:F1} min in one process, {machine.Cpu}, {machine.Cores} logical cores (shared), {machine.Memory} RAM; {machine.Runtime}, Release, {machine.Gc} GC:"));
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine($"dotnet run -c Release --project tests/SkAgents.Benchmarks -- {options.CommandLine}".TrimEnd());
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine(Inv($"Synthetic data: {r.Dimensions}-dim random normalized vectors (pre-computed: no embedding time anywhere); partition text of 40–99 words drawn from a 5,000-word synthetic vocabulary with Zipf (s = 1) frequencies, so BM25 sees realistic term statistics; queries of 3–5 words from the same distribution. Documents of {r.PartitionsPerDocument} partitions. Each scale is a fresh SQLite file (WAL, default synchronous) in the temp folder. Search: {r.Warmup} warm-up + {r.Queries} measured queries per mode, the three modes interleaved per query (rotated order), limit 10, hybrid with the default 100 candidates per ranking; latency is the whole SearchAsync call (connection open, ranking, hydration)."));
        md.AppendLine();
        md.AppendLine("### Import and partitioning");
        md.AppendLine();
        md.AppendLine("| what | throughput | per document p50 / p99 ms |");
        md.AppendLine("|---|---|---|");
        md.AppendLine(Inv($"| TextPartitioner.Split, heuristic token counter (default 512/64), {r.MarkdownBytes / 1e6:F2} MB Markdown → {r.MarkdownPartitions:N0} partitions | {r.PartitionMBps.Format("F2")} MB/s | |"));
        foreach (var s in r.Scales)
        {
            md.AppendLine(Inv($"| SaveDocumentAsync into a fresh file, {s.Import.Documents:N0} documents = {s.Partitions:N0} partitions ({s.Import.Seconds:F1} s; file {s.DatabaseBytes / 1e6:F0} MB) | {s.Import.PartitionsPerSecond:N0} partitions/s | {s.Import.PerDocumentMs.P50:F2} / {s.Import.PerDocumentMs.P99:F2} |"));
        }

        md.AppendLine();
        md.AppendLine("### Search latency (ms per SearchAsync)");
        md.AppendLine();
        md.AppendLine("| partitions | mode | p50 (median) | p90 | p99 | mean | min–max | ratio of p50 to vector p50 |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var s in r.Scales)
        {
            foreach (var (mode, l) in s.Search.OrderBy(kv => kv.Key))
            {
                md.AppendLine(Inv($"| {s.Partitions:N0} | {mode} | {l.P50:F2} | {l.P90:F2} | {l.P99:F2} | {l.Mean:F2} | {l.Min:F2}–{l.Max:F2} | {l.P50 / s.Search[SearchMode.Vector].P50:F2} |"));
            }
        }

        md.AppendLine();
        md.AppendLine("| partitions | first vector search (loads the snapshot) ms | mean FTS matches per query | scan loop alone (VectorSnapshot.Search's loop, top 10) p50 / p99 ms |");
        md.AppendLine("|---|---|---|---|");
        foreach (var s in r.Scales)
        {
            md.AppendLine(Inv($"| {s.Partitions:N0} | {s.SnapshotLoadMs:F0} | {s.MeanMatchesPerQuery:N0} | {s.VectorOnlyScanPart.P50:F2} / {s.VectorOnlyScanPart.P99:F2} |"));
        }

        md.AppendLine();
        md.AppendLine(Inv($"### Exact vector scan vs memory bandwidth (single thread; GB = 10⁹ bytes)"));
        md.AppendLine();
        md.AppendLine(Inv($"Bandwidth reference: TensorPrimitives.Sum over a {r.ScanBytes / 1e6:F0} MB float array (the same size as the largest matrix), median (min–max) of repeated passes. Scan rate = n × {r.Dimensions} × 4 bytes / time."));
        md.AppendLine();
        md.AppendLine("| what | GB/s | share of measured bandwidth |");
        md.AppendLine("|---|---|---|");
        double bw = r.BandwidthSumGBps.Median;
        md.AppendLine(Inv($"| memory bandwidth: TensorPrimitives.Sum | {r.BandwidthSumGBps.Format("F2")} | 100 % |"));
        foreach (var s in r.Scales)
        {
            double bytes = (double)s.Partitions * r.Dimensions * 4;
            double p50 = bytes / (s.Search[SearchMode.Vector].P50 / 1000) / 1e9;
            double p99 = bytes / (s.Search[SearchMode.Vector].P99 / 1000) / 1e9;
            double loop = bytes / (s.VectorOnlyScanPart.P50 / 1000) / 1e9;
            md.AppendLine(Inv($"| {s.Partitions:N0} partitions, vector-mode SearchAsync (at p50 / at p99 latency) | {p50:F2} / {p99:F2} | {p50 / bw:P0} / {p99 / bw:P0} |"));
            md.AppendLine(Inv($"| {s.Partitions:N0} partitions, the scan loop alone (per-row TensorPrimitives.Dot + heap) at p50 | {loop:F2} | {loop / bw:P0} |"));
        }

        md.AppendLine(Inv($"| largest matrix, per-row Dot + heap (top 100), median of passes | {r.KernelPerRowDotGBps.Format("F2")} | {r.KernelPerRowDotGBps.Median / bw:P0} |"));
        md.AppendLine(Inv($"| largest matrix, 4 rows per pass with Vector256 FMA (scores only; candidate fix) | {r.KernelBlockedGBps.Format("F2")} | {r.KernelBlockedGBps.Median / bw:P0} |"));
        md.AppendLine();
        var largest = r.Scales[^1];
        double hybridP99 = largest.Search[SearchMode.Hybrid].P99;
        double scanShare = (double)largest.Partitions * r.Dimensions * 4 / (largest.Search[SearchMode.Vector].P50 / 1000) / 1e9 / bw;
        md.AppendLine(Inv($"Targets: hybrid p99 under 20 ms at {largest.Partitions:N0} partitions: **{(hybridP99 < 20 ? "met" : "not met")}** ({hybridP99:F1} ms); exact scan at ≥ 70 % of measured bandwidth (vector-mode search at p50): **{(scanShare >= 0.7 ? "met" : "not met")}** ({scanShare:P0})."));
        md.AppendLine();
        md.AppendLine(MemoryEndMarker);
        return md.ToString();
    }

    private static void RenderModel(StringBuilder md, ModelResult m)
    {
        var d = m.Dimensions;
        md.AppendLine(Inv($"### {d.Name}: {m.Layers}{(m.Layers == d.Layers ? " (all)" : $" of {d.Layers}")} layers, hidden {d.Hidden}, {d.Heads} heads / {d.KvHeads} KV heads × {d.HeadSize}, MLP {d.Intermediate}, vocabulary {m.Vocabulary:N0}"));
        md.AppendLine();
        md.AppendLine(Inv($"Random int4 weights (MatMulNBits, block 32, accuracy level 4), GroupQueryAttention with a shared past/present buffer; model.onnx {m.FileBytes / 1e6:F0} MB; session load {m.LoadSeconds:F1} s; KV buffers sized for {m.MaxLength} tokens. Greedy tokens identical across all paths and runs: **{(m.TokensIdentical ? "yes" : "NO")}**."));
        md.AppendLine();
        md.AppendLine(Inv($"Decode: prompt of {m.DecodePrompt} tokens, then {m.DecodeTokens} generated tokens (decode = the {m.DecodeTokens} steps after the first token; allocations = GC.GetAllocatedBytesForCurrentThread around that loop)."));
        md.AppendLine();
        md.AppendLine("| path | sequence start ms | TTFT ms | decode tok/s | ms/token | managed B/token (decode) |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var (path, runs) in m.Decode.OrderBy(p => p.Key))
        {
            var start = Stats.Of(runs.Select(r => r.StartMs));
            var ttft = Stats.Of(runs.Select(r => r.TtftMs));
            var tps = Stats.Of(runs.Select(r => r.DecodeTokens * 1000 / r.DecodeMs));
            var ms = Stats.Of(runs.Select(r => r.DecodeMs / r.DecodeTokens));
            var bytes = Stats.Of(runs.Select(r => r.DecodeAllocatedBytes / (double)r.DecodeTokens));
            md.AppendLine(Inv($"| {Label(path)} | {start.Format("F1")} | {ttft.Format("F0")} | {tps.Format("F2")} | {ms.Format("F1")} | {bytes.Format("F1")} |"));
        }

        md.AppendLine();
        if (m.Decode.TryGetValue(GenerationPath.Reference, out var reference))
        {
            md.AppendLine("| ratio to the reference loop (per repetition, paired) | decode tok/s | TTFT |");
            md.AppendLine("|---|---|---|");
            foreach (var (path, runs) in m.Decode.Where(p => p.Key != GenerationPath.Reference).OrderBy(p => p.Key))
            {
                var speed = Stats.Of(runs.Zip(reference, (a, b) => (a.DecodeTokens / a.DecodeMs) / (b.DecodeTokens / b.DecodeMs)));
                var ttft = Stats.Of(runs.Zip(reference, (a, b) => a.TtftMs / b.TtftMs));
                md.AppendLine(Inv($"| {Label(path)} / reference | {speed.Format("F3")} | {ttft.Format("F3")} |"));
            }

            md.AppendLine();
        }

        md.AppendLine("Prefill (prompt forward pass + first token; prompt tok/s = prompt length / TTFT):");
        md.AppendLine();
        md.AppendLine("| prompt tokens | path | TTFT ms | prompt tok/s | TTFT ours / reference (paired) |");
        md.AppendLine("|---|---|---|---|---|");
        var prefill = new SortedDictionary<int, Dictionary<GenerationPath, List<GenerationRun>>>(m.Prefill)
        {
            [m.DecodePrompt] = m.Decode,
        };
        foreach (var (length, byPath) in prefill)
        {
            foreach (var path in (GenerationPath[])[GenerationPath.Ours, GenerationPath.Reference])
            {
                if (!byPath.TryGetValue(path, out var runs))
                {
                    continue;
                }

                var ttft = Stats.Of(runs.Select(r => r.TtftMs));
                var tps = Stats.Of(runs.Select(r => length * 1000 / r.TtftMs));
                string ratio = path == GenerationPath.Ours && byPath.TryGetValue(GenerationPath.Reference, out var refRuns)
                    ? Stats.Of(runs.Zip(refRuns, (a, b) => a.TtftMs / b.TtftMs)).Format("F3")
                    : string.Empty;
                md.AppendLine(Inv($"| {length} | {Label(path)} | {ttft.Format("F0")} | {tps.Format("F1")} | {ratio} |"));
            }
        }

        md.AppendLine();
    }

    private static string Label(GenerationPath path) => path switch
    {
        GenerationPath.Ours => "ours: OnnxDecoderModel + TokenGenerator",
        GenerationPath.OursSequenceOnly => "ours: OnnxDecoderSequence.Forward + IndexOfMax",
        _ => "reference: raw InferenceSession loop",
    };

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
