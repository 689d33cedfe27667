namespace SkAgents.ModelHub;

/// <summary>One file of a repository, as the hub's tree listing describes it.</summary>
/// <param name="Path">The path in the repository, with forward slashes.</param>
/// <param name="Size">The file's size in bytes (the real size, not the LFS pointer's).</param>
/// <param name="GitOid">The git blob id (sha1 of <c>blob &lt;size&gt;\0</c> + content for regular files), if listed.</param>
/// <param name="Sha256">The LFS object id (sha256 of the content, lower-case hex), for LFS files.</param>
public sealed record HubFileEntry(string Path, long Size, string? GitOid, string? Sha256)
{
    /// <summary>Gets whether the file is stored in LFS (large files: weights, external data).</summary>
    public bool IsLfs => Sha256 is not null;
}

/// <summary>The stage a <see cref="DownloadProgress"/> report is about.</summary>
public enum DownloadStage
{
    /// <summary>The file list is known; <see cref="DownloadProgress.TotalLength"/> and <see cref="DownloadProgress.FileCount"/> are set.</summary>
    Listed,

    /// <summary>A file's download started (or resumed, when <see cref="DownloadProgress.FileBytes"/> is above zero).</summary>
    Started,

    /// <summary>Bytes of a file arrived.</summary>
    Progress,

    /// <summary>A request failed and will be retried; <see cref="DownloadProgress.Message"/> says why.</summary>
    Retrying,

    /// <summary>A file was downloaded and verified.</summary>
    Completed,

    /// <summary>A file was already present and verified; it was not downloaded again.</summary>
    Skipped,
}

/// <summary>A progress report from <see cref="HuggingFaceModelDownloader"/>.</summary>
/// <param name="Stage">What happened.</param>
/// <param name="FilePath">The repository path of the file concerned; empty for <see cref="DownloadStage.Listed"/>.</param>
/// <param name="FileBytes">Bytes of this file on disk so far.</param>
/// <param name="FileLength">The file's size.</param>
/// <param name="TotalBytes">Bytes of all files on disk so far (skipped files count as done).</param>
/// <param name="TotalLength">The size of all files.</param>
/// <param name="FilesDone">Files completed or skipped so far.</param>
/// <param name="FileCount">How many files the download has.</param>
/// <param name="Message">For <see cref="DownloadStage.Retrying"/>: the reason and the wait.</param>
public sealed record DownloadProgress(
    DownloadStage Stage,
    string FilePath,
    long FileBytes,
    long FileLength,
    long TotalBytes,
    long TotalLength,
    int FilesDone,
    int FileCount,
    string? Message = null);

/// <summary>One file of a finished download.</summary>
/// <param name="Path">The path in the repository.</param>
/// <param name="LocalPath">The full local path.</param>
/// <param name="Size">The size in bytes.</param>
/// <param name="Skipped">Whether it was already present and verified.</param>
/// <param name="Resumed">Whether the download continued an earlier partial file.</param>
/// <param name="BytesTransferred">Bytes received over the network for this file (0 when skipped).</param>
public sealed record DownloadedFile(string Path, string LocalPath, long Size, bool Skipped, bool Resumed, long BytesTransferred);

/// <summary>The outcome of <see cref="HuggingFaceModelDownloader.DownloadAsync"/>.</summary>
public sealed class ModelDownloadResult
{
    /// <summary>Gets the repository id.</summary>
    public required string RepoId { get; init; }

    /// <summary>Gets the requested revision.</summary>
    public required string Revision { get; init; }

    /// <summary>Gets the commit the files came from (from the hub's metadata or <c>X-Repo-Commit</c>), when known.</summary>
    public string? Commit { get; init; }

    /// <summary>Gets the folder holding the repository's files (the repository root).</summary>
    public required string TargetDirectory { get; init; }

    /// <summary>Gets the folder of the included subfolder (the model folder to load), or <see cref="TargetDirectory"/> without one.</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>Gets every file of the download, in listing order.</summary>
    public required IReadOnlyList<DownloadedFile> Files { get; init; }

    /// <summary>Gets how many files were downloaded.</summary>
    public int FilesDownloaded => Files.Count(f => !f.Skipped);

    /// <summary>Gets how many files were already present and verified.</summary>
    public int FilesSkipped => Files.Count(f => f.Skipped);

    /// <summary>Gets the size of all files.</summary>
    public long TotalBytes => Files.Sum(f => f.Size);

    /// <summary>Gets the bytes received over the network.</summary>
    public long BytesTransferred => Files.Sum(f => f.BytesTransferred);
}
