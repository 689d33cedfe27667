using System.Diagnostics;

namespace SkAgents.Cli.Tests;

/// <summary>The outcome of one <c>skagents</c> process.</summary>
internal sealed record CliResult(int ExitCode, string StdOut, string StdErr);

/// <summary>
/// Runs the real <c>skagents</c> app as a separate process, isolated from the machine's configuration: its own HOME
/// (so no user settings or user-secrets leak in), its own working directory, and no SKAGENTS_/OPENAI_ variables
/// other than those a test sets.
/// </summary>
internal static class CliProcess
{
    private static string AppPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "skagents.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("skagents.dll was not copied next to the tests.", path);
        }
    }

    public static async Task<CliResult> RunAsync(string workingDirectory, IDictionary<string, string>? environment, string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(AppPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("SKAGENTS", StringComparison.OrdinalIgnoreCase) || key.StartsWith("OPENAI", StringComparison.OrdinalIgnoreCase) || key == "XDG_CONFIG_HOME")
            {
                start.Environment.Remove(key);
            }
        }

        var home = Path.Combine(workingDirectory, ".home");
        Directory.CreateDirectory(home);
        start.Environment["HOME"] = home;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start skagents.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"skagents {string.Join(' ', args)} did not exit within 90 s. stderr: {await stderr}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
