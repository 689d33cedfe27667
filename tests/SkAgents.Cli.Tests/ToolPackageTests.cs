using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;

namespace SkAgents.Cli.Tests;

/// <summary>
/// Packs the CLI as a .NET tool, installs it from the local package folder with <c>dotnet tool install</c> and runs the
/// installed <c>skagents</c>. Everything happens in a unique temp folder: the pack uses its own artifacts path (bin, obj
/// and publish output outside the repository), and the install sees only a nuget.config that lists that folder.
/// </summary>
public sealed class ToolPackageTests
{
    private const string PackageId = "skagents";

    private static readonly string[] ShippedPrompts = ["answer-from-sources", "social-caption", "summarize", "write-in-style"];

    [Fact]
    public async Task Packed_tool_installs_from_the_local_folder_and_runs()
    {
        var repoRoot = FindRepositoryRoot();
        var version = ReadProjectVersion(repoRoot);
        using var temp = new TempDirectory();
        var packages = Path.Combine(temp.Path, "packages");
        var tools = Path.Combine(temp.Path, "tools");
        var work = Path.Combine(temp.Path, "work");
        Directory.CreateDirectory(work);

        var pack = await RunAsync(
            "dotnet",
            repoRoot,
            TimeSpan.FromMinutes(10),
            null,
            "pack", Path.Combine("src", "SkAgents.Cli", "SkAgents.Cli.csproj"), "-c", "Release",
            "--artifacts-path", Path.Combine(temp.Path, "artifacts"), "-o", packages, "--nologo");
        Assert.True(pack.ExitCode == 0, $"dotnet pack failed ({pack.ExitCode}):\n{pack.StdOut}\n{pack.StdErr}");

        var nupkg = Path.Combine(packages, $"{PackageId}.{version}.nupkg");
        Assert.True(File.Exists(nupkg), $"Expected {nupkg}; the folder holds: {string.Join(", ", Directory.GetFiles(packages).Select(Path.GetFileName))}");

        // Only the local folder: no machine or user package sources take part in the install.
        var config = temp.Write("nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        var install = await RunAsync(
            "dotnet",
            temp.Path,
            TimeSpan.FromMinutes(5),
            null,
            "tool", "install", PackageId, "--tool-path", tools, "--add-source", packages, "--configfile", config, "--version", version);
        Assert.True(install.ExitCode == 0, $"dotnet tool install failed ({install.ExitCode}):\n{install.StdOut}\n{install.StdErr}");

        var skagents = Path.Combine(tools, OperatingSystem.IsWindows() ? "skagents.exe" : "skagents");
        Assert.True(File.Exists(skagents), $"The tool was installed but {skagents} does not exist.");

        var isolated = ToolEnvironment(work);
        var versionRun = await RunAsync(skagents, work, TimeSpan.FromSeconds(90), isolated, "--version");
        Assert.True(versionRun.ExitCode == 0, $"skagents --version failed ({versionRun.ExitCode}): {versionRun.StdErr}");
        var printed = versionRun.StdOut.Trim();
        // The SDK appends "+<source revision>" to the informational version inside a git checkout.
        var plusAt = printed.IndexOf('+', StringComparison.Ordinal);
        Assert.Equal(version, plusAt < 0 ? printed : printed[..plusAt]);

        var list = await RunAsync(skagents, work, TimeSpan.FromSeconds(90), isolated, "prompts", "list", "--json");
        Assert.True(list.ExitCode == 0, $"skagents prompts list failed ({list.ExitCode}): {list.StdErr}");
        using var json = JsonDocument.Parse(list.StdOut);
        var names = json.RootElement.EnumerateArray().Select(p => p.GetProperty("name").GetString()).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(ShippedPrompts, names);

        var table = await RunAsync(skagents, work, TimeSpan.FromSeconds(90), isolated, "prompts", "list");
        Assert.True(table.ExitCode == 0, $"skagents prompts list failed ({table.ExitCode}): {table.StdErr}");
        Assert.All(ShippedPrompts, name => Assert.Contains(name, table.StdOut, StringComparison.Ordinal));
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SkAgents.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No SkAgents.sln above {AppContext.BaseDirectory}.");
    }

    private static string ReadProjectVersion(string repoRoot)
    {
        var props = XDocument.Load(Path.Combine(repoRoot, "Directory.Build.props"));
        var version = props.Descendants("Version").Select(v => v.Value.Trim()).FirstOrDefault();
        return string.IsNullOrEmpty(version) ? throw new InvalidOperationException("Directory.Build.props sets no <Version>.") : version;
    }

    /// <summary>The installed tool runs without the machine's or user's SkAgents settings.</summary>
    private static Dictionary<string, string?> ToolEnvironment(string work)
    {
        var home = Path.Combine(work, ".home");
        Directory.CreateDirectory(home);
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["HOME"] = home,
            ["XDG_CONFIG_HOME"] = null,
        };
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (key.StartsWith("SKAGENTS", StringComparison.OrdinalIgnoreCase) || key.StartsWith("OPENAI", StringComparison.OrdinalIgnoreCase))
            {
                environment[key] = null;
            }
        }

        // The tool's apphost finds the runtime through DOTNET_ROOT when dotnet is not in a default location.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_ROOT")))
        {
            var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location);
            var dotnetRoot = runtimeDir is null ? null : Directory.GetParent(runtimeDir)?.Parent?.Parent?.FullName;
            if (dotnetRoot is not null)
            {
                environment["DOTNET_ROOT"] = dotnetRoot;
            }
        }

        return environment;
    }

    private static async Task<CliResult> RunAsync(string fileName, string workingDirectory, TimeSpan timeout, IDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not exit within {timeout}. stdout: {await stdout}\nstderr: {await stderr}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
