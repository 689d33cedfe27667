using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SkAgents.ModelHub;

/// <summary>The files of a repository at a revision, as the hub lists them.</summary>
/// <param name="RepoId">The repository id.</param>
/// <param name="Revision">The requested revision.</param>
/// <param name="Commit">The commit the revision pointed to, when the hub said.</param>
/// <param name="Files">The files (folders left out), in listing order.</param>
public sealed record HubRepositoryListing(string RepoId, string Revision, string? Commit, IReadOnlyList<HubFileEntry> Files);

/// <summary>
/// Downloads a repository (or one folder of it) from the Hugging Face Hub, the way <c>huggingface_hub</c> does:
/// metadata from <c>/api/models/{repo}/revision/{rev}</c>, files from the recursive tree listing
/// <c>/api/models/{repo}/tree/{commit}/{folder}</c>, bytes from <c>/{repo}/resolve/{commit}/{path}</c> following the redirect to the CDN.
/// </summary>
/// <remarks>
/// Each file streams to <c>&lt;path&gt;.partial</c>, is checked against the listed size and sha256 (LFS files) or git blob id
/// (regular files), then renamed into place. An interrupted or cancelled download leaves the partial file, and the next run
/// resumes it with <c>Range: bytes=N-</c>. Files already present and verified are skipped. 408, 429 and 5xx answers,
/// dropped and stalled connections are retried with exponential backoff that honours <c>Retry-After</c>.
/// The token is sent only to the hub's own origin, never to the CDN.
/// </remarks>
public sealed class HuggingFaceModelDownloader : IDisposable
{
    private const int BufferSize = 128 * 1024;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);

    private readonly HuggingFaceDownloaderOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Uri _endpoint;

    /// <summary>Initializes a new instance of the <see cref="HuggingFaceModelDownloader"/> class.</summary>
    /// <param name="options">Settings; <see cref="HuggingFaceDownloaderOptions.FromEnvironment"/> when <see langword="null"/>.</param>
    /// <param name="httpClient">
    /// The client to send requests with; one over <see cref="CreateDefaultHandler"/> when <see langword="null"/>.
    /// A supplied client should not follow redirects itself (the downloader follows them, reading the hub's headers on the way).
    /// </param>
    public HuggingFaceModelDownloader(HuggingFaceDownloaderOptions? options = null, HttpClient? httpClient = null)
    {
        _options = options ?? HuggingFaceDownloaderOptions.FromEnvironment();
        ArgumentNullException.ThrowIfNull(_options.Endpoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxParallelDownloads, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxRetries);
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxRedirects);
        ArgumentException.ThrowIfNullOrWhiteSpace(_options.Revision);
        if (!_options.Endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException("The endpoint must be an absolute URL.", nameof(options));
        }

        var endpoint = _options.Endpoint.AbsoluteUri;
        _endpoint = new Uri(endpoint.EndsWith('/') ? endpoint : endpoint + "/");
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient(CreateDefaultHandler()) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Gets the options this downloader uses.</summary>
    public HuggingFaceDownloaderOptions Options => _options;

    /// <summary>Creates the handler the downloader uses by default: no automatic redirects, no decompression.</summary>
    /// <returns>A new handler.</returns>
    public static SocketsHttpHandler CreateDefaultHandler() => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(30),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    /// <summary>Lists a repository's files at the configured revision, optionally only those under a folder.</summary>
    /// <param name="repoId">The repository id, e.g. <c>microsoft/Phi-3-mini-4k-instruct-onnx</c>.</param>
    /// <param name="include">A folder of the repository (e.g. <c>cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4</c>); the whole repository when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The listing.</returns>
    /// <exception cref="ArgumentException">The repository id or folder is not valid.</exception>
    /// <exception cref="ModelHubException">The hub refused or failed (see the subclasses).</exception>
    public async Task<HubRepositoryListing> ListFilesAsync(string repoId, string? include = null, CancellationToken cancellationToken = default)
    {
        ModelHubPaths.ValidateRepoId(repoId);
        var folder = NormalizeInclude(include);
        var revision = _options.Revision;
        var repoPath = EscapePath(repoId);

        var infoUrl = new Uri(_endpoint, $"api/models/{repoPath}/revision/{Uri.EscapeDataString(revision)}");
        string? commit;
        using (var info = await GetJsonAsync(infoUrl, HubRequestKind.RepositoryInfo, repoId, null, cancellationToken).ConfigureAwait(false))
        {
            commit = info.Document.RootElement.ValueKind == JsonValueKind.Object
                && info.Document.RootElement.TryGetProperty("sha", out var sha) && sha.ValueKind == JsonValueKind.String
                ? sha.GetString()
                : null;
        }

        // List at the commit so every file comes from the same snapshot even if the branch moves meanwhile.
        var treeRevision = commit ?? revision;
        var folderPath = folder is null ? string.Empty : "/" + EscapePath(folder);
        Uri? url = new(_endpoint, $"api/models/{repoPath}/tree/{Uri.EscapeDataString(treeRevision)}{folderPath}?recursive=true");
        var files = new List<HubFileEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int page = 0; url is not null; page++)
        {
            if (page >= 10_000)
            {
                throw new ModelHubException($"The tree listing of '{repoId}' did not end after {page} pages.");
            }

            using var response = await GetJsonAsync(url, HubRequestKind.Tree, repoId, folder, cancellationToken).ConfigureAwait(false);
            if (response.Document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new ModelHubException($"The tree listing of '{repoId}' is not a JSON array.");
            }

            foreach (var item in response.Document.RootElement.EnumerateArray())
            {
                if (ReadEntry(item, repoId) is { } entry && seen.Add(entry.Path))
                {
                    files.Add(entry);
                }
            }

            url = response.Next;
        }

        return new HubRepositoryListing(repoId, revision, commit, files);
    }

    /// <summary>Downloads a repository, or one folder of it, into a local folder.</summary>
    /// <param name="repoId">The repository id, e.g. <c>microsoft/Phi-3-mini-4k-instruct-onnx</c>.</param>
    /// <param name="include">A folder of the repository to download alone; the whole repository when <see langword="null"/>. Files keep their repository paths.</param>
    /// <param name="targetDirectory">The local folder for the repository's files; <c>&lt;ModelsDirectory&gt;/&lt;owner&gt;/&lt;name&gt;</c> when <see langword="null"/>.</param>
    /// <param name="progress">Receives progress reports (from several threads when files download in parallel).</param>
    /// <param name="cancellationToken">Cancels the download; partial files stay and are resumed next time.</param>
    /// <returns>What was downloaded and skipped.</returns>
    /// <exception cref="ArgumentException">The repository id or folder is not valid.</exception>
    /// <exception cref="RepositoryNotFoundException">The repository does not exist (or is private and no token can see it).</exception>
    /// <exception cref="RepositoryAccessException">The repository is gated or the token is missing or wrong.</exception>
    /// <exception cref="EntryNotFoundException">The revision or the folder does not exist, or the folder has no files.</exception>
    /// <exception cref="ChecksumMismatchException">A downloaded file did not match its size or hash (it was deleted).</exception>
    /// <exception cref="UnsafePathException">The listing named a file outside the target folder (nothing was downloaded).</exception>
    /// <exception cref="ModelStorageException">A local file could not be read, written or moved.</exception>
    /// <exception cref="ModelHubException">Another failure, e.g. retries exhausted.</exception>
    public async Task<ModelDownloadResult> DownloadAsync(
        string repoId,
        string? include = null,
        string? targetDirectory = null,
        IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ModelHubPaths.ValidateRepoId(repoId);
        var folder = NormalizeInclude(include);
        var target = Path.GetFullPath(targetDirectory ?? ModelHubPaths.GetRepositoryDirectory(_options.ModelsDirectory, repoId));
        var listing = await ListFilesAsync(repoId, folder, cancellationToken).ConfigureAwait(false);

        var files = folder is null
            ? listing.Files
            : [.. listing.Files.Where(f => f.Path.StartsWith(folder + "/", StringComparison.Ordinal))];
        if (files.Count == 0)
        {
            var what = folder is null ? "The repository" : $"The folder '{folder}'";
            throw new EntryNotFoundException($"{what} has no files in '{repoId}' at revision '{listing.Revision}'.");
        }

        // Refuse the whole download before writing anything if a single name could escape the target folder.
        var localPaths = files.Select(f => ModelHubPaths.ResolveInside(target, f.Path)).ToArray();
        var duplicate = localPaths.GroupBy(p => p, OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase)
            .FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new UnsafePathException(duplicate.Key, "two files of the listing map to the same local path");
        }

        var job = new DownloadJob(repoId, listing.Commit ?? listing.Revision, files, progress);
        job.Report(new DownloadProgress(DownloadStage.Listed, string.Empty, 0, 0, 0, job.TotalLength, 0, files.Count));

        CreateDirectory(target);
        var results = new DownloadedFile[files.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelDownloads, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), parallel, async (index, ct) =>
        {
            results[index] = await DownloadFileAsync(job, files[index], localPaths[index], ct).ConfigureAwait(false);
        }).ConfigureAwait(false);

        return new ModelDownloadResult
        {
            RepoId = repoId,
            Revision = listing.Revision,
            Commit = listing.Commit ?? job.ObservedCommit,
            TargetDirectory = target,
            ModelDirectory = folder is null ? target : ModelHubPaths.ResolveInside(target, folder),
            Files = results,
        };
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private static string? NormalizeInclude(string? include)
    {
        if (include is null)
        {
            return null;
        }

        var trimmed = include.Trim().Trim('/');
        if (trimmed.Length == 0)
        {
            return null;
        }

        try
        {
            return ModelHubPaths.NormalizeRelativePath(trimmed);
        }
        catch (UnsafePathException ex)
        {
            throw new ArgumentException($"--include: {ex.Message}", nameof(include), ex);
        }
    }

    private static HubFileEntry? ReadEntry(JsonElement item, string repoId)
    {
        if (item.ValueKind != JsonValueKind.Object
            || !item.TryGetProperty("type", out var type) || type.GetString() != "file"
            || !item.TryGetProperty("path", out var pathElement) || pathElement.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var path = pathElement.GetString()!;
        string? Text(JsonElement parent, string name) =>
            parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        long? Number(JsonElement parent, string name) =>
            parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n >= 0 ? n : null;

        var size = Number(item, "size");
        string? sha256 = null;
        if (item.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
        {
            sha256 = Text(lfs, "oid") is { } oid && IsHex(oid, 64) ? oid.ToLowerInvariant() : null;
            size = Number(lfs, "size") ?? size;
            if (sha256 is null)
            {
                throw new ModelHubException($"The listing of '{repoId}' has an LFS entry without a sha256 oid: '{path}'.");
            }
        }

        if (size is null)
        {
            throw new ModelHubException($"The listing of '{repoId}' has no size for '{path}'.");
        }

        var gitOid = Text(item, "oid") is { } git && IsHex(git, 40) ? git.ToLowerInvariant() : null;
        return new HubFileEntry(path, size.Value, gitOid, sha256);
    }

    private static bool IsHex(string value, int length) => value.Length == length && value.All(char.IsAsciiHexDigit);

    // ------------------------------------------------------------------ one file

    private async Task<DownloadedFile> DownloadFileAsync(DownloadJob job, HubFileEntry file, string localPath, CancellationToken ct)
    {
        var partialPath = localPath + ModelHubPaths.PartialSuffix;
        CreateDirectory(Path.GetDirectoryName(localPath)!);

        if (File.Exists(localPath) && await IsCompleteAsync(localPath, file, ct).ConfigureAwait(false))
        {
            DeleteQuietly(partialPath);
            job.AddBytes(file.Size);
            job.FileDone();
            job.Report(job.Snapshot(DownloadStage.Skipped, file, file.Size));
            return new DownloadedFile(file.Path, localPath, file.Size, Skipped: true, Resumed: false, BytesTransferred: 0);
        }

        var state = new FileState(file);
        int failures = 0;
        long furthest = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                if (await TryFinishFromPartialAsync(job, state, partialPath, localPath, ct).ConfigureAwait(false))
                {
                    break;
                }

                await DownloadOnceAsync(job, state, partialPath, localPath, ct).ConfigureAwait(false);
                break;
            }
            catch (RetryableHubException ex) when (!ct.IsCancellationRequested)
            {
                var length = FileLength(partialPath);
                if (length > furthest)
                {
                    // The attempt moved the file forward: only consecutive attempts without progress count.
                    furthest = length;
                    failures = 0;
                }

                failures++;
                if (failures > _options.MaxRetries)
                {
                    throw new ModelHubException($"Giving up on '{file.Path}' of '{job.RepoId}' after {failures} failed attempts: {ex.Message}", ex);
                }

                var delay = RetryDelay(failures, ex.RetryAfter);
                job.Report(job.Snapshot(DownloadStage.Retrying, file, length) with
                {
                    Message = $"{ex.Message}; retrying in {delay.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s",
                });
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is not OperationCanceledException)
            {
                // An aborted read surfaces as an I/O error; report it as the cancellation it is.
                throw new OperationCanceledException("The download was cancelled.", ex, ct);
            }
        }

        job.FileDone();
        job.Report(job.Snapshot(DownloadStage.Completed, file, file.Size));
        return new DownloadedFile(file.Path, localPath, file.Size, Skipped: false, state.Resumed, state.Transferred);
    }

    /// <summary>A partial file that already has every byte (an earlier run stopped before the rename) is verified and moved.</summary>
    private static async Task<bool> TryFinishFromPartialAsync(DownloadJob job, FileState state, string partialPath, string localPath, CancellationToken ct)
    {
        var length = FileLength(partialPath);
        if (length > state.File.Size)
        {
            DeleteFile(partialPath);
        }
        else if (length == state.File.Size && length > 0)
        {
            var hash = CreateHash(state.File);
            await HashFileAsync(hash, partialPath, ct).ConfigureAwait(false);
            if (Verify(state.File, hash, null) is null)
            {
                state.Resumed = true;
                MoveIntoPlace(partialPath, localPath);
                job.AddBytes(length);
                return true;
            }

            DeleteFile(partialPath);
        }

        return false;
    }

    private async Task DownloadOnceAsync(DownloadJob job, FileState state, string partialPath, string localPath, CancellationToken ct)
    {
        var file = state.File;
        long existing = FileLength(partialPath);
        IncrementalHash? hash = null;
        try
        {
            hash = CreateHash(file);
            if (existing > 0)
            {
                await HashFileAsync(hash, partialPath, ct).ConfigureAwait(false);
            }

            var headers = new ResolveHeaders();
            var url = new Uri(_endpoint, $"{EscapePath(job.RepoId)}/resolve/{Uri.EscapeDataString(job.Revision)}/{EscapePath(file.Path)}");
            using var response = await SendAsync(url, existing > 0 ? existing : null, headers, ct).ConfigureAwait(false);
            if (headers.RepoCommit is { } commit)
            {
                job.ObservedCommit ??= commit;
            }

            switch (response.StatusCode)
            {
                case HttpStatusCode.PartialContent when existing > 0:
                    var range = response.Content.Headers.ContentRange;
                    if (range?.From != existing)
                    {
                        DeleteFile(partialPath);
                        throw new RetryableHubException($"the server answered a different range ({range}) than bytes={existing}-; starting over", TimeSpan.Zero);
                    }

                    state.Resumed = true;
                    break;
                case HttpStatusCode.OK:
                    if (existing > 0)
                    {
                        // The server ignored Range: start the file over.
                        existing = 0;
                        hash.Dispose();
                        hash = CreateHash(file);
                    }

                    break;
                case HttpStatusCode.RequestedRangeNotSatisfiable:
                    DeleteFile(partialPath);
                    throw new RetryableHubException($"the server could not serve bytes={existing}- of '{file.Path}'; starting over", TimeSpan.Zero);
                default:
                    if (HubHttp.IsRedirect(response.StatusCode))
                    {
                        throw new ModelHubException($"Too many redirects (more than {_options.MaxRedirects}) downloading '{file.Path}' of '{job.RepoId}'.", response.StatusCode, null);
                    }

                    if (HubHttp.IsRetryable(response.StatusCode))
                    {
                        throw new RetryableHubException($"HTTP {(int)response.StatusCode} for '{file.Path}'", HubHttp.RetryAfter(response));
                    }

                    throw HubHttp.MapError(response, HubRequestKind.File, job.RepoId, job.Revision, file.Path, _endpoint, _options.Token is not null);
            }

            long written;
            try
            {
                state.Count(job, existing);
                written = await StreamToPartialAsync(job, state, response, hash, partialPath, existing, ct).ConfigureAwait(false);
            }
            finally
            {
                // The job's total counts verified bytes plus this attempt's; an attempt that ends gives its bytes back.
                state.Uncount(job);
            }

            if (written < file.Size)
            {
                throw new RetryableHubException($"the connection closed after {written} of {file.Size} bytes of '{file.Path}'", null);
            }

            if (Verify(file, hash, headers) is { } mismatch)
            {
                DeleteFile(partialPath);
                throw new ChecksumMismatchException(file.Path, mismatch.Algorithm, mismatch.Expected, mismatch.Actual);
            }

            MoveIntoPlace(partialPath, localPath);
            job.AddBytes(file.Size);
        }
        finally
        {
            hash?.Dispose();
        }
    }

    private async Task<long> StreamToPartialAsync(DownloadJob job, FileState state, HttpResponseMessage response, IncrementalHash hash, string partialPath, long existing, CancellationToken ct)
    {
        var file = state.File;
        FileStream output;
        try
        {
            output = new FileStream(partialPath, existing > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelStorageException(partialPath, ex, "open for writing");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long written = existing;
        long lastReport = 0;
        try
        {
            await using (output.ConfigureAwait(false))
            {
                job.Report(job.Snapshot(DownloadStage.Started, file, written));
                Stream body;
                try
                {
                    body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException && !ct.IsCancellationRequested)
                {
                    throw new RetryableHubException($"the connection failed before the body of '{file.Path}': {ex.Message}", null, ex);
                }

                await using (body.ConfigureAwait(false))
                using (var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    while (true)
                    {
                        readTimeout.CancelAfter(_options.ReadTimeout);
                        int read;
                        try
                        {
                            read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), readTimeout.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
                        {
                            throw new RetryableHubException($"no data for {_options.ReadTimeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s after {written} bytes of '{file.Path}'", null, ex);
                        }
                        catch (Exception ex) when (ex is IOException or HttpRequestException && !ct.IsCancellationRequested)
                        {
                            throw new RetryableHubException($"the connection dropped after {written} of {file.Size} bytes of '{file.Path}' ({ex.Message})", null, ex);
                        }

                        if (read == 0)
                        {
                            break;
                        }

                        if (written + read > file.Size)
                        {
                            throw new ChecksumMismatchException(file.Path, "size", file.Size.ToString(CultureInfo.InvariantCulture), $"more than {file.Size.ToString(CultureInfo.InvariantCulture)}");
                        }

                        try
                        {
                            await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                        }
                        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                        {
                            throw new ModelStorageException(partialPath, ex, "write");
                        }

                        hash.AppendData(buffer, 0, read);
                        written += read;
                        state.Transferred += read;
                        state.Count(job, read);
                        var now = Environment.TickCount64;
                        if (now - lastReport >= (long)ProgressInterval.TotalMilliseconds)
                        {
                            lastReport = now;
                            job.Report(job.Snapshot(DownloadStage.Progress, file, written));
                        }
                    }
                }
            }
        }
        catch (ChecksumMismatchException)
        {
            DeleteFile(partialPath);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        job.Report(job.Snapshot(DownloadStage.Progress, file, written));
        return written;
    }

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    // ------------------------------------------------------------------ HTTP

    /// <summary>Sends a GET, following redirects itself so the hub's headers on the way are kept and the token stays on the hub's origin.</summary>
    private async Task<HttpResponseMessage> SendAsync(Uri url, long? rangeStart, ResolveHeaders? headers, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.UserAgent.ParseAdd(_options.UserAgent);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
            if (_options.Token is { Length: > 0 } token && IsHubOrigin(url))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            if (rangeStart is { } start)
            {
                request.Headers.Range = new RangeHeaderValue(start, null);
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (!ct.IsCancellationRequested)
            {
                throw new RetryableHubException($"could not reach {url.GetLeftPart(UriPartial.Authority)}: {ex.Message}", null, ex);
            }
            catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
            {
                throw new RetryableHubException($"the request to {url.GetLeftPart(UriPartial.Authority)} timed out", null, ex);
            }

            headers?.Collect(response);
            if (!HubHttp.IsRedirect(response.StatusCode) || response.Headers.Location is not { } location || hop >= _options.MaxRedirects)
            {
                return response;
            }

            url = location.IsAbsoluteUri ? location : new Uri(url, location);
            response.Dispose();
            if (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
            {
                throw new ModelHubException($"The hub redirected to an unsupported URL scheme '{url.Scheme}'.");
            }
        }
    }

    private bool IsHubOrigin(Uri url) =>
        string.Equals(url.Scheme, _endpoint.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(url.IdnHost, _endpoint.IdnHost, StringComparison.OrdinalIgnoreCase)
        && url.Port == _endpoint.Port;

    private async Task<JsonPage> GetJsonAsync(Uri url, HubRequestKind kind, string repoId, string? path, CancellationToken ct)
    {
        for (int failures = 0; ; )
        {
            try
            {
                using var response = await SendAsync(url, null, null, ct).ConfigureAwait(false);
                if (HubHttp.IsRedirect(response.StatusCode))
                {
                    throw new ModelHubException($"Too many redirects (more than {_options.MaxRedirects}) listing '{repoId}'.", response.StatusCode, null);
                }

                if (HubHttp.IsRetryable(response.StatusCode))
                {
                    throw new RetryableHubException($"HTTP {(int)response.StatusCode} listing '{repoId}'", HubHttp.RetryAfter(response));
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw HubHttp.MapError(response, kind, repoId, _options.Revision, path, _endpoint, _options.Token is not null);
                }

                try
                {
                    var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                    await using (stream.ConfigureAwait(false))
                    {
                        var document = await JsonDocument.ParseAsync(stream, default, ct).ConfigureAwait(false);
                        return new JsonPage(document, HubHttp.NextLink(response, response.RequestMessage?.RequestUri ?? url));
                    }
                }
                catch (JsonException ex)
                {
                    throw new ModelHubException($"The hub's answer for '{repoId}' is not valid JSON: {ex.Message}", ex);
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException && !ct.IsCancellationRequested)
                {
                    throw new RetryableHubException($"the connection dropped listing '{repoId}': {ex.Message}", null, ex);
                }
            }
            catch (RetryableHubException ex) when (!ct.IsCancellationRequested)
            {
                failures++;
                if (failures > _options.MaxRetries)
                {
                    throw new ModelHubException($"Giving up listing '{repoId}' after {failures} failed attempts: {ex.Message}", ex);
                }

                await Task.Delay(RetryDelay(failures, ex.RetryAfter), ct).ConfigureAwait(false);
            }
        }
    }

    private TimeSpan RetryDelay(int failures, TimeSpan? retryAfter)
    {
        var delay = retryAfter ?? TimeSpan.FromTicks(_options.RetryBaseDelay.Ticks * (1L << Math.Min(failures - 1, 20)));
        return delay > _options.MaxRetryDelay ? _options.MaxRetryDelay : delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    // ------------------------------------------------------------------ verification and files

    private static IncrementalHash CreateHash(HubFileEntry file)
    {
        if (file.Sha256 is null && file.GitOid is not null)
        {
            // A regular file's git blob id: sha1 over "blob <size>\0" followed by the content.
            var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            hash.AppendData(Encoding.ASCII.GetBytes($"blob {file.Size.ToString(CultureInfo.InvariantCulture)}\0"));
            return hash;
        }

        return IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    }

    private static (string Algorithm, string Expected, string Actual)? Verify(HubFileEntry file, IncrementalHash hash, ResolveHeaders? headers)
    {
        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (file.Sha256 is { } sha256)
        {
            return actual == sha256 ? null : ("sha256", sha256, actual);
        }

        if (file.GitOid is { } gitOid)
        {
            return actual == gitOid ? null : ("git-sha1", gitOid, actual);
        }

        // Nothing listed: fall back to the sha256 the hub announced in X-Linked-Etag, when there is one.
        return headers?.AnnouncedSha256 is { } announced && announced != actual ? ("sha256", announced, actual) : null;
    }

    private static async Task<bool> IsCompleteAsync(string localPath, HubFileEntry file, CancellationToken ct)
    {
        if (FileLength(localPath) != file.Size)
        {
            return false;
        }

        if (file.Sha256 is null && file.GitOid is null)
        {
            return true;
        }

        using var hash = CreateHash(file);
        await HashFileAsync(hash, localPath, ct).ConfigureAwait(false);
        return Verify(file, hash, null) is null;
    }

    private static async Task HashFileAsync(IncrementalHash hash, string path, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (input.ConfigureAwait(false))
            {
                int read;
                while ((read = await input.ReadAsync(buffer.AsMemory(0, BufferSize), ct).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelStorageException(path, ex, "read");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static long FileLength(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? info.Length : 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelStorageException(path, ex, "read");
        }
    }

    private static void CreateDirectory(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelStorageException(path, ex, "create the folder");
        }
    }

    private static void MoveIntoPlace(string partialPath, string localPath)
    {
        try
        {
            File.Move(partialPath, localPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelStorageException(localPath, ex, "move the verified download to");
        }
    }

    private static void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelStorageException(path, ex, "delete");
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A stray partial next to a verified file is harmless.
        }
    }

    private sealed class JsonPage(JsonDocument document, Uri? next) : IDisposable
    {
        public JsonDocument Document { get; } = document;

        public Uri? Next { get; } = next;

        public void Dispose() => Document.Dispose();
    }

    private sealed class FileState(HubFileEntry file)
    {
        public HubFileEntry File { get; } = file;

        public bool Resumed { get; set; }

        public long Transferred { get; set; }

        private long Counted { get; set; }

        public void Count(DownloadJob job, long bytes)
        {
            Counted += bytes;
            job.AddBytes(bytes);
        }

        public void Uncount(DownloadJob job)
        {
            job.AddBytes(-Counted);
            Counted = 0;
        }
    }

    private sealed class DownloadJob(string repoId, string revision, IReadOnlyList<HubFileEntry> files, IProgress<DownloadProgress>? progress)
    {
        private long _totalBytes;
        private int _filesDone;

        public string RepoId { get; } = repoId;

        public string Revision { get; } = revision;

        public long TotalLength { get; } = files.Sum(f => f.Size);

        public int FileCount { get; } = files.Count;

        public string? ObservedCommit { get; set; }

        public void AddBytes(long bytes) => Interlocked.Add(ref _totalBytes, bytes);

        public void FileDone() => Interlocked.Increment(ref _filesDone);

        public DownloadProgress Snapshot(DownloadStage stage, HubFileEntry file, long fileBytes) =>
            new(stage, file.Path, fileBytes, file.Size, Interlocked.Read(ref _totalBytes), TotalLength, Volatile.Read(ref _filesDone), FileCount);

        public void Report(DownloadProgress report) => progress?.Report(report);
    }
}
