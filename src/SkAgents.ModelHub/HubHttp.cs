using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace SkAgents.ModelHub;

/// <summary>What a hub request was for; decides how a 404 is reported.</summary>
internal enum HubRequestKind
{
    RepositoryInfo,
    Tree,
    File,
}

/// <summary>The hub's own headers, collected from the redirect hops of a resolve request (the CDN does not repeat them).</summary>
internal sealed class ResolveHeaders
{
    public string? RepoCommit { get; set; }

    public string? LinkedEtag { get; set; }

    public long? LinkedSize { get; set; }

    public string? Etag { get; set; }

    public void Collect(HttpResponseMessage response)
    {
        RepoCommit ??= HubHttp.Header(response, "X-Repo-Commit");
        LinkedEtag ??= HubHttp.NormalizeEtag(HubHttp.Header(response, "X-Linked-Etag"));
        Etag ??= HubHttp.NormalizeEtag(response.Headers.ETag?.Tag ?? HubHttp.Header(response, "ETag"));
        if (LinkedSize is null && long.TryParse(HubHttp.Header(response, "X-Linked-Size"), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            LinkedSize = size;
        }
    }

    /// <summary>Gets the content's sha256 the hub announced (X-Linked-Etag for LFS files), when it looks like one.</summary>
    public string? AnnouncedSha256 =>
        new[] { LinkedEtag, Etag }.FirstOrDefault(e => e is { Length: 64 } && e.All(char.IsAsciiHexDigit))?.ToLowerInvariant();
}

/// <summary>A failure worth retrying: 408/429/5xx, a dropped or stalled connection.</summary>
internal sealed class RetryableHubException : Exception
{
    public RetryableHubException()
    {
    }

    public RetryableHubException(string message)
        : base(message)
    {
    }

    public RetryableHubException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public RetryableHubException(string message, TimeSpan? retryAfter, Exception? innerException = null)
        : base(message, innerException)
    {
        RetryAfter = retryAfter;
    }

    public TimeSpan? RetryAfter { get; }
}

/// <summary>HTTP helpers shared by listing and downloading.</summary>
internal static class HubHttp
{
    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault()
        : null;

    /// <summary>Strips a weak marker and quotes: <c>W/"abc"</c> becomes <c>abc</c>.</summary>
    public static string? NormalizeEtag(string? etag)
    {
        if (string.IsNullOrWhiteSpace(etag))
        {
            return null;
        }

        var value = etag.Trim();
        if (value.StartsWith("W/", StringComparison.OrdinalIgnoreCase))
        {
            value = value[2..];
        }

        return value.Trim('"');
    }

    public static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    public static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    /// <summary>The next page of a paginated listing: <c>Link: &lt;url&gt;; rel="next"</c>.</summary>
    public static Uri? NextLink(HttpResponseMessage response, Uri current)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (var part in values.SelectMany(v => v.Split(',')))
        {
            var pieces = part.Split(';');
            var target = pieces[0].Trim();
            bool isNext = pieces.Skip(1).Any(p =>
            {
                var kv = p.Split('=', 2);
                return kv.Length == 2 && kv[0].Trim().Equals("rel", StringComparison.OrdinalIgnoreCase)
                    && kv[1].Trim().Trim('"').Split(' ').Contains("next", StringComparer.OrdinalIgnoreCase);
            });
            if (isNext && target.StartsWith('<') && target.EndsWith('>')
                && Uri.TryCreate(current, target[1..^1], out var next))
            {
                return next;
            }
        }

        return null;
    }

    /// <summary>Turns a refused request into the matching typed exception, with a hint about <c>HF_TOKEN</c> where it helps.</summary>
    public static ModelHubException MapError(HttpResponseMessage response, HubRequestKind kind, string repoId, string revision, string? path, Uri endpoint, bool tokenSent)
    {
        var status = response.StatusCode;
        var code = Header(response, "X-Error-Code");
        var hubMessage = Header(response, "X-Error-Message");
        var detail = string.IsNullOrWhiteSpace(hubMessage) ? string.Empty : $" The hub said: {hubMessage.Trim()}";
        var repoPage = new Uri(endpoint, string.Join('/', repoId.Split('/').Select(Uri.EscapeDataString)));
        var tokenHint = tokenSent
            ? " A token was sent: check that it is valid and that its account can read this repository."
            : $" No token was sent: set {HuggingFaceDownloaderOptions.TokenVariable} to a Hugging Face access token (https://huggingface.co/settings/tokens).";

        if (string.Equals(code, "GatedRepo", StringComparison.OrdinalIgnoreCase))
        {
            var message = tokenSent
                ? $"'{repoId}' is a gated repository and the token's account has not been granted access: accept its terms at {repoPage} (HTTP {(int)status}).{detail}"
                : $"'{repoId}' is a gated repository: accept its terms at {repoPage}, then set {HuggingFaceDownloaderOptions.TokenVariable} to an access token of that account (HTTP {(int)status}).{detail}";
            return new RepositoryAccessException(message, status, code, tokenSent);
        }

        if (string.Equals(code, "RepoNotFound", StringComparison.OrdinalIgnoreCase)
            || (status == HttpStatusCode.NotFound && code is null && kind == HubRequestKind.RepositoryInfo))
        {
            var hint = tokenSent ? string.Empty : $" If it is private, set {HuggingFaceDownloaderOptions.TokenVariable} to a token that can read it.";
            return new RepositoryNotFoundException($"Repository '{repoId}' was not found on {endpoint.GetLeftPart(UriPartial.Authority)} (HTTP {(int)status}).{hint}{detail}", status, code);
        }

        if (string.Equals(code, "RevisionNotFound", StringComparison.OrdinalIgnoreCase))
        {
            return new EntryNotFoundException($"Revision '{revision}' was not found in '{repoId}' (HTTP {(int)status}).{detail}", status, code);
        }

        if (string.Equals(code, "EntryNotFound", StringComparison.OrdinalIgnoreCase) || status == HttpStatusCode.NotFound)
        {
            var what = path is null ? $"Revision '{revision}'" : $"'{path}'";
            return new EntryNotFoundException($"{what} was not found in '{repoId}' at revision '{revision}' (HTTP {(int)status}).{detail}", status, code);
        }

        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            var verb = status == HttpStatusCode.Unauthorized ? "needs authentication" : "refused access";
            return new RepositoryAccessException($"The hub {verb} for '{repoId}' (HTTP {(int)status}).{tokenHint}{detail}", status, code, tokenSent);
        }

        var target = path is null ? $"'{repoId}'" : $"'{path}' of '{repoId}'";
        return new ModelHubException($"The hub answered HTTP {(int)status} {response.ReasonPhrase} for {target}.{detail}", status, code);
    }
}
