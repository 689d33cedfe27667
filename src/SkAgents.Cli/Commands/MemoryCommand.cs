using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SkAgents.Memory;
using SkAgents.Memory.Extraction;
using SkAgents.Memory.Storage;
using SkAgents.Web;
using Spectre.Console;

namespace SkAgents.Cli.Commands;

/// <summary><c>skagents memory import|search|ask|list|delete</c>: the embedded (or configured) memory store.</summary>
internal static class MemoryCommand
{
    private static readonly Option<FileInfo?> DatabaseOption = new("--db") { Description = "The memory database file (SQLite).", Recursive = true };
    private static readonly Option<string?> IndexOption = new("--index") { Description = "The index (collection); 'default' when omitted.", Recursive = true };

    public static Command Create(CliContext context)
    {
        var command = new Command("memory", "Import documents into memory, search them and ask questions with cited sources.")
        {
            DatabaseOption,
            IndexOption,
            Import(context),
            Search(context),
            Ask(context),
            List(context),
            Delete(context),
            Indexes(context),
            DeleteIndex(context),
        };
        return command;
    }

    private static ServiceProvider Services(ParseResult parse, CliContext context)
    {
        var overrides = new Dictionary<string, string?>();
        if (parse.GetValue(DatabaseOption) is { } database)
        {
            overrides["SkAgents:Memory:DatabasePath"] = database.FullName;
        }

        return SkAgentsCli.BuildServices(parse, context, approveAll: false, overrides);
    }

    private static Command Import(CliContext context)
    {
        var paths = new Argument<string[]>("sources") { Description = "Files, folders (read recursively) or http(s) URLs of web pages.", Arity = ArgumentArity.OneOrMore };
        var tags = new Option<string[]>("--tags") { Description = "Tags as key=value (repeatable).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("import", "Import files, folders and web pages (.txt, .md, .html, .json, .csv; pages through the SSRF-guarded fetcher).") { paths, tags };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = Services(parse, context);
            var memory = services.GetRequiredService<MemoryService>();
            var tagMap = ParseTags(parse.GetValue(tags) ?? []);
            var index = parse.GetValue(IndexOption);
            var items = CollectImportItems(parse.GetRequiredValue(paths), context);

            int imported = 0, unchanged = 0;
            var failed = new List<string>();
            async Task ImportOneAsync(ImportItem item, Action<string> report)
            {
                ct.ThrowIfCancellationRequested();
                try
                {
                    var result = item.Url is not null
                        ? await memory.ImportWebPageAsync(item.Url, tags: tagMap, index: index, cancellationToken: ct)
                        : await memory.ImportFileAsync(item.Path!, tags: tagMap, index: index, cancellationToken: ct);
                    if (result.Status == ImportStatus.Imported)
                    {
                        imported++;
                    }
                    else
                    {
                        unchanged++;
                    }

                    report($"{result.Status.ToString().ToLowerInvariant()}: {item.Display} ({result.Partitions} partitions)");
                }
                catch (Exception ex) when (ex is TextExtractionException or IOException or UnauthorizedAccessException or WebFetchException or ArgumentException)
                {
                    // One bad source does not stop the batch.
                    failed.Add($"{item.Display}: {SkAgentsCli.OneLine(ex)}");
                    report($"failed: {item.Display}");
                }
            }

            if (context.IsInteractive)
            {
                // A person is watching: one progress bar on stderr (stdout keeps only the summary).
                await context.CreateConsole(context.Error).Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask("importing", maxValue: Math.Max(1, items.Count));
                        foreach (var item in items)
                        {
                            task.Description = Markup.Escape(Shorten(item.Display, 40));
                            await ImportOneAsync(item, _ => { });
                            task.Increment(1);
                        }

                        task.Description = "done";
                    });
            }
            else
            {
                foreach (var item in items)
                {
                    await ImportOneAsync(item, line => context.Error.WriteLine(line));
                }
            }

            await context.Out.WriteLineAsync($"{imported} imported, {unchanged} unchanged, {failed.Count} failed");
            foreach (var failure in failed)
            {
                await context.Error.WriteLineAsync("failed: " + failure);
            }

            return failed.Count == 0 ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>A file or a web page to import.</summary>
    private sealed record ImportItem(string? Path, Uri? Url, string Display);

    private static List<ImportItem> CollectImportItems(IEnumerable<string> sources, CliContext context)
    {
        var items = new List<ImportItem>();
        foreach (var source in sources)
        {
            if (Uri.TryCreate(source, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
            {
                items.Add(new ImportItem(null, url, url.AbsoluteUri));
                continue;
            }

            var full = Path.GetFullPath(source, context.WorkingDirectory);
            if (Directory.Exists(full))
            {
                items.AddRange(Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                    .Where(f => TextExtractors.Default.IsSupported(Path.GetExtension(f)))
                    .Order(StringComparer.Ordinal)
                    .Select(f => new ImportItem(f, null, Path.GetRelativePath(context.WorkingDirectory, f))));
            }
            else if (File.Exists(full))
            {
                items.Add(new ImportItem(full, null, Path.GetRelativePath(context.WorkingDirectory, full)));
            }
            else
            {
                throw new FileNotFoundException($"'{source}' is neither a file, a folder nor an http(s) URL.", full);
            }
        }

        return items;
    }

    private static Command Search(CliContext context)
    {
        var query = new Argument<string>("query") { Description = "What to look for." };
        var top = new Option<int>("--top") { Description = "The most partitions.", DefaultValueFactory = _ => 5 };
        var mode = new Option<SearchMode?>("--mode") { Description = "keyword, vector or hybrid (hybrid when embeddings are configured, else keyword)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var filter = new Option<string[]>("--filter")
        {
            Description = "Only documents with these tags, key=value (repeatable; all must match; prefix with ! to exclude, e.g. !status=draft).",
            AllowMultipleArgumentsPerToken = true,
        };
        var minRelevance = new Option<double>("--min-relevance") { Description = "The lowest relevance to show, 0 to 1." };
        var command = new Command("search", "Search memory.") { query, top, mode, json, filter, minRelevance };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = Services(parse, context);
            var filters = ParseFilter(parse.GetValue(filter) ?? []);
            var result = await services.GetRequiredService<MemoryService>().SearchAsync(
                parse.GetRequiredValue(query), parse.GetValue(IndexOption), filters, parse.GetValue(minRelevance), parse.GetValue(top), parse.GetValue(mode), ct);
            var hits = result.Results
                .SelectMany(c => c.Partitions.Select(p => new { documentId = c.DocumentId, source = c.SourceName, partition = p.PartitionNumber, section = p.SectionPath, relevance = Math.Round(p.Relevance, 4), text = p.Text }))
                .OrderByDescending(h => h.relevance)
                .ToList();
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(hits, SkAgentsCli.JsonOutput));
                return ExitCodes.Success;
            }

            if (hits.Count == 0)
            {
                await context.Out.WriteLineAsync("No results.");
            }

            foreach (var hit in hits)
            {
                await context.Out.WriteLineAsync($"[{hit.relevance:F3}] {hit.source} #{hit.partition}{(hit.section is null ? string.Empty : " — " + hit.section)}");
                await context.Out.WriteLineAsync("    " + Shorten(hit.text.ReplaceLineEndings(" "), 300));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Ask(CliContext context)
    {
        var question = new Argument<string>("question") { Description = "The question." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("ask", "Answer a question from memory, citing sources as [n].") { question, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = Services(parse, context);
            var memory = services.GetRequiredService<MemoryService>();
            if (parse.GetValue(json))
            {
                var answer = await memory.AskAsync(parse.GetRequiredValue(question), parse.GetValue(IndexOption), cancellationToken: ct);
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(answer, SkAgentsCli.JsonOutput));
                return ExitCodes.Success;
            }

            // The answer is printed as the model writes it; the numbered sources follow.
            IReadOnlyList<AnswerSource> sources = [];
            await foreach (var update in memory.AskStreamingAsync(parse.GetRequiredValue(question), parse.GetValue(IndexOption), cancellationToken: ct))
            {
                sources = update.Sources;
                await context.Out.WriteAsync(update.Text);
                await context.Out.FlushAsync(ct);
            }

            await context.Out.WriteLineAsync();
            if (sources.Count > 0)
            {
                await context.Out.WriteLineAsync();
                foreach (var source in sources)
                {
                    await context.Out.WriteLineAsync($"[{source.Number}] {source.SourceName}{(source.Partition.SectionPath is { } s ? " — " + s : string.Empty)}");
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("list", "List the documents of an index.") { json };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = Services(parse, context);
            var documents = new List<MemoryDocument>();
            await foreach (var document in services.GetRequiredService<MemoryService>().ListDocumentsAsync(parse.GetValue(IndexOption), ct))
            {
                documents.Add(document);
            }

            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(documents, SkAgentsCli.JsonOutput));
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns("Document", "Source", "Partitions", "Updated");
            foreach (var document in documents.OrderBy(d => d.DocumentId, StringComparer.Ordinal))
            {
                table.AddRow(Markup.Escape(document.DocumentId), Markup.Escape(document.SourceName), document.PartitionCount.ToString(System.Globalization.CultureInfo.InvariantCulture), document.UpdatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture));
            }

            context.CreateConsole(context.Out).Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Delete(CliContext context)
    {
        var id = new Argument<string>("documentId") { Description = "The document to delete." };
        var command = new Command("delete", "Delete a document from memory.") { id };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = Services(parse, context);
            var deleted = await services.GetRequiredService<MemoryService>().DeleteDocumentAsync(parse.GetRequiredValue(id), parse.GetValue(IndexOption), ct);
            if (!deleted)
            {
                await context.Error.WriteLineAsync($"error: no document '{parse.GetRequiredValue(id)}' in the index.");
                return ExitCodes.Failure;
            }

            await context.Out.WriteLineAsync($"deleted {parse.GetRequiredValue(id)}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Indexes(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("indexes", "List the indexes that hold documents.") { json };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = Services(parse, context);
            var indexes = await services.GetRequiredService<MemoryService>().ListIndexesAsync(ct);
            await context.Out.WriteLineAsync(parse.GetValue(json) ? JsonSerializer.Serialize(indexes, SkAgentsCli.JsonOutput) : string.Join(Environment.NewLine, indexes));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command DeleteIndex(CliContext context)
    {
        var name = new Argument<string>("index") { Description = "The index to delete with all its documents." };
        var yes = new Option<bool>("--yes") { Description = "Confirm: the index and its documents are deleted for good." };
        var command = new Command("delete-index", "Delete an index and every document in it.") { name, yes };
        command.SetAction(async (parse, ct) =>
        {
            var index = parse.GetRequiredValue(name);
            if (!parse.GetValue(yes))
            {
                await context.Error.WriteLineAsync($"error: deleting index '{index}' removes all its documents; run again with --yes to confirm.");
                return ExitCodes.UsageError;
            }

            await using var services = Services(parse, context);
            var memory = services.GetRequiredService<MemoryService>();
            if (!(await memory.ListIndexesAsync(ct)).Contains(index, StringComparer.Ordinal))
            {
                await context.Error.WriteLineAsync($"error: no index '{index}'.");
                return ExitCodes.Failure;
            }

            await memory.DeleteIndexAsync(index, ct);
            await context.Out.WriteLineAsync($"deleted index {index}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static List<MemoryFilter>? ParseFilter(IEnumerable<string> pairs)
    {
        MemoryFilter? filter = null;
        foreach (var pair in pairs)
        {
            var exclude = pair.StartsWith('!');
            var (key, value) = SplitPair(exclude ? pair[1..] : pair, "--filter");
            filter ??= new MemoryFilter();
            filter = exclude ? filter.NotTag(key, value) : filter.AndTag(key, value);
        }

        return filter is null ? null : [filter];
    }

    private static (string Key, string Value) SplitPair(string pair, string option)
    {
        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new ArgumentException($"{option} '{pair}' is not of the form key=value.");
        }

        return (pair[..equals], pair[(equals + 1)..]);
    }

    private static Dictionary<string, IReadOnlyList<string>> ParseTags(IEnumerable<string> pairs)
    {
        var tags = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ArgumentException($"--tags '{pair}' is not of the form key=value.");
            }

            var key = pair[..equals];
            if (!tags.TryGetValue(key, out var values))
            {
                tags[key] = values = [];
            }

            values.Add(pair[(equals + 1)..]);
        }

        return tags.ToDictionary(t => t.Key, t => (IReadOnlyList<string>)t.Value, StringComparer.Ordinal);
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
