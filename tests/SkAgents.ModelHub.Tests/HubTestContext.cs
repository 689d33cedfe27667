using System.Collections.Concurrent;
using SkAgents.Testing;

namespace SkAgents.ModelHub.Tests;

/// <summary>A fake hub with a realistic onnxruntime-genai repository, a temp folder, and a downloader factory.</summary>
internal sealed class HubTestContext : IAsyncDisposable
{
    public const string RepoId = "microsoft/Phi-3-mini-4k-instruct-onnx";
    public const string CpuFolder = "cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4";
    public const string BigFile = CpuFolder + "/phi3-mini-4k-instruct-cpu-int4-rtn-block-32-acc-level-4.onnx.data";
    public const string OnnxFile = CpuFolder + "/phi3-mini-4k-instruct-cpu-int4-rtn-block-32-acc-level-4.onnx";
    public const string ConfigFile = CpuFolder + "/genai_config.json";

    private HubTestContext(FakeHuggingFaceHub hub, FakeRepo repo)
    {
        Hub = hub;
        Repo = repo;
        Root = Path.Combine(Path.GetTempPath(), "skagents-hub-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Target = Path.Combine(Root, "models", "microsoft", "Phi-3-mini-4k-instruct-onnx");
    }

    public FakeHuggingFaceHub Hub { get; }

    public FakeRepo Repo { get; }

    public string Root { get; }

    public string Target { get; }

    public static async Task<HubTestContext> StartAsync()
    {
        var hub = await FakeHuggingFaceHub.StartAsync();
        var repo = hub.AddRepo(RepoId);
        repo.Add(".gitattributes", "*.onnx filter=lfs diff=lfs merge=lfs -text\n*.onnx.data filter=lfs diff=lfs merge=lfs -text\ntokenizer.json filter=lfs diff=lfs merge=lfs -text\n");
        repo.Add("README.md", "---\nlicense: mit\npipeline_tag: text-generation\n---\n# Phi-3 Mini-4K-Instruct ONNX models\n");
        repo.Add(ConfigFile, "{\"model\": {\"type\": \"phi3\", \"context_length\": 4096, \"decoder\": {\"filename\": \"phi3-mini-4k-instruct-cpu-int4-rtn-block-32-acc-level-4.onnx\"}}}\n");
        repo.Add(CpuFolder + "/tokenizer.json", Bytes(1, 40_000), lfs: true);
        repo.Add(CpuFolder + "/tokenizer_config.json", "{\"bos_token\": \"<s>\", \"eos_token\": \"<|endoftext|>\"}\n");
        repo.Add(OnnxFile, Bytes(2, 200_000), lfs: true);
        repo.Add(BigFile, Bytes(3, 3 * 1024 * 1024 + 123), lfs: true);
        repo.Add("cuda/cuda-int4-rtn-block-32/genai_config.json", "{\"model\": {\"type\": \"phi3\"}}\n");
        repo.Add("cuda/cuda-int4-rtn-block-32/model.onnx.data", Bytes(4, 100_000), lfs: true);
        return new HubTestContext(hub, repo);
    }

    public static byte[] Bytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public HuggingFaceDownloaderOptions Options(Action<HuggingFaceDownloaderOptions>? configure = null)
    {
        var options = new HuggingFaceDownloaderOptions
        {
            Endpoint = Hub.Endpoint,
            ModelsDirectory = Path.Combine(Root, "models"),
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
            MaxRetryDelay = TimeSpan.FromSeconds(5),
            ReadTimeout = TimeSpan.FromSeconds(20),
            MaxParallelDownloads = 4,
        };
        configure?.Invoke(options);
        return options;
    }

    public HuggingFaceModelDownloader Downloader(Action<HuggingFaceDownloaderOptions>? configure = null) => new(Options(configure));

    public string LocalPath(string repoPath) => Path.Combine([Target, .. repoPath.Split('/')]);

    public void AssertIdentical(string repoPath) =>
        Assert.Equal(Repo.File(repoPath).Content, File.ReadAllBytes(LocalPath(repoPath)));

    public IReadOnlyList<HubRequest> CdnRequests(string repoPath) =>
        [.. Hub.Requests.Where(r => r.Server == "cdn" && r.Path.EndsWith(Repo.File(repoPath).Sha256, StringComparison.Ordinal))];

    public IReadOnlyList<HubRequest> ResolveRequests() =>
        [.. Hub.Requests.Where(r => r.Server == "hub" && r.Path.Contains("/resolve/", StringComparison.Ordinal))];

    public IReadOnlyList<string> PartialFiles() =>
        Directory.Exists(Root) ? Directory.GetFiles(Root, "*" + ModelHubPaths.PartialSuffix, SearchOption.AllDirectories) : [];

    public async ValueTask DisposeAsync()
    {
        await Hub.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans temp folders.
        }
    }
}

/// <summary>Collects progress reports synchronously, in the order they are made.</summary>
internal sealed class RecordingProgress(Action<DownloadProgress>? onReport = null) : IProgress<DownloadProgress>
{
    public ConcurrentQueue<DownloadProgress> Reports { get; } = new();

    public void Report(DownloadProgress value)
    {
        Reports.Enqueue(value);
        onReport?.Invoke(value);
    }

    public string Text => string.Join("\n", Reports.Select(r => $"{r.Stage} {r.FilePath} {r.Message}"));
}
