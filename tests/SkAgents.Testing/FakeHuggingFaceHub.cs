using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SkAgents.Testing;

/// <summary>One file of a <see cref="FakeRepo"/>.</summary>
public sealed class FakeRepoFile
{
    public FakeRepoFile(string path, byte[] content, bool lfs)
    {
        Path = path;
        Content = content;
        IsLfs = lfs;
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        // What git stores: the content itself, or the LFS pointer text for LFS files; the git blob id is over that.
        GitStoredBytes = lfs ? Encoding.ASCII.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{Sha256}\nsize {content.Length}\n") : content;
        GitOid = GitBlobId(GitStoredBytes);
    }

    public string Path { get; }

    public byte[] Content { get; }

    public bool IsLfs { get; }

    public string Sha256 { get; }

    public byte[] GitStoredBytes { get; }

    public string GitOid { get; }

    public static string GitBlobId(byte[] content)
    {
        var header = Encoding.ASCII.GetBytes($"blob {content.Length}\0");
#pragma warning disable CA5350 // Git names blobs by SHA-1; the fake hub must compute the same ids as the real one.
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. content]));
#pragma warning restore CA5350
    }
}

/// <summary>A model repository served by <see cref="FakeHuggingFaceHub"/>.</summary>
public sealed class FakeRepo(string id, string commit)
{
    private readonly List<FakeRepoFile> _files = [];

    public string Id { get; } = id;

    public string Commit { get; } = commit;

    /// <summary>Gets or sets whether downloads need an accepted-terms token (metadata and listing stay public, as on the Hub).</summary>
    public bool Gated { get; set; }

    /// <summary>Gets or sets whether the repository is invisible without an authorized token.</summary>
    public bool Private { get; set; }

    /// <summary>Gets the tokens whose accounts may download a gated or private repository.</summary>
    public HashSet<string> AuthorizedTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets a file list entry added to the tree listing verbatim (e.g. an unsafe name), bypassing the real files.</summary>
    public List<JsonObject> ExtraTreeEntries { get; } = [];

    public IReadOnlyList<FakeRepoFile> Files => _files;

    public FakeRepoFile Add(string path, byte[] content, bool lfs)
    {
        var file = new FakeRepoFile(path, content, lfs);
        _files.Add(file);
        return file;
    }

    public FakeRepoFile Add(string path, string text) => Add(path, Encoding.UTF8.GetBytes(text), lfs: false);

    public FakeRepoFile File(string path) => _files.Single(f => f.Path == path);
}

/// <summary>What a <see cref="HubFault"/> does to the request it matches.</summary>
public enum HubFaultKind
{
    /// <summary>Answer <see cref="HubFault.Status"/> (with <see cref="HubFault.RetryAfter"/> when set).</summary>
    Status,

    /// <summary>Send the headers and <see cref="HubFault.Bytes"/> bytes of the body, then reset the connection.</summary>
    DropAfter,

    /// <summary>Send <see cref="HubFault.Bytes"/> bytes of the body, then send nothing more until the client goes away.</summary>
    StallAfter,

    /// <summary>Answer 200 with the whole file even when a Range was asked for.</summary>
    IgnoreRange,

    /// <summary>Serve the file with one byte flipped (same length, wrong hash).</summary>
    Corrupt,

    /// <summary>Redirect the request to itself.</summary>
    RedirectLoop,
}

/// <summary>A misbehaviour injected into matching requests, <see cref="Times"/> times.</summary>
public sealed class HubFault
{
    public required HubFaultKind Kind { get; init; }

    /// <summary>Gets which server the fault applies to: "hub" or "cdn".</summary>
    public string Server { get; init; } = "cdn";

    /// <summary>Gets a substring the decoded request path must contain (for the CDN: the file's sha256 is in the path).</summary>
    public required string PathContains { get; init; }

    public int Status { get; init; } = 503;

    public string? RetryAfter { get; init; }

    public long Bytes { get; init; }

    public int Times { get; set; } = 1;

    /// <summary>Gets a signal set when the fault fires (for a stall: after its bytes were flushed).</summary>
    public TaskCompletionSource Fired { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>One request the fake hub received.</summary>
public sealed class HubRequest(string server, string method, string path, string query, IReadOnlyDictionary<string, string> headers)
{
    public string Server { get; } = server;

    public string Method { get; } = method;

    public string Path { get; } = path;

    public string Query { get; } = query;

    public IReadOnlyDictionary<string, string> Headers { get; } = headers;

    public DateTimeOffset ReceivedAt { get; } = DateTimeOffset.UtcNow;

    public int Status { get; set; }

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A Hugging-Face-Hub-faithful server on 127.0.0.1 for tests, with two Kestrel listeners: the hub
/// (<c>/api/models/{repo}/revision/{rev}</c>, <c>/api/models/{repo}/tree/{rev}/{path}?recursive=true</c> paginated with
/// <c>Link: rel="next"</c>, <c>/{repo}/resolve/{rev}/{path}</c>) and a CDN on another port that LFS resolves redirect to
/// with a presigned-looking URL (and that, like S3, rejects an <c>Authorization</c> header next to a signed query).
/// Error answers carry the Hub's <c>X-Error-Code</c>/<c>X-Error-Message</c> headers.
/// </summary>
public sealed class FakeHuggingFaceHub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, FakeRepo> _repos = new(StringComparer.Ordinal);
    private readonly List<HubRequest> _requests = [];
    private readonly List<HubFault> _faults = [];
    private readonly Lock _gate = new();
    private readonly int _hubPort;
    private readonly int _cdnPort;

    private FakeHuggingFaceHub(WebApplication app, Uri endpoint, Uri cdn)
    {
        _app = app;
        Endpoint = endpoint;
        CdnRoot = cdn;
        _hubPort = endpoint.Port;
        _cdnPort = cdn.Port;
    }

    /// <summary>Gets the hub's root, e.g. <c>http://127.0.0.1:5555/</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>Gets the CDN's root (another port).</summary>
    public Uri CdnRoot { get; }

    /// <summary>Gets every token the hub knows (others are "invalid credentials").</summary>
    public HashSet<string> KnownTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets how many entries a tree page holds.</summary>
    public int TreePageSize { get; set; } = 1000;

    public IReadOnlyList<HubRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<FakeHuggingFaceHub> StartAsync()
    {
        // Two listeners: the hub, and a second host for the redirects to "CDN" URLs that real downloads follow.
        FakeHuggingFaceHub? hub = null;
        var (app, roots) = await LoopbackKestrel.StartAsync(_ => context => hub!.HandleAsync(context), listeners: 2).ConfigureAwait(false);
        hub = new FakeHuggingFaceHub(app, roots[0], roots[1]);
        return hub;
    }

    public FakeRepo AddRepo(string id)
    {
        var commit = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("commit:" + id)))[..40];
        var repo = new FakeRepo(id, commit);
        lock (_gate)
        {
            _repos[id] = repo;
        }

        return repo;
    }

    public HubFault AddFault(HubFault fault)
    {
        lock (_gate)
        {
            _faults.Add(fault);
        }

        return fault;
    }

    public void ClearRequests()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stalled responses are dropped by DisposeAsync.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ routing

    private async Task HandleAsync(HttpContext context)
    {
        var server = context.Connection.LocalPort == _cdnPort ? "cdn" : "hub";
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var path = context.Request.Path.Value ?? "/";
        var recorded = new HubRequest(server, context.Request.Method, path, context.Request.QueryString.Value ?? string.Empty, headers);
        lock (_gate)
        {
            _requests.Add(recorded);
        }

        context.Response.Headers["X-Request-Id"] = "Root=1-" + Guid.NewGuid().ToString("N")[..24];
        try
        {
            if (TakeFault(server, path, HubFaultKind.Status) is { } status)
            {
                if (status.RetryAfter is not null)
                {
                    context.Response.Headers.RetryAfter = status.RetryAfter;
                }

                await WriteErrorAsync(context, status.Status, null, status.Status == 429 ? "Too many requests, slow down." : "Service temporarily unavailable").ConfigureAwait(false);
            }
            else if (server == "cdn")
            {
                await HandleCdnAsync(context, path).ConfigureAwait(false);
            }
            else
            {
                await HandleHubAsync(context, path).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            context.Abort();
        }

        recorded.Status = context.Response.StatusCode;
    }

    private HubFault? TakeFault(string server, string path, HubFaultKind kind)
    {
        lock (_gate)
        {
            var fault = _faults.FirstOrDefault(f => f.Kind == kind && f.Times > 0 && f.Server == server && path.Contains(f.PathContains, StringComparison.Ordinal));
            if (fault is not null)
            {
                fault.Times--;
            }

            return fault;
        }
    }

    private async Task HandleHubAsync(HttpContext context, string path)
    {
        if (context.Request.Method != HttpMethods.Get && context.Request.Method != HttpMethods.Head)
        {
            context.Response.StatusCode = 405;
            return;
        }

        var segments = path.Trim('/').Split('/');
        if (segments.Length >= 6 && segments[0] == "api" && segments[1] == "models" && segments[4] is "revision" or "tree")
        {
            var repoId = segments[2] + "/" + segments[3];
            var revision = segments[5];
            var rest = string.Join('/', segments.Skip(6));
            if (await CheckRepoAsync(context, repoId, revision, download: false) is not { } repo)
            {
                return;
            }

            if (segments[4] == "revision")
            {
                await WriteInfoAsync(context, repo).ConfigureAwait(false);
            }
            else
            {
                await WriteTreeAsync(context, repo, revision, rest).ConfigureAwait(false);
            }

            return;
        }

        if (segments.Length >= 5 && segments[2] == "resolve")
        {
            var repoId = segments[0] + "/" + segments[1];
            var filePath = string.Join('/', segments.Skip(4));
            if (await CheckRepoAsync(context, repoId, segments[3], download: true) is not { } repo)
            {
                return;
            }

            if (TakeFault("hub", path, HubFaultKind.RedirectLoop) is not null)
            {
                // Keep looping for every hop of this request.
                AddFault(new HubFault { Kind = HubFaultKind.RedirectLoop, Server = "hub", PathContains = filePath });
                context.Response.StatusCode = 302;
                context.Response.Headers.Location = path;
                return;
            }

            var file = repo.Files.FirstOrDefault(f => f.Path == filePath);
            if (file is null)
            {
                await WriteErrorAsync(context, 404, "EntryNotFound", $"{filePath} does not exist on \"{segments[3]}\"").ConfigureAwait(false);
                return;
            }

            context.Response.Headers["X-Repo-Commit"] = repo.Commit;
            context.Response.Headers.AcceptRanges = "bytes";
            context.Response.Headers.Vary = "Origin, Accept";
            if (file.IsLfs)
            {
                // As on huggingface.co: a 302 to a presigned CDN URL, the content's sha256 in X-Linked-Etag.
                var location = new Uri(CdnRoot, $"repos/{file.Sha256[..2]}/{file.Sha256[2..4]}/{file.Sha256}?response-content-disposition=attachment&Expires=4102444800&Signature=fake&Key-Pair-Id=K0");
                context.Response.StatusCode = 302;
                context.Response.Headers.Location = location.AbsoluteUri;
                context.Response.Headers.ETag = $"\"{file.GitOid}\"";
                context.Response.Headers["X-Linked-Etag"] = $"\"{file.Sha256}\"";
                context.Response.Headers["X-Linked-Size"] = file.Content.Length.ToString(CultureInfo.InvariantCulture);
                var body = Encoding.UTF8.GetBytes($"Found. Redirecting to {location.AbsoluteUri}");
                context.Response.ContentType = "text/plain; charset=utf-8";
                context.Response.ContentLength = body.Length;
                await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
                return;
            }

            context.Response.Headers.ETag = $"\"{file.GitOid}\"";
            await ServeBytesAsync(context, "hub", path, file.Content, "text/plain; charset=utf-8").ConfigureAwait(false);
            return;
        }

        await WriteErrorAsync(context, 404, null, "Sorry, we can't find the page you are looking for.").ConfigureAwait(false);
    }

    private async Task HandleCdnAsync(HttpContext context, string path)
    {
        if (context.Request.Headers.Authorization.Count > 0)
        {
            // S3 refuses a second auth mechanism next to a presigned URL.
            context.Response.StatusCode = 400;
            context.Response.ContentType = "application/xml";
            await context.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>").ConfigureAwait(false);
            return;
        }

        var sha = path.Split('/').Last();
        FakeRepoFile? file;
        lock (_gate)
        {
            file = _repos.Values.SelectMany(r => r.Files).FirstOrDefault(f => f.IsLfs && f.Sha256 == sha);
        }

        if (file is null || !context.Request.QueryString.Value!.Contains("Signature=", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 403;
            context.Response.ContentType = "application/xml";
            await context.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>").ConfigureAwait(false);
            return;
        }

        context.Response.Headers.ETag = $"\"{Convert.ToHexStringLower(SHA256.HashData(file.Content))[..32]}\"";
        context.Response.Headers.LastModified = "Tue, 02 Jul 2024 10:00:00 GMT";
        context.Response.Headers["X-Cache"] = "Miss from cloudfront";
        await ServeBytesAsync(context, "cdn", path, file.Content, "application/octet-stream").ConfigureAwait(false);
    }

    /// <summary>Serves bytes with Range/206 support, and the body faults (drop, stall, ignore range, corrupt).</summary>
    private async Task ServeBytesAsync(HttpContext context, string server, string path, byte[] content, string contentType)
    {
        var response = context.Response;
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = contentType;
        if (TakeFault(server, path, HubFaultKind.Corrupt) is not null)
        {
            content = [.. content];
            content[content.Length / 2] ^= 0xFF;
        }

        var range = context.Request.Headers.Range.ToString();
        bool ignoreRange = range.Length > 0 && TakeFault(server, path, HubFaultKind.IgnoreRange) is not null;
        if (range.Length > 0 && !ignoreRange && TryParseRange(range, out var from, out var to))
        {
            if (from >= content.Length)
            {
                response.StatusCode = 416;
                response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }

            var last = Math.Min(to ?? content.Length - 1, content.Length - 1);
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {from}-{last}/{content.Length}";
            content = content[(int)from..(int)(last + 1)];
        }
        else
        {
            response.StatusCode = 200;
        }

        response.ContentLength = content.Length;
        if (context.Request.Method == HttpMethods.Head)
        {
            return;
        }

        var drop = TakeFault(server, path, HubFaultKind.DropAfter);
        var stall = drop is null ? TakeFault(server, path, HubFaultKind.StallAfter) : null;
        if ((drop ?? stall) is { } fault)
        {
            var count = (int)Math.Min(fault.Bytes, content.Length);
            await response.Body.WriteAsync(content.AsMemory(0, count), context.RequestAborted).ConfigureAwait(false);
            await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            fault.Fired.TrySetResult();
            if (drop is not null)
            {
                context.Abort();
                return;
            }

            await Task.Delay(Timeout.Infinite, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // Stream in chunks, as a real server does, so clients see a body arriving over time.
        for (int offset = 0; offset < content.Length; offset += 64 * 1024)
        {
            var length = Math.Min(64 * 1024, content.Length - offset);
            await response.Body.WriteAsync(content.AsMemory(offset, length), context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static bool TryParseRange(string header, out long from, out long? to)
    {
        from = 0;
        to = null;
        if (!header.StartsWith("bytes=", StringComparison.Ordinal) || header.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        var parts = header["bytes=".Length..].Split('-', 2);
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out from))
        {
            return false;
        }

        if (parts[1].Length > 0)
        {
            if (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var end) || end < from)
            {
                return false;
            }

            to = end;
        }

        return true;
    }

    /// <summary>Applies the Hub's visibility rules; writes the error and returns null when the request may not proceed.</summary>
    private async Task<FakeRepo?> CheckRepoAsync(HttpContext context, string repoId, string revision, bool download)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        string? token = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : null;
        if (token is not null && !KnownTokens.Contains(token))
        {
            await WriteErrorAsync(context, 401, null, "Invalid credentials in Authorization header").ConfigureAwait(false);
            return null;
        }

        FakeRepo? repo;
        lock (_gate)
        {
            _repos.TryGetValue(repoId, out repo);
        }

        bool authorized = token is not null && repo is not null && repo.AuthorizedTokens.Contains(token);
        if (repo is null || (repo.Private && !authorized))
        {
            // The Hub answers 401 to anonymous requests for missing or private repositories, 404 to authenticated ones.
            await WriteErrorAsync(context, token is null ? 401 : 404, "RepoNotFound", token is null ? "Invalid username or password." : "Repository not found").ConfigureAwait(false);
            return null;
        }

        if (revision != "main" && revision != repo.Commit)
        {
            await WriteErrorAsync(context, 404, "RevisionNotFound", $"Invalid rev id: {revision}").ConfigureAwait(false);
            return null;
        }

        if (download && repo.Gated && !authorized)
        {
            if (token is null)
            {
                await WriteErrorAsync(context, 401, "GatedRepo", $"Access to model {repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.").ConfigureAwait(false);
            }
            else
            {
                await WriteErrorAsync(context, 403, "GatedRepo", $"Access to model {repoId} is restricted and you are not in the authorized list. Visit {Endpoint}{repoId} to ask for access.").ConfigureAwait(false);
            }

            return null;
        }

        return repo;
    }

    private static async Task WriteInfoAsync(HttpContext context, FakeRepo repo)
    {
        var info = new JsonObject
        {
            ["_id"] = repo.Commit[..24],
            ["id"] = repo.Id,
            ["modelId"] = repo.Id,
            ["author"] = repo.Id.Split('/')[0],
            ["sha"] = repo.Commit,
            ["lastModified"] = "2024-07-02T10:00:00.000Z",
            ["private"] = repo.Private,
            ["gated"] = repo.Gated ? "auto" : false,
            ["disabled"] = false,
            ["library_name"] = "onnxruntime-genai",
            ["tags"] = new JsonArray("onnx", "text-generation"),
            ["siblings"] = new JsonArray([.. repo.Files.Select(f => (JsonNode)new JsonObject { ["rfilename"] = f.Path })]),
        };
        await WriteJsonAsync(context, info).ConfigureAwait(false);
    }

    private async Task WriteTreeAsync(HttpContext context, FakeRepo repo, string revision, string folder)
    {
        var prefix = folder.Length == 0 ? string.Empty : folder + "/";
        var files = repo.Files.Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (folder.Length > 0 && files.Count == 0)
        {
            await WriteErrorAsync(context, 404, "EntryNotFound", $"{folder} does not exist on \"{revision}\"").ConfigureAwait(false);
            return;
        }

        // Directories appear in recursive listings too, as on the Hub.
        var entries = new List<JsonObject>();
        var directories = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var parts = file.Path.Split('/');
            for (int i = 1; i < parts.Length; i++)
            {
                var directory = string.Join('/', parts.Take(i));
                if (directory.StartsWith(prefix, StringComparison.Ordinal) && directories.Add(directory))
                {
                    entries.Add(new JsonObject { ["type"] = "directory", ["oid"] = FakeRepoFile.GitBlobId(Encoding.UTF8.GetBytes(directory)), ["size"] = 0, ["path"] = directory });
                }
            }

            var entry = new JsonObject { ["type"] = "file", ["oid"] = file.GitOid, ["size"] = file.Content.Length, ["path"] = file.Path };
            if (file.IsLfs)
            {
                entry["lfs"] = new JsonObject { ["oid"] = file.Sha256, ["size"] = file.Content.Length, ["pointerSize"] = file.GitStoredBytes.Length };
            }

            entries.Add(entry);
        }

        entries.AddRange(repo.ExtraTreeEntries.Select(e => (JsonObject)e.DeepClone()));

        int start = int.TryParse(context.Request.Query["cursor"], NumberStyles.None, CultureInfo.InvariantCulture, out var cursor) ? cursor : 0;
        var page = entries.Skip(start).Take(TreePageSize).ToList();
        if (start + page.Count < entries.Count)
        {
            var next = new Uri(Endpoint, $"{context.Request.Path.Value!.TrimStart('/')}?recursive=true&cursor={start + page.Count}");
            context.Response.Headers.Link = $"<{next.AbsoluteUri}>; rel=\"next\"";
        }

        await WriteJsonAsync(context, new JsonArray([.. page.Select(e => (JsonNode)e)])).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpContext context, JsonNode node, int status = 200)
    {
        var bytes = Encoding.UTF8.GetBytes(node.ToJsonString());
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string? errorCode, string message)
    {
        if (errorCode is not null)
        {
            context.Response.Headers["X-Error-Code"] = errorCode;
        }

        context.Response.Headers["X-Error-Message"] = message;
        await WriteJsonAsync(context, new JsonObject { ["error"] = message }, status).ConfigureAwait(false);
    }
}
