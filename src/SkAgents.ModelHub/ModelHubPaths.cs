namespace SkAgents.ModelHub;

/// <summary>Where models live on disk, and the checks that keep hub-supplied names inside that place.</summary>
public static class ModelHubPaths
{
    /// <summary>The environment variable that overrides the models folder.</summary>
    public const string ModelsDirectoryVariable = "SKAGENTS_MODELS_DIR";

    /// <summary>The suffix of a file that is still downloading (resumable).</summary>
    public const string PartialSuffix = ".partial";

    /// <summary>
    /// Gets the per-user models folder: <c>$SKAGENTS_MODELS_DIR</c>, else <c>$XDG_CACHE_HOME/skagents/models</c>,
    /// else <c>%LOCALAPPDATA%\skagents\models</c> on Windows or <c>~/.cache/skagents/models</c> elsewhere.
    /// </summary>
    /// <param name="environment">The variables; the process environment when <see langword="null"/>.</param>
    /// <returns>The full path of the folder (it may not exist yet).</returns>
    public static string GetDefaultModelsDirectory(IReadOnlyDictionary<string, string?>? environment = null)
    {
        string? Read(string name) =>
            environment is null ? Environment.GetEnvironmentVariable(name)
            : environment.TryGetValue(name, out var value) ? value : null;

        if (Read(ModelsDirectoryVariable) is { Length: > 0 } explicitFolder)
        {
            return Path.GetFullPath(explicitFolder);
        }

        var cache = Read("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(cache))
        {
            cache = OperatingSystem.IsWindows()
                ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }

        return Path.GetFullPath(Path.Combine(cache, "skagents", "models"));
    }

    /// <summary>Gets the folder a repository is stored in under a models folder: <c>&lt;models&gt;/&lt;owner&gt;/&lt;name&gt;</c>.</summary>
    /// <param name="modelsDirectory">The models folder.</param>
    /// <param name="repoId">The repository id, e.g. <c>microsoft/Phi-3-mini-4k-instruct-onnx</c>.</param>
    /// <returns>The full path.</returns>
    /// <exception cref="ArgumentException">The repository id is not valid.</exception>
    public static string GetRepositoryDirectory(string modelsDirectory, string repoId)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelsDirectory);
        ValidateRepoId(repoId);
        return Path.GetFullPath(Path.Combine([modelsDirectory, .. repoId.Split('/')]));
    }

    /// <summary>Checks a repository id: <c>name</c> or <c>owner/name</c>, each part letters, digits, <c>-</c>, <c>_</c> and <c>.</c>.</summary>
    /// <param name="repoId">The id.</param>
    /// <exception cref="ArgumentException">The id is not valid.</exception>
    public static void ValidateRepoId(string repoId)
    {
        ArgumentNullException.ThrowIfNull(repoId);
        var parts = repoId.Split('/');
        bool ok = parts.Length is 1 or 2 && parts.All(p =>
            p.Length is > 0 and <= 96
            && p is not "." and not ".."
            && !p.StartsWith('.')
            && !p.Contains("..", StringComparison.Ordinal)
            && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'));
        if (!ok)
        {
            throw new ArgumentException($"'{repoId}' is not a Hugging Face repository id (expected owner/name).", nameof(repoId));
        }
    }

    /// <summary>
    /// Checks a path relative to a repository root (from a listing or <c>--include</c>) and returns it normalized:
    /// forward slashes, no leading or trailing slash. Refuses absolute paths, drive letters, backslashes,
    /// <c>.</c>/<c>..</c> segments, empty segments and control characters.
    /// </summary>
    /// <param name="path">The relative path.</param>
    /// <returns>The normalized path.</returns>
    /// <exception cref="UnsafePathException">The path could point outside the folder it is meant for.</exception>
    public static string NormalizeRelativePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? reason = null;
        if (path.Length == 0)
        {
            reason = "it is empty";
        }
        else if (path.StartsWith('/') || path.StartsWith('\\'))
        {
            reason = "it is absolute";
        }
        else if (path.Contains('\\', StringComparison.Ordinal))
        {
            reason = "it contains a backslash";
        }
        else if (path.Contains(':', StringComparison.Ordinal))
        {
            reason = "it contains a colon (drive letter or stream name)";
        }
        else if (path.Any(char.IsControl))
        {
            reason = "it contains a control character";
        }
        else
        {
            var segments = path.TrimEnd('/').Split('/');
            if (segments.Any(s => s.Length == 0))
            {
                reason = "it has an empty segment";
            }
            else if (segments.Any(s => s is "." or ".."))
            {
                reason = "it has a '.' or '..' segment";
            }
            else if (segments.Any(s => s.EndsWith(' ') || s.EndsWith('.')))
            {
                reason = "a segment ends with a space or a dot";
            }
        }

        return reason is null ? path.TrimEnd('/') : throw new UnsafePathException(path, reason);
    }

    /// <summary>Combines a folder with a checked relative path and makes sure the result stays inside the folder.</summary>
    /// <param name="root">The folder.</param>
    /// <param name="relativePath">The relative path, with forward slashes.</param>
    /// <returns>The full local path.</returns>
    /// <exception cref="UnsafePathException">The path would leave the folder.</exception>
    public static string ResolveInside(string root, string relativePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        var normalized = NormalizeRelativePath(relativePath);
        var fullRoot = Path.GetFullPath(root);
        var full = Path.GetFullPath(Path.Combine([fullRoot, .. normalized.Split('/')]));
        var prefix = Path.EndsInDirectorySeparator(fullRoot) ? fullRoot : fullRoot + Path.DirectorySeparatorChar;
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return full.StartsWith(prefix, comparison) ? full : throw new UnsafePathException(relativePath, "it resolves outside the target folder");
    }
}
