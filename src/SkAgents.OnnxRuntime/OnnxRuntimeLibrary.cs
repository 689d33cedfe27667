using System.Runtime.InteropServices;
using SkAgents.OnnxRuntime.Native;

namespace SkAgents.OnnxRuntime;

/// <summary>
/// Locates and loads the ONNX Runtime shared library. Probe order:
/// <list type="number">
/// <item><description><c>ORT_DYLIB_PATH</c> (an explicit override: when set, it is the only candidate),</description></item>
/// <item><description>the application folder (<see cref="AppContext.BaseDirectory"/>), where the build copies the library,</description></item>
/// <item><description>the folder of this assembly, if different,</description></item>
/// <item><description>the per-user cache filled by the build:
/// <c>$XDG_CACHE_HOME</c> (or <c>%LOCALAPPDATA%</c> on Windows, or <c>~/.cache</c>)<c>/skagents/onnxruntime/1.30.0/&lt;rid&gt;/</c>.</description></item>
/// </list>
/// The library is loaded explicitly with <see cref="NativeLibrary.Load(string)"/> (no DllImport), so the
/// OS search path, and any other onnxruntime library on it, is never consulted.
/// </summary>
public static class OnnxRuntimeLibrary
{
    /// <summary>Environment variable that overrides the library path.</summary>
    public const string OverrideVariable = "ORT_DYLIB_PATH";

    /// <summary>The ONNX Runtime version the build provisions.</summary>
    public const string ExpectedVersion = "1.30.0";

    /// <summary>C API version requested from <c>OrtApiBase::GetApi</c>.</summary>
    public const int ApiVersion = (int)NativeApi.ApiVersion;

    /// <summary>The version string reported by the loaded library (<c>GetVersionString</c>); loads it if needed.</summary>
    public static string Version
    {
        get
        {
            NativeApi.EnsureInitialized();
            return NativeApi.VersionString;
        }
    }

    /// <summary>The full path of the loaded library; loads it if needed.</summary>
    public static string LoadedPath
    {
        get
        {
            NativeApi.EnsureInitialized();
            return NativeApi.LoadedLibraryPath;
        }
    }

    /// <summary>The runtime identifier used for the cache folder (e.g. <c>linux-x64</c>).</summary>
    public static string RuntimeIdentifier
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            return os + "-" + arch;
        }
    }

    /// <summary>The file name of the library on this OS.</summary>
    public static string LibraryFileName =>
        OperatingSystem.IsWindows() ? "onnxruntime.dll" : OperatingSystem.IsMacOS() ? "libonnxruntime.1.dylib" : "libonnxruntime.so.1";

    /// <summary>The per-user cache folder that the build fills for this OS/architecture.</summary>
    public static string CacheDirectory
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(root))
            {
                root = OperatingSystem.IsWindows()
                    ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            }

            return Path.Combine(root, "skagents", "onnxruntime", ExpectedVersion, RuntimeIdentifier);
        }
    }

    internal static string? OrtDylibPathOverride => Environment.GetEnvironmentVariable(OverrideVariable);

    /// <summary>The candidate paths, in probe order, for the current process and environment.</summary>
    /// <returns>The candidate full paths.</returns>
    public static IReadOnlyList<string> GetProbePaths() =>
        BuildProbePaths(
            OrtDylibPathOverride,
            AppContext.BaseDirectory,
            Path.GetDirectoryName(typeof(OnnxRuntimeLibrary).Assembly.Location),
            CacheDirectory,
            LibraryFileName);

    /// <summary>Pure path selection: the candidates in probe order (no file system access).</summary>
    internal static IReadOnlyList<string> BuildProbePaths(
        string? ortDylibPath, string? appDirectory, string? assemblyDirectory, string cacheDirectory, string fileName)
    {
        if (!string.IsNullOrWhiteSpace(ortDylibPath))
        {
            return [Path.GetFullPath(ortDylibPath)];
        }

        var paths = new List<string>(3);
        foreach (string? dir in new[] { appDirectory, assemblyDirectory, cacheDirectory })
        {
            if (string.IsNullOrEmpty(dir))
            {
                continue;
            }

            string candidate = Path.GetFullPath(Path.Combine(dir, fileName));
            if (!paths.Contains(candidate, StringComparer.Ordinal))
            {
                paths.Add(candidate);
            }
        }

        return paths;
    }

    /// <summary>Loads the first existing candidate; throws a clear error naming every path tried.</summary>
    internal static nint LoadFirst(string? ortDylibPath, IReadOnlyList<string> candidates, out string loadedPath)
    {
        if (!string.IsNullOrWhiteSpace(ortDylibPath) && !File.Exists(candidates[0]))
        {
            throw new OnnxRuntimeLoadException(
                $"{OverrideVariable} is set to '{ortDylibPath}', but no file exists at '{candidates[0]}'. " +
                $"Fix or unset {OverrideVariable} (without it the library is looked up next to the application and in '{CacheDirectory}').",
                candidates);
        }

        Exception? lastError = null;
        var tried = new List<string>(candidates.Count);
        foreach (string candidate in candidates)
        {
            if (!File.Exists(candidate))
            {
                tried.Add(candidate + " (not found)");
                continue;
            }

            try
            {
                nint handle = NativeLibrary.Load(candidate);
                loadedPath = candidate;
                return handle;
            }
            catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
            {
                lastError = ex;
                tried.Add(candidate + " (" + ex.Message + ")");
            }
        }

        throw new OnnxRuntimeLoadException(
            $"The ONNX Runtime {ExpectedVersion} native library could not be loaded. Tried: {string.Join("; ", tried)}. " +
            $"Build a project that references SkAgents.OnnxRuntime (the build downloads and verifies the library), " +
            $"or set {OverrideVariable} to the full path of an ONNX Runtime {ExpectedVersion} library.",
            candidates,
            lastError);
    }

    /// <summary>
    /// Checks, without touching the process-wide binding, that <paramref name="path"/> is an ONNX Runtime
    /// library offering C API version <see cref="ApiVersion"/>. Returns its version string.
    /// </summary>
    /// <param name="path">Full path of a candidate library.</param>
    /// <returns>The library's version string.</returns>
    /// <exception cref="OnnxRuntimeLoadException">The file is missing, not loadable, not ONNX Runtime, or too old.</exception>
    public static unsafe string Probe(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        nint handle = LoadFirst(null, [full], out _);
        try
        {
            NativeApi.ReadApiTable(handle, full, out string version);
            return version;
        }
        finally
        {
            // Reference counted: a library that this process already uses stays loaded.
            NativeLibrary.Free(handle);
        }
    }
}
