using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using SkAgents.Testing;

namespace SkAgents.ModelHub.Tests;

public sealed class DownloaderTests
{
    [Fact]
    public async Task Pull_downloads_every_file_byte_identical_via_the_cdn_redirect()
    {
        await using var ctx = await HubTestContext.StartAsync();
        using var downloader = ctx.Downloader();

        var result = await downloader.DownloadAsync(HubTestContext.RepoId);

        Assert.Equal(ctx.Target, result.TargetDirectory);
        Assert.Equal(ctx.Target, result.ModelDirectory);
        Assert.Equal(ctx.Repo.Commit, result.Commit);
        Assert.Equal(ctx.Repo.Files.Count, result.FilesDownloaded);
        Assert.Equal(0, result.FilesSkipped);
        Assert.Equal(ctx.Repo.Files.Sum(f => (long)f.Content.Length), result.TotalBytes);
        Assert.Equal(result.TotalBytes, result.BytesTransferred);
        foreach (var file in ctx.Repo.Files)
        {
            ctx.AssertIdentical(file.Path);
        }

        Assert.Empty(ctx.PartialFiles());

        // LFS files came from the CDN after a 302; regular files straight from resolve; resolve used the listed commit.
        var lfs = ctx.Repo.File(HubTestContext.BigFile);
        var resolve = Assert.Single(ctx.ResolveRequests(), r => r.Path.EndsWith(HubTestContext.BigFile, StringComparison.Ordinal));
        Assert.Equal(302, resolve.Status);
        Assert.Contains("/resolve/" + ctx.Repo.Commit + "/", resolve.Path, StringComparison.Ordinal);
        Assert.Equal(200, Assert.Single(ctx.CdnRequests(HubTestContext.BigFile)).Status);
        Assert.Equal(ctx.Repo.Files.Count(f => f.IsLfs), ctx.Hub.Requests.Count(r => r.Server == "cdn"));
        Assert.Equal(ctx.Repo.Files.Count(f => !f.IsLfs), ctx.ResolveRequests().Count(r => r.Status == 200));
        Assert.True(lfs.IsLfs);
    }

    [Fact]
    public async Task Include_downloads_only_that_folder_and_asks_the_hub_for_that_folder()
    {
        await using var ctx = await HubTestContext.StartAsync();
        using var downloader = ctx.Downloader();

        var result = await downloader.DownloadAsync(HubTestContext.RepoId, include: "/" + HubTestContext.CpuFolder + "/");

        var expected = ctx.Repo.Files.Where(f => f.Path.StartsWith(HubTestContext.CpuFolder + "/", StringComparison.Ordinal)).Select(f => f.Path).Order().ToArray();
        Assert.Equal(expected, result.Files.Select(f => f.Path).Order().ToArray());
        Assert.Equal(5, expected.Length);
        Assert.Equal(Path.Combine(ctx.Target, "cpu_and_mobile", "cpu-int4-rtn-block-32-acc-level-4"), result.ModelDirectory);
        foreach (var path in expected)
        {
            ctx.AssertIdentical(path);
        }

        Assert.False(File.Exists(ctx.LocalPath("README.md")));
        Assert.False(Directory.Exists(Path.Combine(ctx.Target, "cuda")));
        var tree = Assert.Single(ctx.Hub.Requests, r => r.Path.Contains("/tree/", StringComparison.Ordinal));
        Assert.EndsWith($"/tree/{ctx.Repo.Commit}/{HubTestContext.CpuFolder}", tree.Path, StringComparison.Ordinal);
        Assert.Contains("recursive=true", tree.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tree_listing_follows_link_header_pages()
    {
        await using var ctx = await HubTestContext.StartAsync();
        ctx.Hub.TreePageSize = 2;
        using var downloader = ctx.Downloader();

        var listing = await downloader.ListFilesAsync(HubTestContext.RepoId);

        Assert.Equal(ctx.Repo.Files.Select(f => f.Path).Order(), listing.Files.Select(f => f.Path).Order());
        Assert.True(ctx.Hub.Requests.Count(r => r.Path.Contains("/tree/", StringComparison.Ordinal)) >= 6);
        var big = Assert.Single(listing.Files, f => f.Path == HubTestContext.BigFile);
        Assert.Equal(ctx.Repo.File(HubTestContext.BigFile).Sha256, big.Sha256);
        Assert.Equal(ctx.Repo.File(HubTestContext.BigFile).Content.Length, big.Size);
        var readme = Assert.Single(listing.Files, f => f.Path == "README.md");
        Assert.False(readme.IsLfs);
        Assert.Equal(ctx.Repo.File("README.md").GitOid, readme.GitOid);
        Assert.Equal(ctx.Repo.Commit, listing.Commit);
    }

    [Fact]
    public async Task Progress_reports_cover_every_file_and_end_at_the_total()
    {
        await using var ctx = await HubTestContext.StartAsync();
        using var downloader = ctx.Downloader(o => o.MaxParallelDownloads = 1);
        var progress = new RecordingProgress();

        var result = await downloader.DownloadAsync(HubTestContext.RepoId, progress: progress);

        var reports = progress.Reports.ToArray();
        Assert.Equal(DownloadStage.Listed, reports[0].Stage);
        Assert.Equal(result.TotalBytes, reports[0].TotalLength);
        Assert.Equal(ctx.Repo.Files.Count, reports[0].FileCount);
        var completed = reports.Where(r => r.Stage == DownloadStage.Completed).ToArray();
        Assert.Equal(ctx.Repo.Files.Select(f => f.Path).Order(), completed.Select(r => r.FilePath).Order());
        var last = reports[^1];
        Assert.Equal(DownloadStage.Completed, last.Stage);
        Assert.Equal(result.TotalBytes, last.TotalBytes);
        Assert.Equal(ctx.Repo.Files.Count, last.FilesDone);
        Assert.All(reports, r => Assert.InRange(r.TotalBytes, 0, r.TotalLength));
        Assert.Contains(reports, r => r.Stage == DownloadStage.Progress && r.FilePath == HubTestContext.BigFile && r.FileBytes > 0 && r.FileBytes < r.FileLength);
    }

    [Fact]
    public async Task Gated_repo_without_token_is_refused_with_a_hint_about_HF_TOKEN()
    {
        await using var ctx = await HubTestContext.StartAsync();
        ctx.Repo.Gated = true;
        using var downloader = ctx.Downloader();

        var ex = await Assert.ThrowsAsync<RepositoryAccessException>(() => downloader.DownloadAsync(HubTestContext.RepoId));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.True(ex.IsGated);
        Assert.False(ex.TokenSent);
        Assert.Contains("HF_TOKEN", ex.Message, StringComparison.Ordinal);
        Assert.Contains("gated", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(ctx.LocalPath(HubTestContext.BigFile)));
        Assert.DoesNotContain(ctx.Hub.Requests, r => r.Server == "cdn");
    }

    [Fact]
    public async Task Gated_repo_with_an_authorized_token_downloads_and_the_token_only_goes_to_the_hub()
    {
        await using var ctx = await HubTestContext.StartAsync();
        const string token = "hf_TestTokenWithAccess0123456789";
        ctx.Repo.Gated = true;
        ctx.Repo.AuthorizedTokens.Add(token);
        ctx.Hub.KnownTokens.Add(token);
        using var downloader = ctx.Downloader(o => o.Token = token);

        var result = await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder);

        Assert.Equal(5, result.FilesDownloaded);
        ctx.AssertIdentical(HubTestContext.BigFile);
        var hubRequests = ctx.Hub.Requests.Where(r => r.Server == "hub").ToArray();
        Assert.NotEmpty(hubRequests);
        Assert.All(hubRequests, r => Assert.Equal("Bearer " + token, r.Header("Authorization")));
        var cdnRequests = ctx.Hub.Requests.Where(r => r.Server == "cdn").ToArray();
        Assert.NotEmpty(cdnRequests);
        Assert.All(cdnRequests, r => Assert.Null(r.Header("Authorization")));
    }

    [Fact]
    public async Task Gated_repo_with_a_token_lacking_access_is_forbidden_and_the_token_is_never_shown()
    {
        await using var ctx = await HubTestContext.StartAsync();
        const string token = "hf_SecretWithoutAccess987654321";
        ctx.Repo.Gated = true;
        ctx.Hub.KnownTokens.Add(token);
        using var downloader = ctx.Downloader(o => o.Token = token);
        var progress = new RecordingProgress();

        var ex = await Assert.ThrowsAsync<RepositoryAccessException>(() => downloader.DownloadAsync(HubTestContext.RepoId, progress: progress));

        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.True(ex.IsGated);
        Assert.True(ex.TokenSent);
        Assert.Contains("accept its terms", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(token, progress.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_token_is_reported_as_an_access_problem()
    {
        await using var ctx = await HubTestContext.StartAsync();
        using var downloader = ctx.Downloader(o => o.Token = "hf_NotAKnownToken");

        var ex = await Assert.ThrowsAsync<RepositoryAccessException>(() => downloader.DownloadAsync(HubTestContext.RepoId));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Contains("Invalid credentials", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hf_NotAKnownToken", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, HttpStatusCode.Unauthorized)]
    [InlineData(true, HttpStatusCode.NotFound)]
    public async Task Missing_repo_is_repository_not_found(bool withToken, HttpStatusCode expectedStatus)
    {
        await using var ctx = await HubTestContext.StartAsync();
        ctx.Hub.KnownTokens.Add("hf_valid");
        using var downloader = ctx.Downloader(o => o.Token = withToken ? "hf_valid" : null);

        var ex = await Assert.ThrowsAsync<RepositoryNotFoundException>(() => downloader.DownloadAsync("nobody/no-such-model"));

        Assert.Equal(expectedStatus, ex.StatusCode);
        Assert.Equal("RepoNotFound", ex.ErrorCode);
        Assert.Contains("nobody/no-such-model", ex.Message, StringComparison.Ordinal);
        Assert.Equal(!withToken, ex.Message.Contains("HF_TOKEN", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(ctx.Root, "models", "nobody")));
    }

    [Fact]
    public async Task Private_repo_is_visible_only_with_an_authorized_token()
    {
        await using var ctx = await HubTestContext.StartAsync();
        var repo = ctx.Hub.AddRepo("acme/private-model");
        repo.Private = true;
        repo.Add("model.onnx", HubTestContext.Bytes(9, 5000), lfs: true);
        repo.AuthorizedTokens.Add("hf_acme");
        ctx.Hub.KnownTokens.Add("hf_acme");

        using (var anonymous = ctx.Downloader())
        {
            await Assert.ThrowsAsync<RepositoryNotFoundException>(() => anonymous.DownloadAsync("acme/private-model"));
        }

        using var authorized = ctx.Downloader(o => o.Token = "hf_acme");
        var result = await authorized.DownloadAsync("acme/private-model");
        Assert.Equal(repo.File("model.onnx").Content, File.ReadAllBytes(Path.Combine(result.TargetDirectory, "model.onnx")));
        Assert.Equal(Path.Combine(ctx.Root, "models", "acme", "private-model"), result.TargetDirectory);
    }

    [Fact]
    public async Task Missing_revision_is_entry_not_found()
    {
        await using var ctx = await HubTestContext.StartAsync();
        using var downloader = ctx.Downloader(o => o.Revision = "v9.9");

        var ex = await Assert.ThrowsAsync<EntryNotFoundException>(() => downloader.DownloadAsync(HubTestContext.RepoId));

        Assert.Equal("RevisionNotFound", ex.ErrorCode);
        Assert.Contains("v9.9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explicit_commit_revision_is_used_for_listing_and_downloads()
    {
        await using var ctx = await HubTestContext.StartAsync();
        using var downloader = ctx.Downloader(o => o.Revision = ctx.Repo.Commit);

        var result = await downloader.DownloadAsync(HubTestContext.RepoId, include: "cuda/cuda-int4-rtn-block-32");

        Assert.Equal(ctx.Repo.Commit, result.Revision);
        Assert.Equal(2, result.FilesDownloaded);
        Assert.All(ctx.ResolveRequests(), r => Assert.Contains("/resolve/" + ctx.Repo.Commit + "/", r.Path, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_include_folder_is_entry_not_found()
    {
        await using var ctx = await HubTestContext.StartAsync();
        using var downloader = ctx.Downloader();

        var ex = await Assert.ThrowsAsync<EntryNotFoundException>(() => downloader.DownloadAsync(HubTestContext.RepoId, include: "directml/directml-int4"));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("EntryNotFound", ex.ErrorCode);
        Assert.Contains("directml/directml-int4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rate_limit_429_is_retried_after_the_Retry_After_delay()
    {
        await using var ctx = await HubTestContext.StartAsync();
        var fault = ctx.Hub.AddFault(new HubFault { Kind = HubFaultKind.Status, Server = "hub", Status = 429, RetryAfter = "1", PathContains = HubTestContext.ConfigFile });
        using var downloader = ctx.Downloader();
        var progress = new RecordingProgress();

        await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder, progress: progress);

        ctx.AssertIdentical(HubTestContext.ConfigFile);
        var attempts = ctx.ResolveRequests().Where(r => r.Path.EndsWith(HubTestContext.ConfigFile, StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.Equal(429, attempts[0].Status);
        Assert.Equal(200, attempts[1].Status);
        Assert.True(attempts[1].ReceivedAt - attempts[0].ReceivedAt >= TimeSpan.FromMilliseconds(900), "the client waited for Retry-After");
        Assert.Contains(progress.Reports, r => r.Stage == DownloadStage.Retrying && r.FilePath == HubTestContext.ConfigFile && r.Message!.Contains("429", StringComparison.Ordinal));
        Assert.Equal(0, fault.Times);
    }

    [Fact]
    public async Task Server_errors_on_listing_and_cdn_are_retried()
    {
        await using var ctx = await HubTestContext.StartAsync();
        ctx.Hub.AddFault(new HubFault { Kind = HubFaultKind.Status, Server = "hub", Status = 503, PathContains = "/tree/", Times = 2 });
        var sha = ctx.Repo.File(HubTestContext.OnnxFile).Sha256;
        ctx.Hub.AddFault(new HubFault { Kind = HubFaultKind.Status, Server = "cdn", Status = 502, PathContains = sha });
        using var downloader = ctx.Downloader();

        await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder);

        ctx.AssertIdentical(HubTestContext.OnnxFile);
        Assert.Equal([503, 503, 200], ctx.Hub.Requests.Where(r => r.Path.Contains("/tree/", StringComparison.Ordinal)).Select(r => r.Status));
        Assert.Equal([502, 200], ctx.CdnRequests(HubTestContext.OnnxFile).Select(r => r.Status));
    }

    [Fact]
    public async Task Retries_are_bounded()
    {
        await using var ctx = await HubTestContext.StartAsync();
        ctx.Hub.AddFault(new HubFault { Kind = HubFaultKind.Status, Server = "cdn", Status = 503, PathContains = ctx.Repo.File(HubTestContext.OnnxFile).Sha256, Times = 100 });
        using var downloader = ctx.Downloader(o => o.MaxRetries = 2);

        var ex = await Assert.ThrowsAsync<ModelHubException>(() => downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder));

        Assert.Contains("Giving up", ex.Message, StringComparison.Ordinal);
        Assert.Contains(HubTestContext.OnnxFile, ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, ctx.CdnRequests(HubTestContext.OnnxFile).Count);
    }

    [Fact]
    public async Task Dropped_connection_mid_file_resumes_with_a_Range_request()
    {
        await using var ctx = await HubTestContext.StartAsync();
        var sha = ctx.Repo.File(HubTestContext.BigFile).Sha256;
        ctx.Hub.AddFault(new HubFault { Kind = HubFaultKind.DropAfter, Server = "cdn", PathContains = sha, Bytes = 1_000_000 });
        using var downloader = ctx.Downloader();

        var result = await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder);

        ctx.AssertIdentical(HubTestContext.BigFile);
        var requests = ctx.CdnRequests(HubTestContext.BigFile);
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Header("Range"));
        var range = requests[1].Header("Range");
        Assert.NotNull(range);
        Assert.Matches(@"^bytes=\d+-$", range);
        var resumedAt = long.Parse(range!["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedAt, 1, 1_000_000);
        Assert.Equal(206, requests[1].Status);
        var file = Assert.Single(result.Files, f => f.Path == HubTestContext.BigFile);
        Assert.True(file.Resumed);
        Assert.Equal(ctx.Repo.File(HubTestContext.BigFile).Content.Length, file.BytesTransferred);
        Assert.Empty(ctx.PartialFiles());
    }

    [Fact]
    public async Task Server_ignoring_Range_restarts_the_file_from_zero()
    {
        await using var ctx = await HubTestContext.StartAsync();
        var content = ctx.Repo.File(HubTestContext.BigFile).Content;
        var partial = ctx.LocalPath(HubTestContext.BigFile) + ".partial";
        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
        File.WriteAllBytes(partial, content[..500_000]);
        ctx.Hub.AddFault(new HubFault { Kind = HubFaultKind.IgnoreRange, Server = "cdn", PathContains = ctx.Repo.File(HubTestContext.BigFile).Sha256 });
        using var downloader = ctx.Downloader();

        var result = await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder);

        ctx.AssertIdentical(HubTestContext.BigFile);
        var request = Assert.Single(ctx.CdnRequests(HubTestContext.BigFile));
        Assert.Equal("bytes=500000-", request.Header("Range"));
        Assert.Equal(200, request.Status);
        var file = Assert.Single(result.Files, f => f.Path == HubTestContext.BigFile);
        Assert.False(file.Resumed);
        Assert.Equal(content.Length, file.BytesTransferred);
    }

    [Fact]
    public async Task Existing_partial_is_resumed_across_runs()
    {
        await using var ctx = await HubTestContext.StartAsync();
        var content = ctx.Repo.File(HubTestContext.BigFile).Content;
        var partial = ctx.LocalPath(HubTestContext.BigFile) + ".partial";
        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
        File.WriteAllBytes(partial, content[..777_777]);
        using var downloader = ctx.Downloader();

        var result = await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder);

        ctx.AssertIdentical(HubTestContext.BigFile);
        var request = Assert.Single(ctx.CdnRequests(HubTestContext.BigFile));
        Assert.Equal("bytes=777777-", request.Header("Range"));
        Assert.Equal(206, request.Status);
        Assert.Equal(content.Length - 777_777, Assert.Single(result.Files, f => f.Path == HubTestContext.BigFile).BytesTransferred);
    }

    [Fact]
    public async Task Full_length_partial_is_verified_and_moved_without_a_request_or_replaced_when_bad()
    {
        await using var ctx = await HubTestContext.StartAsync();
        var good = ctx.Repo.File(HubTestContext.OnnxFile).Content;
        var bad = ctx.Repo.File(HubTestContext.BigFile).Content;
        Directory.CreateDirectory(Path.GetDirectoryName(ctx.LocalPath(HubTestContext.OnnxFile))!);
        File.WriteAllBytes(ctx.LocalPath(HubTestContext.OnnxFile) + ".partial", good);
        File.WriteAllBytes(ctx.LocalPath(HubTestContext.BigFile) + ".partial", [.. bad.Reverse()]);
        using var downloader = ctx.Downloader();

        var result = await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder);

        ctx.AssertIdentical(HubTestContext.OnnxFile);
        ctx.AssertIdentical(HubTestContext.BigFile);
        Assert.Empty(ctx.CdnRequests(HubTestContext.OnnxFile));
        Assert.Null(Assert.Single(ctx.CdnRequests(HubTestContext.BigFile)).Header("Range"));
        Assert.Equal(0, Assert.Single(result.Files, f => f.Path == HubTestContext.OnnxFile).BytesTransferred);
        Assert.Empty(ctx.PartialFiles());
    }

    [Fact]
    public async Task Checksum_mismatch_rejects_the_file_names_both_hashes_and_deletes_the_partial()
    {
        await using var ctx = await HubTestContext.StartAsync();
        var file = ctx.Repo.File(HubTestContext.OnnxFile);
        ctx.Hub.AddFault(new HubFault { Kind = HubFaultKind.Corrupt, Server = "cdn", PathContains = file.Sha256 });
        using var downloader = ctx.Downloader(o => o.MaxParallelDownloads = 1);

        var ex = await Assert.ThrowsAsync<ChecksumMismatchException>(() => downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder));

        Assert.Equal(HubTestContext.OnnxFile, ex.FilePath);
        Assert.Equal("sha256", ex.Algorithm);
        Assert.Equal(file.Sha256, ex.Expected);
        Assert.NotEqual(file.Sha256, ex.Actual);
        Assert.Contains(file.Sha256, ex.Message, StringComparison.Ordinal);
        Assert.Contains(ex.Actual!, ex.Message, StringComparison.Ordinal);
        Assert.Contains(HubTestContext.OnnxFile, ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(ctx.LocalPath(HubTestContext.OnnxFile)));
        Assert.False(File.Exists(ctx.LocalPath(HubTestContext.OnnxFile) + ".partial"));
    }

    [Fact]
    public async Task Corrupt_regular_file_fails_the_git_blob_check()
    {
        await using var ctx = await HubTestContext.StartAsync();
        var file = ctx.Repo.File(HubTestContext.ConfigFile);
        ctx.Hub.AddFault(new HubFault { Kind = HubFaultKind.Corrupt, Server = "hub", PathContains = HubTestContext.ConfigFile });
        using var downloader = ctx.Downloader();

        var ex = await Assert.ThrowsAsync<ChecksumMismatchException>(() => downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder));

        Assert.Equal("git-sha1", ex.Algorithm);
        Assert.Equal(file.GitOid, ex.Expected);
        Assert.False(File.Exists(ctx.LocalPath(HubTestContext.ConfigFile)));
        Assert.False(File.Exists(ctx.LocalPath(HubTestContext.ConfigFile) + ".partial"));
    }

    [Fact]
    public async Task Complete_files_are_skipped_without_downloading_again()
    {
        await using var ctx = await HubTestContext.StartAsync();
        using var downloader = ctx.Downloader();
        await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder);
        var modified = File.GetLastWriteTimeUtc(ctx.LocalPath(HubTestContext.BigFile));
        ctx.Hub.ClearRequests();
        var progress = new RecordingProgress();

        var result = await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder, progress: progress);

        Assert.Equal(5, result.FilesSkipped);
        Assert.Equal(0, result.FilesDownloaded);
        Assert.Equal(0, result.BytesTransferred);
        Assert.Empty(ctx.ResolveRequests());
        Assert.DoesNotContain(ctx.Hub.Requests, r => r.Server == "cdn");
        Assert.Equal(5, progress.Reports.Count(r => r.Stage == DownloadStage.Skipped));
        Assert.Equal(modified, File.GetLastWriteTimeUtc(ctx.LocalPath(HubTestContext.BigFile)));
    }

    [Fact]
    public async Task Local_file_that_differs_from_the_hub_is_downloaded_again()
    {
        await using var ctx = await HubTestContext.StartAsync();
        using var downloader = ctx.Downloader();
        await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder);
        var local = ctx.LocalPath(HubTestContext.OnnxFile);
        var tampered = File.ReadAllBytes(local);
        tampered[10] ^= 0x01;
        File.WriteAllBytes(local, tampered);
        ctx.Hub.ClearRequests();

        var result = await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder);

        ctx.AssertIdentical(HubTestContext.OnnxFile);
        Assert.Equal(1, result.FilesDownloaded);
        Assert.Equal(4, result.FilesSkipped);
        Assert.Single(ctx.CdnRequests(HubTestContext.OnnxFile));
    }

    [Theory]
    [InlineData("../evil.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("onnx/../../evil.txt")]
    [InlineData("onnx\\..\\..\\evil.txt")]
    [InlineData("C:/Windows/evil.dll")]
    [InlineData("onnx//model.onnx")]
    [InlineData("./model.onnx")]
    public async Task Path_traversal_in_the_listing_is_refused_before_anything_is_written(string name)
    {
        await using var ctx = await HubTestContext.StartAsync();
        var repo = ctx.Hub.AddRepo("mallory/evil-model");
        repo.Add("config.json", "{}");
        repo.ExtraTreeEntries.Add(new JsonObject { ["type"] = "file", ["oid"] = new string('a', 40), ["size"] = 4, ["path"] = name });
        var target = Path.Combine(ctx.Root, "models", "mallory", "evil-model");
        using var downloader = ctx.Downloader();

        var ex = await Assert.ThrowsAsync<UnsafePathException>(() => downloader.DownloadAsync("mallory/evil-model", targetDirectory: target));

        Assert.Equal(name, ex.Path);
        Assert.Empty(ctx.ResolveRequests());
        Assert.False(Directory.Exists(target));
        Assert.False(File.Exists(Path.Combine(ctx.Root, "models", "mallory", "evil.txt")));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("a/../../b")]
    [InlineData("a\\b")]
    public async Task Unsafe_include_is_an_argument_error(string include)
    {
        await using var ctx = await HubTestContext.StartAsync();
        using var downloader = ctx.Downloader();

        await Assert.ThrowsAsync<ArgumentException>(() => downloader.DownloadAsync(HubTestContext.RepoId, include: include));
        Assert.Empty(ctx.Hub.Requests);
    }

    [Fact]
    public async Task Cancellation_leaves_a_resumable_partial_that_the_next_run_resumes()
    {
        await using var ctx = await HubTestContext.StartAsync();
        var sha = ctx.Repo.File(HubTestContext.BigFile).Sha256;
        var stall = ctx.Hub.AddFault(new HubFault { Kind = HubFaultKind.StallAfter, Server = "cdn", PathContains = sha, Bytes = 524_288 });
        var partial = ctx.LocalPath(HubTestContext.BigFile) + ".partial";
        using var downloader = ctx.Downloader();
        using var cts = new CancellationTokenSource();

        var pull = downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder, cancellationToken: cts.Token);
        await stall.Fired.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var watch = Stopwatch.StartNew();
        while ((!File.Exists(partial) || new FileInfo(partial).Length < 524_288) && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull);

        Assert.Equal(524_288, new FileInfo(partial).Length);
        Assert.Equal(ctx.Repo.File(HubTestContext.BigFile).Content[..524_288], File.ReadAllBytes(partial));
        Assert.False(File.Exists(ctx.LocalPath(HubTestContext.BigFile)));

        ctx.Hub.ClearRequests();
        var result = await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder);

        ctx.AssertIdentical(HubTestContext.BigFile);
        Assert.Equal("bytes=524288-", Assert.Single(ctx.CdnRequests(HubTestContext.BigFile)).Header("Range"));
        Assert.True(Assert.Single(result.Files, f => f.Path == HubTestContext.BigFile).Resumed);
        Assert.Empty(ctx.PartialFiles());
    }

    [Fact]
    public async Task Stalled_download_times_out_and_resumes()
    {
        await using var ctx = await HubTestContext.StartAsync();
        var sha = ctx.Repo.File(HubTestContext.OnnxFile).Sha256;
        ctx.Hub.AddFault(new HubFault { Kind = HubFaultKind.StallAfter, Server = "cdn", PathContains = sha, Bytes = 65_536 });
        using var downloader = ctx.Downloader(o => o.ReadTimeout = TimeSpan.FromMilliseconds(500));
        var progress = new RecordingProgress();

        await downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder, progress: progress);

        ctx.AssertIdentical(HubTestContext.OnnxFile);
        var requests = ctx.CdnRequests(HubTestContext.OnnxFile);
        Assert.Equal(2, requests.Count);
        Assert.Equal("bytes=65536-", requests[1].Header("Range"));
        Assert.Contains(progress.Reports, r => r.Stage == DownloadStage.Retrying && r.Message!.Contains("no data", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Redirect_loops_are_bounded()
    {
        await using var ctx = await HubTestContext.StartAsync();
        ctx.Hub.AddFault(new HubFault { Kind = HubFaultKind.RedirectLoop, Server = "hub", PathContains = HubTestContext.ConfigFile });
        using var downloader = ctx.Downloader(o => o.MaxRedirects = 3);

        var ex = await Assert.ThrowsAsync<ModelHubException>(() => downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder));

        Assert.Contains("redirects", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4, ctx.ResolveRequests().Count(r => r.Path.EndsWith(HubTestContext.ConfigFile, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_file_where_a_folder_must_go_is_a_storage_error()
    {
        await using var ctx = await HubTestContext.StartAsync();
        Directory.CreateDirectory(Path.Combine(ctx.Target, "cpu_and_mobile"));
        File.WriteAllText(Path.Combine(ctx.Target, "cpu_and_mobile", "cpu-int4-rtn-block-32-acc-level-4"), "not a folder");
        using var downloader = ctx.Downloader();

        var ex = await Assert.ThrowsAsync<ModelStorageException>(() => downloader.DownloadAsync(HubTestContext.RepoId, include: HubTestContext.CpuFolder));

        Assert.Contains("cpu-int4-rtn-block-32-acc-level-4", ex.LocalPath, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(ex.InnerException);
    }

    [Fact]
    public async Task Endpoint_without_a_trailing_slash_lists_a_subfolder()
    {
        await using var ctx = await HubTestContext.StartAsync();
        using var downloader = ctx.Downloader(o => o.Endpoint = new Uri(ctx.Hub.Endpoint.AbsoluteUri.TrimEnd('/')));

        var listing = await downloader.ListFilesAsync(HubTestContext.RepoId, "cuda/cuda-int4-rtn-block-32");

        Assert.Equal(["cuda/cuda-int4-rtn-block-32/genai_config.json", "cuda/cuda-int4-rtn-block-32/model.onnx.data"], listing.Files.Select(f => f.Path).Order());
        Assert.All(ctx.Hub.Requests, r => Assert.Equal("hub", r.Server));
    }
}
