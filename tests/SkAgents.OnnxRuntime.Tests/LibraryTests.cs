using System.Runtime.InteropServices;

namespace SkAgents.OnnxRuntime.Tests;

public class LibraryTests
{
    [Fact]
    public void Version_string_is_1_30()
    {
        Assert.StartsWith("1.30.", OnnxRuntimeLibrary.Version, StringComparison.Ordinal);
        Assert.Equal(30, OnnxRuntimeLibrary.ApiVersion);
    }

    [Fact]
    public void Library_is_loaded_from_the_app_folder_where_the_build_copied_it()
    {
        string loaded = OnnxRuntimeLibrary.LoadedPath;
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, OnnxRuntimeLibrary.LibraryFileName), loaded);
        Assert.True(File.Exists(loaded));
    }

    [Fact]
    public void Build_cached_the_library_in_the_per_user_cache()
    {
        string cached = Path.Combine(OnnxRuntimeLibrary.CacheDirectory, OnnxRuntimeLibrary.LibraryFileName);
        Assert.True(File.Exists(cached), cached);
        Assert.Equal(new FileInfo(cached).Length, new FileInfo(OnnxRuntimeLibrary.LoadedPath).Length);
        Assert.Contains(Path.Combine("skagents", "onnxruntime", "1.30.0", OnnxRuntimeLibrary.RuntimeIdentifier), cached, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_order_is_override_only_when_set()
    {
        var paths = OnnxRuntimeLibrary.BuildProbePaths("/opt/ort/libonnxruntime.so.1", "/app", "/asm", "/cache", "libonnxruntime.so.1");
        Assert.Equal([Path.GetFullPath("/opt/ort/libonnxruntime.so.1")], paths);
    }

    [Fact]
    public void Probe_order_is_app_then_assembly_then_cache_without_duplicates()
    {
        var paths = OnnxRuntimeLibrary.BuildProbePaths(null, "/app", "/app", "/cache", "lib.so");
        Assert.Equal([Path.GetFullPath("/app/lib.so"), Path.GetFullPath("/cache/lib.so")], paths);

        var three = OnnxRuntimeLibrary.BuildProbePaths("  ", "/app", "/asm", "/cache", "lib.so");
        Assert.Equal([Path.GetFullPath("/app/lib.so"), Path.GetFullPath("/asm/lib.so"), Path.GetFullPath("/cache/lib.so")], three);
    }

    [Fact]
    public void Ort_dylib_path_pointing_at_a_missing_file_gives_a_clear_error()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "libonnxruntime.so.1");
        var candidates = OnnxRuntimeLibrary.BuildProbePaths(missing, "/app", null, "/cache", "libonnxruntime.so.1");
        var ex = Assert.Throws<OnnxRuntimeLoadException>(() => OnnxRuntimeLibrary.LoadFirst(missing, candidates, out _));
        Assert.Contains("ORT_DYLIB_PATH", ex.Message, StringComparison.Ordinal);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Equal([missing], ex.ProbedPaths);
    }

    [Fact]
    public void No_candidate_found_names_every_path_tried()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ort-missing-" + Guid.NewGuid().ToString("N"));
        var candidates = OnnxRuntimeLibrary.BuildProbePaths(null, Path.Combine(dir, "app"), null, Path.Combine(dir, "cache"), "libonnxruntime.so.1");
        var ex = Assert.Throws<OnnxRuntimeLoadException>(() => OnnxRuntimeLibrary.LoadFirst(null, candidates, out _));
        Assert.Contains(candidates[0], ex.Message, StringComparison.Ordinal);
        Assert.Contains(candidates[1], ex.Message, StringComparison.Ordinal);
        Assert.Contains("ORT_DYLIB_PATH", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_accepts_the_real_library_and_rejects_a_library_that_is_not_onnx_runtime()
    {
        Assert.StartsWith("1.30.", OnnxRuntimeLibrary.Probe(OnnxRuntimeLibrary.LoadedPath), StringComparison.Ordinal);

        string jit = Path.Combine(
            RuntimeEnvironment.GetRuntimeDirectory(),
            OperatingSystem.IsWindows() ? "clrjit.dll" : OperatingSystem.IsMacOS() ? "libclrjit.dylib" : "libclrjit.so");
        Assert.True(File.Exists(jit), jit);
        var ex = Assert.Throws<OnnxRuntimeLoadException>(() => OnnxRuntimeLibrary.Probe(jit));
        Assert.Contains("OrtGetApiBase", ex.Message, StringComparison.Ordinal);
        Assert.Contains(jit, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_is_a_single_lazily_created_instance()
    {
        var a = OrtEnvironment.Instance;
        var b = OrtEnvironment.Instance;
        Assert.Same(a, b);
        Assert.True(OrtEnvironment.IsCreated);
        Assert.Equal(OrtLoggingLevel.Warning, a.LoggingLevel);

        // Re-configuring with the same settings is fine; different settings after creation are rejected.
        OrtEnvironment.Configure(a.LoggingLevel, a.LogId);
        Assert.Throws<InvalidOperationException>(() => OrtEnvironment.Configure(OrtLoggingLevel.Verbose, "other"));
    }
}
