namespace SkAgents.ModelHub.Tests;

public sealed class OptionsAndPathsTests
{
    [Fact]
    public void FromEnvironment_reads_HF_ENDPOINT_and_HF_TOKEN()
    {
        var options = HuggingFaceDownloaderOptions.FromEnvironment(new Dictionary<string, string?>
        {
            ["HF_ENDPOINT"] = "https://hf-mirror.example/",
            ["HF_TOKEN"] = " hf_abc ",
            ["SKAGENTS_MODELS_DIR"] = "/data/models",
        });

        Assert.Equal(new Uri("https://hf-mirror.example/"), options.Endpoint);
        Assert.Equal("hf_abc", options.Token);
        Assert.Equal(Path.GetFullPath("/data/models"), options.ModelsDirectory);
        Assert.Equal("main", options.Revision);
    }

    [Fact]
    public void FromEnvironment_defaults_to_huggingface_co_and_reads_the_legacy_token_variable()
    {
        var options = HuggingFaceDownloaderOptions.FromEnvironment(new Dictionary<string, string?>
        {
            ["HUGGING_FACE_HUB_TOKEN"] = "hf_legacy",
            ["XDG_CACHE_HOME"] = "/var/cache/me",
        });

        Assert.Equal(new Uri("https://huggingface.co/"), options.Endpoint);
        Assert.Equal("hf_legacy", options.Token);
        Assert.Equal(Path.GetFullPath(Path.Combine("/var/cache/me", "skagents", "models")), options.ModelsDirectory);
        Assert.Null(HuggingFaceDownloaderOptions.FromEnvironment(new Dictionary<string, string?>()).Token);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://example.com/")]
    public void FromEnvironment_rejects_a_bad_endpoint(string endpoint)
    {
        var ex = Assert.Throws<ArgumentException>(() => HuggingFaceDownloaderOptions.FromEnvironment(new Dictionary<string, string?> { ["HF_ENDPOINT"] = endpoint }));
        Assert.Contains("HF_ENDPOINT", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Repository_directory_is_owner_then_name_under_the_models_folder()
    {
        var root = Path.Combine(Path.GetTempPath(), "models");
        Assert.Equal(Path.Combine(root, "microsoft", "Phi-3.5-mini-instruct-onnx"), ModelHubPaths.GetRepositoryDirectory(root, "microsoft/Phi-3.5-mini-instruct-onnx"));
        Assert.Equal(Path.Combine(root, "gpt2"), ModelHubPaths.GetRepositoryDirectory(root, "gpt2"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b/c")]
    [InlineData("../b")]
    [InlineData("owner/..")]
    [InlineData("owner/na me")]
    [InlineData("/owner/name")]
    [InlineData("owner/.hidden")]
    public void Invalid_repo_ids_are_rejected(string repoId)
    {
        Assert.Throws<ArgumentException>(() => ModelHubPaths.ValidateRepoId(repoId));
    }

    [Theory]
    [InlineData("model.onnx", "model.onnx")]
    [InlineData("cpu/int4/model.onnx", "cpu/int4/model.onnx")]
    [InlineData("cpu/int4/", "cpu/int4")]
    [InlineData(".gitattributes", ".gitattributes")]
    public void Safe_relative_paths_are_normalized(string input, string expected)
    {
        Assert.Equal(expected, ModelHubPaths.NormalizeRelativePath(input));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/abs")]
    [InlineData("a/../b")]
    [InlineData("..")]
    [InlineData("a\\b")]
    [InlineData("C:x")]
    [InlineData("a\u0000b")]
    [InlineData("a/b./c")]
    public void Unsafe_relative_paths_are_refused(string input)
    {
        var ex = Assert.Throws<UnsafePathException>(() => ModelHubPaths.NormalizeRelativePath(input));
        Assert.Equal(input, ex.Path);
        Assert.DoesNotContain('\u0000', ex.Message);
    }

    [Fact]
    public void ResolveInside_keeps_paths_under_the_root()
    {
        var root = Path.Combine(Path.GetTempPath(), "skagents-root");
        Assert.Equal(Path.Combine(root, "a", "b.onnx"), ModelHubPaths.ResolveInside(root, "a/b.onnx"));
        Assert.Throws<UnsafePathException>(() => ModelHubPaths.ResolveInside(root, "../skagents-root-sibling/x"));
    }
}
