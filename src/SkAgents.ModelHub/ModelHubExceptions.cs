using System.Net;

namespace SkAgents.ModelHub;

/// <summary>A download from the hub failed. Subclasses name the common causes.</summary>
public class ModelHubException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ModelHubException"/> class.</summary>
    public ModelHubException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelHubException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public ModelHubException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelHubException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ModelHubException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelHubException"/> class for an HTTP answer.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="errorCode">The hub's <c>X-Error-Code</c> header, if any.</param>
    public ModelHubException(string message, HttpStatusCode? statusCode, string? errorCode)
        : base(message)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    /// <summary>Gets the HTTP status of the failed request, when there was one.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>Gets the hub's <c>X-Error-Code</c> (e.g. <c>RepoNotFound</c>, <c>GatedRepo</c>), when it sent one.</summary>
    public string? ErrorCode { get; }
}

/// <summary>The repository does not exist, or is private and the request was not authorized to see it.</summary>
public sealed class RepositoryNotFoundException : ModelHubException
{
    /// <summary>Initializes a new instance of the <see cref="RepositoryNotFoundException"/> class.</summary>
    public RepositoryNotFoundException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RepositoryNotFoundException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public RepositoryNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RepositoryNotFoundException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public RepositoryNotFoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RepositoryNotFoundException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="statusCode">The HTTP status (404, or 401 for an anonymous request).</param>
    /// <param name="errorCode">The hub's <c>X-Error-Code</c>.</param>
    public RepositoryNotFoundException(string message, HttpStatusCode? statusCode, string? errorCode)
        : base(message, statusCode, errorCode)
    {
    }
}

/// <summary>The revision (branch, tag or commit), or a file or folder inside the repository, does not exist.</summary>
public sealed class EntryNotFoundException : ModelHubException
{
    /// <summary>Initializes a new instance of the <see cref="EntryNotFoundException"/> class.</summary>
    public EntryNotFoundException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="EntryNotFoundException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public EntryNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="EntryNotFoundException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public EntryNotFoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="EntryNotFoundException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="errorCode">The hub's <c>X-Error-Code</c> (<c>RevisionNotFound</c> or <c>EntryNotFound</c>).</param>
    public EntryNotFoundException(string message, HttpStatusCode? statusCode, string? errorCode)
        : base(message, statusCode, errorCode)
    {
    }
}

/// <summary>The hub refused access (401/403): a gated repository whose terms were not accepted, or a missing or wrong token.</summary>
public sealed class RepositoryAccessException : ModelHubException
{
    /// <summary>Initializes a new instance of the <see cref="RepositoryAccessException"/> class.</summary>
    public RepositoryAccessException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RepositoryAccessException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public RepositoryAccessException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RepositoryAccessException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public RepositoryAccessException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RepositoryAccessException"/> class.</summary>
    /// <param name="message">What went wrong, with a hint about <c>HF_TOKEN</c>.</param>
    /// <param name="statusCode">The HTTP status (401 or 403).</param>
    /// <param name="errorCode">The hub's <c>X-Error-Code</c> (e.g. <c>GatedRepo</c>).</param>
    /// <param name="tokenSent">Whether a token was sent.</param>
    public RepositoryAccessException(string message, HttpStatusCode? statusCode, string? errorCode, bool tokenSent)
        : base(message, statusCode, errorCode)
    {
        TokenSent = tokenSent;
    }

    /// <summary>Gets whether the repository is gated (its terms must be accepted on the hub's web page).</summary>
    public bool IsGated => string.Equals(ErrorCode, "GatedRepo", StringComparison.OrdinalIgnoreCase);

    /// <summary>Gets whether a token was sent with the refused request.</summary>
    public bool TokenSent { get; }
}

/// <summary>A downloaded file's size or hash differs from what the hub announced; the bad download was deleted.</summary>
public sealed class ChecksumMismatchException : ModelHubException
{
    /// <summary>Initializes a new instance of the <see cref="ChecksumMismatchException"/> class.</summary>
    public ChecksumMismatchException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ChecksumMismatchException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public ChecksumMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ChecksumMismatchException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ChecksumMismatchException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ChecksumMismatchException"/> class.</summary>
    /// <param name="filePath">The file's path in the repository.</param>
    /// <param name="algorithm">What was compared: <c>sha256</c>, <c>git-sha1</c> or <c>size</c>.</param>
    /// <param name="expected">The announced value.</param>
    /// <param name="actual">The value of the downloaded bytes.</param>
    public ChecksumMismatchException(string filePath, string algorithm, string expected, string actual)
        : base($"'{filePath}' failed verification: expected {algorithm} {expected}, got {actual}. The download was deleted; run the command again.")
    {
        FilePath = filePath;
        Algorithm = algorithm;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>Gets the file's path in the repository.</summary>
    public string? FilePath { get; }

    /// <summary>Gets what was compared: <c>sha256</c>, <c>git-sha1</c> or <c>size</c>.</summary>
    public string? Algorithm { get; }

    /// <summary>Gets the announced value.</summary>
    public string? Expected { get; }

    /// <summary>Gets the value of the downloaded bytes.</summary>
    public string? Actual { get; }
}

/// <summary>A file name from the hub (or an <c>--include</c> folder) could point outside the target folder; nothing was written for it.</summary>
public sealed class UnsafePathException : ModelHubException
{
    /// <summary>Initializes a new instance of the <see cref="UnsafePathException"/> class.</summary>
    public UnsafePathException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnsafePathException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public UnsafePathException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnsafePathException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public UnsafePathException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnsafePathException"/> class.</summary>
    /// <param name="path">The refused path.</param>
    /// <param name="reason">Why it was refused.</param>
    public UnsafePathException(string path, string reason)
        : base($"Refused the path '{Printable(path)}': {reason}.")
    {
        Path = path;
    }

    /// <summary>Gets the refused path.</summary>
    public string? Path { get; }

    private static string Printable(string path) =>
        string.Concat(path.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}

/// <summary>Reading or writing the local files failed (disk full, permissions, a file where a folder should be...).</summary>
public sealed class ModelStorageException : ModelHubException
{
    /// <summary>Initializes a new instance of the <see cref="ModelStorageException"/> class.</summary>
    public ModelStorageException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelStorageException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public ModelStorageException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelStorageException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The I/O error.</param>
    public ModelStorageException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelStorageException"/> class.</summary>
    /// <param name="localPath">The local file or folder.</param>
    /// <param name="innerException">The I/O error.</param>
    /// <param name="action">What was being done, e.g. <c>write</c>.</param>
    public ModelStorageException(string localPath, Exception innerException, string action)
        : base($"Could not {action} '{localPath}': {innerException?.Message}", innerException)
    {
        LocalPath = localPath;
    }

    /// <summary>Gets the local file or folder involved.</summary>
    public string? LocalPath { get; }
}
