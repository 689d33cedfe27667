using System.CommandLine;
using System.Globalization;
using SkAgents.ModelHub;
using Spectre.Console;

namespace SkAgents.Cli.Commands;

/// <summary>
/// <c>skagents models pull &lt;repo&gt; [--include &lt;folder&gt;] [--revision &lt;rev&gt;] [--output &lt;dir&gt;]</c>:
/// downloads a model from the Hugging Face Hub with resume and verification.
/// </summary>
internal static class ModelsPullCommand
{
    /// <summary>Builds the <c>pull</c> subcommand of <c>models</c>.</summary>
    /// <param name="context">The process surroundings.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var repo = new Argument<string>("repo") { Description = "The Hugging Face repository, e.g. microsoft/Phi-3-mini-4k-instruct-onnx." };
        var include = new Option<string?>("--include") { Description = "Download only this folder of the repository, e.g. cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4." };
        var revision = new Option<string?>("--revision") { Description = "Branch, tag or commit to download (default: main)." };
        var output = new Option<string?>("--output", "-o") { Description = "Folder for the repository's files (default: <models folder>/<owner>/<name>; SKAGENTS_MODELS_DIR sets the models folder)." };
        var command = new Command(
            "pull",
            "Download a model from the Hugging Face Hub. HF_TOKEN authorizes gated and private repositories, HF_ENDPOINT selects a mirror. Interrupted downloads resume; every file is size- and hash-checked.")
        {
            repo, include, revision, output,
        };

        command.SetAction(async (parse, ct) =>
        {
            var options = HuggingFaceDownloaderOptions.FromEnvironment(context.Environment);
            if (parse.GetValue(revision) is { Length: > 0 } rev)
            {
                options.Revision = rev;
            }

            var target = parse.GetValue(output) is { Length: > 0 } folder ? Path.GetFullPath(folder, context.WorkingDirectory) : null;
            var repoId = parse.GetRequiredValue(repo);
            var subfolder = parse.GetValue(include);

            using var downloader = new HuggingFaceModelDownloader(options);
            var result = context.IsInteractive
                ? await RunWithProgressBarAsync(context, repoId, progress => downloader.DownloadAsync(repoId, subfolder, target, progress, ct))
                : await RunWithLinesAsync(context, repoId, progress => downloader.DownloadAsync(repoId, subfolder, target, progress, ct));

            var commit = result.Commit is { Length: >= 7 } sha ? sha[..7] : result.Revision;
            await context.Out.WriteLineAsync(
                $"Pulled {result.RepoId}@{commit}: {result.FilesDownloaded} downloaded ({FormatBytes(result.BytesTransferred)}), " +
                $"{result.FilesSkipped} already present, {result.Files.Count} files ({FormatBytes(result.TotalBytes)}) in {result.ModelDirectory}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<ModelDownloadResult> RunWithProgressBarAsync(CliContext context, string repoId, Func<IProgress<DownloadProgress>, Task<ModelDownloadResult>> run)
    {
        var console = context.CreateConsole(context.Error);
        return await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async progressContext =>
            {
                var gate = new Lock();
                ProgressTask? total = null;
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                var reporter = new CallbackProgress(report =>
                {
                    lock (gate)
                    {
                        if (report.Stage == DownloadStage.Listed)
                        {
                            total = progressContext.AddTask(Markup.Escape($"{repoId} ({report.FileCount} files)"), maxValue: Math.Max(1, report.TotalLength));
                            return;
                        }

                        if (total is not null)
                        {
                            total.Value = report.TotalBytes;
                        }

                        var name = Path.GetFileName(report.FilePath);
                        if (!tasks.TryGetValue(report.FilePath, out var task))
                        {
                            task = progressContext.AddTask(Markup.Escape(name), maxValue: Math.Max(1, report.FileLength));
                            tasks[report.FilePath] = task;
                        }

                        switch (report.Stage)
                        {
                            case DownloadStage.Completed:
                            case DownloadStage.Skipped:
                                task.Value = task.MaxValue;
                                task.Description = Markup.Escape(report.Stage == DownloadStage.Skipped ? name + " (present)" : name);
                                task.StopTask();
                                break;
                            case DownloadStage.Retrying:
                                task.Value = report.FileBytes;
                                task.Description = Markup.Escape(name + " (retrying)");
                                break;
                            default:
                                task.Value = report.FileBytes;
                                task.Description = Markup.Escape(name);
                                break;
                        }
                    }
                });

                var result = await run(reporter);
                lock (gate)
                {
                    if (total is not null)
                    {
                        total.Value = total.MaxValue;
                        total.StopTask();
                    }
                }

                return result;
            });
    }

    private static async Task<ModelDownloadResult> RunWithLinesAsync(CliContext context, string repoId, Func<IProgress<DownloadProgress>, Task<ModelDownloadResult>> run)
    {
        var gate = new Lock();
        var reporter = new CallbackProgress(report =>
        {
            var line = report.Stage switch
            {
                DownloadStage.Listed => $"Pulling {repoId}: {report.FileCount} files, {FormatBytes(report.TotalLength)}",
                DownloadStage.Started when report.FileBytes > 0 => $"  {report.FilePath}: resuming at {FormatBytes(report.FileBytes)} of {FormatBytes(report.FileLength)}",
                DownloadStage.Retrying => $"  {report.FilePath}: {report.Message}",
                DownloadStage.Completed => $"  {report.FilePath} ({FormatBytes(report.FileLength)}) [{report.FilesDone}/{report.FileCount}]",
                DownloadStage.Skipped => $"  {report.FilePath} (already present) [{report.FilesDone}/{report.FileCount}]",
                _ => null,
            };
            if (line is not null)
            {
                lock (gate)
                {
                    context.Error.WriteLine(line);
                }
            }
        });

        var result = await run(reporter);
        await context.Error.FlushAsync();
        return result;
    }

    internal static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    /// <summary>Calls back on the reporting thread (unlike <see cref="Progress{T}"/>, which posts to the thread pool out of order).</summary>
    private sealed class CallbackProgress(Action<DownloadProgress> callback) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => callback(value);
    }
}
