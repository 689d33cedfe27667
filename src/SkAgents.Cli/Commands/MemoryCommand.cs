using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SkAgents.Memory;
using SkAgents.Memory.Extraction;
using SkAgents.Memory.Storage;
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
        var paths = new Argument<string[]>("paths") { Description = "Files or folders (folders are read recursively).", Arity = ArgumentArity.OneOrMore };
        var tags = new Option<string[]>("--tags") { Description = "Tags as key=value (repeatable).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("import", "Import files and folders (.txt, .md, .html, .json, .csv).") { paths, tags };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = Services(parse, context);
            var memory = services.GetRequiredService<MemoryService>();
            var tagMap = ParseTags(parse.GetValue(tags) ?? []);
            var files = new List<string>();
            foreach (var path in parse.GetRequiredValue(paths))
            {
                var full = Path.GetFullPath(path, context.WorkingDirectory);
                if (Directory.Exists(full))
                {
                    files.AddRange(Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                        .Where(f => TextExtractors.Default.IsSupported(Path.GetExtension(f)))
                        .Order(StringComparer.Ordinal));
                }
                else if (File.Exists(full))
                {
                    files.Add(full);
                }
                else
                {
                    throw new FileNotFoundException($"'{path}' is neither a file nor a folder.", full);
                }
            }

            int imported = 0, unchanged = 0;
            var failed = new List<string>();
            foreach (var file in files)
            {
                ct.ThrowIfCancellationRequested();
                try
                {
                    var result = await memory.ImportFileAsync(file, tags: tagMap, index: parse.GetValue(IndexOption), cancellationToken: ct);
                    if (result.Status == ImportStatus.Imported)
                    {
                        imported++;
                    }
                    else
                    {
                        unchanged++;
                    }

                    await context.Error.WriteLineAsync($"{result.Status.ToString().ToLowerInvariant()}: {Path.GetRelativePath(context.WorkingDirectory, file)} ({result.Partitions} partitions)");
                }
                catch (Exception ex) when (ex is TextExtractionException or IOException or UnauthorizedAccessException)
                {
                    // One bad file does not stop the batch.
                    failed.Add($"{Path.GetRelativePath(context.WorkingDirectory, file)}: {SkAgentsCli.OneLine(ex)}");
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

    private static Command Search(CliContext context)
    {
        var query = new Argument<string>("query") { Description = "What to look for." };
        var top = new Option<int>("--top") { Description = "The most partitions.", DefaultValueFactory = _ => 5 };
        var mode = new Option<SearchMode?>("--mode") { Description = "keyword, vector or hybrid (hybrid when embeddings are configured, else keyword)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("search", "Search memory.") { query, top, mode, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = Services(parse, context);
            var result = await services.GetRequiredService<MemoryService>().SearchAsync(
                parse.GetRequiredValue(query), parse.GetValue(IndexOption), limit: parse.GetValue(top), mode: parse.GetValue(mode), cancellationToken: ct);
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
            var answer = await services.GetRequiredService<MemoryService>().AskAsync(parse.GetRequiredValue(question), parse.GetValue(IndexOption), cancellationToken: ct);
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(answer, SkAgentsCli.JsonOutput));
                return ExitCodes.Success;
            }

            await context.Out.WriteLineAsync(answer.Text);
            if (answer.Sources.Count > 0)
            {
                await context.Out.WriteLineAsync();
                foreach (var source in answer.Sources)
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
