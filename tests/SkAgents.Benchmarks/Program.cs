using System.Diagnostics;
using SkAgents.Benchmarks;
using SkAgents.ModelFactory.Models;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

#if DEBUG
Console.Error.WriteLine("WARNING: Debug build; figures are not representative. Use -c Release.");
#endif

var started = Stopwatch.GetTimestamp();
var machine = MachineInfo.Collect();
Console.WriteLine($"{machine.Cpu}, {machine.Cores} cores, {machine.Memory}; {machine.Runtime}; ONNX Runtime {machine.OrtVersion}; intra-op threads {options.Threads}");

var models = new List<ModelResult>();
var probes = new List<LayerProbeResult>();
ArgMaxResult? argMax = null;
OverheadResult? overhead = null;
(long Bytes, Stats AllocateFreeMs, Stats AllocateClearFreeMs, Stats WithWriteMs, Stats ReusedWriteMs)? prefillBuffer = null;
if (options.Generation)
{
    var selected = new List<(DecoderDimensions Dimensions, int Layers)>();
    if (options.Model is "qwen" or "all")
    {
        selected.Add((DecoderDimensions.Qwen25HalfB, options.Layers ?? (options.Quick ? 6 : DecoderDimensions.Qwen25HalfB.Layers)));
    }

    if (options.Model is "phi3" or "all")
    {
        selected.Add((DecoderDimensions.Phi3Mini, options.Layers ?? (options.Quick ? 2 : 4)));
    }

    foreach (var (dimensions, layers) in selected)
    {
        Console.WriteLine($"Generation: {dimensions.Name}, {layers} layers");
        models.Add(GenerationBench.Run(options, dimensions, layers));
    }

    if (models.Count > 0)
    {
        argMax = Probes.ArgMax(models.Max(m => m.Vocabulary), options.Quick ? 5 : 11);
        Console.WriteLine("Managed overhead probe (hidden-64 decoder, same layers/vocabulary as the first model):");
        overhead = Probes.StepOverhead(options, models[0].Layers, models[0].Vocabulary);
        prefillBuffer = Probes.PrefillLogitsBuffer(options.Prompts.Max(), models[0].Vocabulary, options.Quick ? 3 : 7);
        Console.WriteLine($"Prefill logits buffer {prefillBuffer.Value.Bytes / 1e6:F0} MB: allocate+free {prefillBuffer.Value.AllocateFreeMs.Format("F1")} ms, OrtValue.Allocate (zeroed)+free {prefillBuffer.Value.AllocateClearFreeMs.Format("F1")} ms, + one write pass {prefillBuffer.Value.WithWriteMs.Format("F1")} ms, write pass into a reused buffer {prefillBuffer.Value.ReusedWriteMs.Format("F1")} ms");
        Console.WriteLine($"Arg-max over {argMax.Vocabulary} logits: IndexOfMax {argMax.IndexOfMaxMicroseconds.Format("F1")} µs, plain loop {argMax.PlainLoopMicroseconds.Format("F1")} µs");
    }
}

if (options.LayerProbe)
{
    Console.WriteLine("Allocation probe by layer count:");
    probes = Probes.LayerAllocations(options, [24, 31, 32, 36]);
}

var tokenizers = new List<TokenizerResult>();
if (options.Tokenizers)
{
    Console.WriteLine("Tokenizers:");
    tokenizers = TokenizerBench.Run(options);
}

if (options.Memory)
{
    Console.WriteLine("Memory store:");
    var memory = MemoryBench.Run(options);
    string memoryMarkdown = Report.RenderMemory(options, machine, memory, Stopwatch.GetElapsedTime(started));
    Console.WriteLine();
    Console.WriteLine(memoryMarkdown);
    if (options.Output is { } memoryOutput)
    {
        Report.WriteInto(memoryOutput, memoryMarkdown, Report.MemoryBeginMarker, Report.MemoryEndMarker);
        Console.WriteLine($"Wrote {memoryOutput}");
    }

    if (!options.Generation && !options.Tokenizers && !options.LayerProbe)
    {
        return 0;
    }
}

string markdown = Report.Render(options, machine, models, overhead, prefillBuffer, probes, argMax, tokenizers, Stopwatch.GetElapsedTime(started));
Console.WriteLine();
Console.WriteLine(markdown);
if (options.Output is { } output)
{
    Report.WriteInto(output, markdown);
    Console.WriteLine($"Wrote {output}");
}

return 0;
