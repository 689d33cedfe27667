using System.ComponentModel;
using System.Text;
using SkAgents.Plugins;

namespace SkAgents.Plugins.Files;

/// <summary>
/// Lists, reads and searches text files inside one allowed folder, and writes files there with approval.
/// Every path is resolved against the folder and refused if it leaves it, whether by <c>..</c>, an absolute path or
/// a symbolic link.
/// </summary>
[Plugin("files")]
[Description("Lists, reads and searches text files in the allowed folder; writes files there with approval.")]
public sealed class FilesPlugin
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly FilesPluginOptions _options;
    private readonly string _root;

    /// <summary>Creates the plugin.</summary>
    /// <param name="options">The allowed folder and limits.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public FilesPlugin(FilesPluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.RootDirectory, nameof(options.RootDirectory));
        var root = Path.GetFullPath(options.RootDirectory);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"The files plugin's folder '{root}' does not exist.");
        }

        // Compare against the real location so that a root reached through a symbolic link still works.
        _root = Path.TrimEndingDirectorySeparator(ResolveRealPath(root));
        _options = options;
    }

    /// <summary>Gets the allowed folder (fully resolved).</summary>
    public string RootDirectory => _root;

    /// <summary>Lists files and folders.</summary>
    /// <param name="path">A folder relative to the allowed folder.</param>
    /// <param name="pattern">A file-name pattern such as <c>*.md</c>.</param>
    /// <param name="recursive">Whether to include subfolders.</param>
    /// <returns>The entries, with paths relative to the allowed folder.</returns>
    [ReadOnlyTool]
    [Description("Lists files and folders in a folder (relative to the allowed folder).")]
    public FileListing List(
        [Description("Folder relative to the allowed folder; '.' for the folder itself.")] string path = ".",
        [Description("File-name pattern such as *.md or *; applies to files only.")] string pattern = "*",
        [Description("Whether to include subfolders.")] bool recursive = false)
    {
        var directory = Resolve(path);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"There is no folder '{path}' in the allowed folder.");
        }

        var entries = new List<FileEntry>();
        var truncated = false;
        var options = new EnumerationOptions { RecurseSubdirectories = recursive, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var info in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", options))
        {
            var isDirectory = info is DirectoryInfo;
            if (!isDirectory && !System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, info.Name))
            {
                continue;
            }

            if (entries.Count == _options.MaxEntries)
            {
                truncated = true;
                break;
            }

            entries.Add(new FileEntry(
                Relative(info.FullName),
                isDirectory ? "directory" : "file",
                isDirectory ? null : ((FileInfo)info).Length,
                info.LastWriteTimeUtc));
        }

        entries.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new FileListing(Relative(directory), entries, truncated);
    }

    /// <summary>Reads a text file.</summary>
    /// <param name="path">The file, relative to the allowed folder.</param>
    /// <param name="startLine">The first line to return (1-based).</param>
    /// <param name="maxLines">The most lines to return; all when 0.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The text and where it came from.</returns>
    [ReadOnlyTool]
    [Description("Reads a UTF-8 text file, optionally a range of lines.")]
    public async Task<FileText> ReadAsync(
        [Description("File path relative to the allowed folder.")] string path,
        [Description("First line to return, 1-based.")] int startLine = 1,
        [Description("Most lines to return; 0 for all.")] int maxLines = 0,
        CancellationToken cancellationToken = default)
    {
        if (startLine < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(startLine), startLine, "startLine must be 1 or more.");
        }

        if (maxLines < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLines), maxLines, "maxLines must be 0 (all) or more.");
        }

        var file = ResolveExistingFile(path);
        var text = await ReadTextAsync(file, path, cancellationToken).ConfigureAwait(false);
        var lines = text.Split('\n');
        var total = text.Length == 0 ? 0 : lines.Length - (text.EndsWith('\n') ? 1 : 0);
        if (startLine == 1 && maxLines == 0)
        {
            return new FileText(Relative(file), text, 1, total, total);
        }

        var selected = lines.Skip(startLine - 1).Take(maxLines == 0 ? int.MaxValue : maxLines).Take(Math.Max(0, total - startLine + 1)).ToArray();
        return new FileText(Relative(file), string.Join('\n', selected), startLine, selected.Length == 0 ? startLine - 1 : startLine + selected.Length - 1, total);
    }

    /// <summary>Finds lines containing some text.</summary>
    /// <param name="query">The text to find (case-insensitive).</param>
    /// <param name="pattern">Which files to search, e.g. <c>*.md</c>.</param>
    /// <param name="maxResults">The most matching lines to return.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The matching lines with their files and line numbers.</returns>
    [ReadOnlyTool]
    [Description("Searches the text files in the allowed folder (recursively) for lines containing some text, case-insensitively.")]
    public async Task<SearchResults> SearchAsync(
        [Description("Text to find.")] string query,
        [Description("File-name pattern such as *.md or *.")] string pattern = "*",
        [Description("Most matching lines to return.")] int maxResults = 50,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        if (maxResults < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxResults), maxResults, "maxResults must be at least 1.");
        }

        var matches = new List<SearchMatch>();
        var scanned = 0;
        var truncated = false;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden };
        foreach (var file in Directory.EnumerateFiles(_root, pattern, options).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (truncated || scanned++ == _options.MaxEntries)
            {
                truncated = true;
                break;
            }

            var info = new FileInfo(file);
            if (info.Length > _options.MaxReadBytes)
            {
                continue;
            }

            string text;
            try
            {
                text = await ReadTextAsync(file, file, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException)
            {
                continue; // binary or not UTF-8: not a text file to search
            }

            var lineNumber = 0;
            foreach (var line in text.Split('\n'))
            {
                lineNumber++;
                if (line.Contains(query, StringComparison.OrdinalIgnoreCase))
                {
                    if (matches.Count == maxResults)
                    {
                        truncated = true;
                        break;
                    }

                    matches.Add(new SearchMatch(Relative(file), lineNumber, line.TrimEnd('\r')));
                }
            }
        }

        return new SearchResults(query, matches, truncated);
    }

    /// <summary>Writes a text file (needs approval).</summary>
    /// <param name="path">The file, relative to the allowed folder.</param>
    /// <param name="content">The text to write (UTF-8).</param>
    /// <param name="overwrite">Whether to replace an existing file.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>What was written.</returns>
    [Description("Writes a UTF-8 text file in the allowed folder, creating folders as needed. Refuses to replace an existing file unless overwrite is true.")]
    [SideEffect("Creates or replaces a file on disk.")]
    public async Task<FileWriteResult> WriteAsync(
        [Description("File path relative to the allowed folder.")] string path,
        [Description("The full text to write.")] string content,
        [Description("Replace the file if it exists.")] bool overwrite = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var file = Resolve(path);
        if (Directory.Exists(file))
        {
            throw new IOException($"'{path}' is a folder, not a file.");
        }

        var bytes = StrictUtf8.GetBytes(content);
        if (bytes.Length > _options.MaxWriteBytes)
        {
            throw new IOException($"The content is {bytes.Length} bytes; the files plugin writes at most {_options.MaxWriteBytes} bytes.");
        }

        var existed = File.Exists(file);
        if (existed && !overwrite)
        {
            throw new IOException($"The file '{path}' already exists; pass overwrite=true to replace it.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        // Write to a temporary file in the same folder, then move it into place: a crash never leaves half a file.
        var temp = Path.Combine(Path.GetDirectoryName(file)!, $".{Path.GetFileName(file)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await File.WriteAllBytesAsync(temp, bytes, cancellationToken).ConfigureAwait(false);
            File.Move(temp, file, overwrite);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }

        return new FileWriteResult(Relative(file), bytes.Length, existed);
    }

    private string ResolveExistingFile(string path)
    {
        var file = Resolve(path);
        if (Directory.Exists(file))
        {
            throw new IOException($"'{path}' is a folder; use files_list to see its contents.");
        }

        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"There is no file '{path}' in the allowed folder.");
        }

        var length = new FileInfo(file).Length;
        if (length > _options.MaxReadBytes)
        {
            throw new IOException($"The file '{path}' is {length} bytes; the files plugin reads at most {_options.MaxReadBytes} bytes.");
        }

        return file;
    }

    private static async Task<string> ReadTextAsync(string file, string displayPath, CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
        if (bytes.AsSpan().IndexOf((byte)0) >= 0)
        {
            throw new InvalidDataException($"The file '{displayPath}' is binary, not text.");
        }

        try
        {
            var start = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
            return StrictUtf8.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"The file '{displayPath}' is not valid UTF-8 text.");
        }
    }

    /// <summary>Resolves a path against the allowed folder, refusing anything that leaves it.</summary>
    private string Resolve(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The path contains a NUL character.", nameof(path));
        }

        var full = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(_root, path));
        if (!IsInsideRoot(full))
        {
            throw new UnauthorizedAccessException($"The path '{path}' is outside the allowed folder.");
        }

        // A symbolic link inside the folder may point outside it: check the real location of the deepest existing part.
        var existing = full;
        while (!Path.Exists(existing) && !string.Equals(existing, _root, StringComparison.Ordinal))
        {
            existing = Path.GetDirectoryName(existing) ?? _root;
        }

        if (!IsInsideRoot(ResolveRealPath(existing)))
        {
            throw new UnauthorizedAccessException($"The path '{path}' leads outside the allowed folder through a symbolic link.");
        }

        return full;
    }

    private bool IsInsideRoot(string fullPath) =>
        string.Equals(fullPath, _root, StringComparison.Ordinal) ||
        fullPath.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string ResolveRealPath(string path)
    {
        // Rebuild the path one component at a time, following every link, so links in any component are seen.
        var full = Path.GetFullPath(path);
        var rootOfPath = Path.GetPathRoot(full)!;
        var current = rootOfPath;
        foreach (var part in full[rootOfPath.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.Exists && info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true);
                current = target is null ? current : Path.GetFullPath(target.FullName);
            }
        }

        return Path.TrimEndingDirectorySeparator(current);
    }

    private string Relative(string fullPath)
    {
        var relative = Path.GetRelativePath(_root, fullPath);
        return relative.Replace(Path.DirectorySeparatorChar, '/');
    }
}

/// <summary>A file or folder.</summary>
/// <param name="Path">Relative to the allowed folder, with '/' separators.</param>
/// <param name="Kind">"file" or "directory".</param>
/// <param name="Size">The size in bytes (files only).</param>
/// <param name="LastModifiedUtc">When it last changed.</param>
public sealed record FileEntry(string Path, string Kind, long? Size, DateTime LastModifiedUtc);

/// <summary>The result of <c>files_list</c>.</summary>
/// <param name="Folder">The folder listed.</param>
/// <param name="Entries">Its entries.</param>
/// <param name="Truncated">Whether more entries exist than were returned.</param>
public sealed record FileListing(string Folder, IReadOnlyList<FileEntry> Entries, bool Truncated);

/// <summary>The result of <c>files_read</c>.</summary>
/// <param name="Path">The file read.</param>
/// <param name="Text">The text returned.</param>
/// <param name="FirstLine">The first line returned (1-based).</param>
/// <param name="LastLine">The last line returned.</param>
/// <param name="TotalLines">The file's line count.</param>
public sealed record FileText(string Path, string Text, int FirstLine, int LastLine, int TotalLines);

/// <summary>A matching line.</summary>
/// <param name="Path">The file.</param>
/// <param name="Line">The 1-based line number.</param>
/// <param name="Text">The line's text.</param>
public sealed record SearchMatch(string Path, int Line, string Text);

/// <summary>The result of <c>files_search</c>.</summary>
/// <param name="Query">The text searched for.</param>
/// <param name="Matches">The matching lines.</param>
/// <param name="Truncated">Whether the search stopped at a limit.</param>
public sealed record SearchResults(string Query, IReadOnlyList<SearchMatch> Matches, bool Truncated);

/// <summary>The result of <c>files_write</c>.</summary>
/// <param name="Path">The file written.</param>
/// <param name="Bytes">How many bytes were written.</param>
/// <param name="Replaced">Whether an existing file was replaced.</param>
public sealed record FileWriteResult(string Path, int Bytes, bool Replaced);
