using System.Globalization;

namespace SkAgents.Benchmarks;

/// <summary>Command-line options of the benchmark command.</summary>
internal sealed record BenchOptions
{
    public bool Quick { get; init; }

    /// <summary>"qwen", "phi3" or "all".</summary>
    public string Model { get; init; } = "all";

    /// <summary>Layer count for the selected model(s); null uses the per-model default.</summary>
    public int? Layers { get; init; }

    /// <summary>Logits width override (smaller vocabularies for fast experiments); null keeps the real one.</summary>
    public int? Vocabulary { get; init; }

    /// <summary>Generated (decode) tokens per measured run.</summary>
    public int Tokens { get; init; } = 128;

    /// <summary>Prompt lengths measured for prefill/TTFT; the first one is also the decode context.</summary>
    public IReadOnlyList<int> Prompts { get; init; } = [128, 512];

    public int Warmup { get; init; } = 1;

    public int Repetitions { get; init; } = 5;

    public int Threads { get; init; } = Environment.ProcessorCount;

    public bool? Spinning { get; init; }

    public bool Generation { get; init; } = true;

    public bool Tokenizers { get; init; } = true;

    /// <summary>Memory store benchmarks (partitioning, SQLite import, search latency, vector scan vs bandwidth); only with --only memory.</summary>
    public bool Memory { get; init; }

    /// <summary>Also time OnnxDecoderSequence.Forward + argmax without TokenGenerator (attributes the overhead).</summary>
    public bool Breakdown { get; init; } = true;

    /// <summary>Also probe per-token allocations of small models with many layers (the stack limit of InferenceSession.Run).</summary>
    public bool LayerProbe { get; init; } = true;

    public string? Output { get; init; }

    public string ModelCache { get; init; } = DefaultModelCache();

    /// <summary>Minimum UTF-8 size of each tokenizer corpus.</summary>
    public int CorpusBytes { get; init; } = 1_000_000;

    public string CommandLine { get; init; } = string.Empty;

    public static string Usage => """
        SkAgents benchmark command: local generation and tokenization (or, with --only memory, the memory store), all in one process.

          dotnet run -c Release --project tests/SkAgents.Benchmarks -- [options]

        Options:
          --quick                 short run (32 tokens, prompts 32/128, 1 warm-up, 3 repetitions, fewer layers)
          --model qwen|phi3|all   which realistic-shape model(s) to generate with (default all)
          --layers N              layer count (default: qwen 24 = full depth, phi3 4; quick: qwen 6, phi3 2)
          --vocab N               logits width override (default: the real vocabulary)
          --tokens N              generated tokens per measured decode run (default 128)
          --prompts A,B           prompt lengths for prefill/TTFT; the first is the decode context (default 128,512)
          --warmup N              warm-up runs per scenario and path (default 1)
          --reps N                measured repetitions (default 5)
          --threads N             ORT intra-op threads (default: number of cores)
          --spin | --no-spin      ORT worker spinning (default: ORT's default, spinning on)
          --no-breakdown          skip the OnnxDecoderSequence-only variant
          --no-layer-probe        skip the many-layers allocation probe
          --only generation|tokenizers|memory
                                  memory: partitioning, SQLite import, keyword/vector/hybrid search at 10k and 100k
                                  partitions (quick: 10k and 30k), vector scan vs memory bandwidth; --output writes its
                                  own section (separate markers), leaving the generation/tokenizer results as they are
          --corpus-bytes N        minimum size of each tokenizer corpus (default 1000000)
          --model-cache DIR       where generated models are kept (default ~/.cache/skagents/bench-models)
          --output FILE           write/update the generated section of a markdown file (e.g. docs/benchmarks.md)
        """;

    public static BenchOptions Parse(string[] args)
    {
        bool quick = args.Contains("--quick");
        var options = quick
            ? new BenchOptions { Quick = true, Tokens = 32, Prompts = [32, 128], Warmup = 1, Repetitions = 3, CorpusBytes = 300_000 }
            : new BenchOptions();
        options = options with { CommandLine = string.Join(' ', args) };
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--quick":
                    break;
                case "--model":
                    string model = Next(args, ref i).ToLowerInvariant();
                    if (model is not ("qwen" or "phi3" or "all"))
                    {
                        throw new ArgumentException($"--model must be qwen, phi3 or all, not '{model}'.");
                    }

                    options = options with { Model = model };
                    break;
                case "--layers":
                    options = options with { Layers = Positive(args, ref i) };
                    break;
                case "--vocab":
                    options = options with { Vocabulary = Positive(args, ref i) };
                    break;
                case "--tokens":
                    options = options with { Tokens = Positive(args, ref i) };
                    break;
                case "--prompts":
                    options = options with { Prompts = [.. Next(args, ref i).Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture))] };
                    break;
                case "--warmup":
                    options = options with { Warmup = int.Parse(Next(args, ref i), CultureInfo.InvariantCulture) };
                    break;
                case "--reps":
                    options = options with { Repetitions = Positive(args, ref i) };
                    break;
                case "--threads":
                    options = options with { Threads = Positive(args, ref i) };
                    break;
                case "--spin":
                    options = options with { Spinning = true };
                    break;
                case "--no-spin":
                    options = options with { Spinning = false };
                    break;
                case "--no-breakdown":
                    options = options with { Breakdown = false };
                    break;
                case "--no-layer-probe":
                    options = options with { LayerProbe = false };
                    break;
                case "--only":
                    string only = Next(args, ref i);
                    options = only switch
                    {
                        "generation" => options with { Tokenizers = false },
                        "tokenizers" => options with { Generation = false, LayerProbe = false },
                        "memory" => options with { Generation = false, LayerProbe = false, Tokenizers = false, Memory = true },
                        _ => throw new ArgumentException($"--only must be generation, tokenizers or memory, not '{only}'."),
                    };
                    break;
                case "--corpus-bytes":
                    options = options with { CorpusBytes = Positive(args, ref i) };
                    break;
                case "--model-cache":
                    options = options with { ModelCache = Path.GetFullPath(Next(args, ref i)) };
                    break;
                case "--output":
                    options = options with { Output = Path.GetFullPath(Next(args, ref i)) };
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{arg}'.");
            }
        }

        if (options.Prompts.Count == 0 || options.Prompts.Any(p => p < 1))
        {
            throw new ArgumentException("--prompts needs positive lengths.");
        }

        return options;
    }

    private static string Next(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value.");

    private static int Positive(string[] args, ref int i)
    {
        int value = int.Parse(Next(args, ref i), CultureInfo.InvariantCulture);
        return value > 0 ? value : throw new ArgumentException($"{args[i - 1]} must be positive.");
    }

    private static string DefaultModelCache()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Combine(root, "skagents", "bench-models");
    }
}
