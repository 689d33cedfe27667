using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SkAgents.Memory;
using SkAgents.Plugins.Notion;

namespace SkAgents.Cli.Commands;

/// <summary><c>skagents notion search|read|import</c>: the Notion plugin for direct use (token from NOTION_TOKEN or settings).</summary>
internal static class NotionCommand
{
    private static readonly Option<FileInfo?> DatabaseOption = new("--db") { Description = "The memory database file (SQLite) for import." };

    public static Command Create(CliContext context) =>
        new("notion", "Search and read the Notion pages shared with your integration, and import them into memory.")
        {
            Search(context),
            Read(context),
            Import(context),
        };

    private static Command Search(CliContext context)
    {
        var query = new Argument<string>("query") { Description = "Text to find in page and data source titles." };
        var type = new Option<string?>("--type") { Description = "page or data_source (database on API version 2022-06-28); both when omitted." };
        var limit = new Option<int>("--limit") { Description = "The most results (1-100).", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("search", "Search page and data source titles.") { query, type, limit, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = SkAgentsCli.BuildServices(parse, context, approveAll: false);
            var plugin = new NotionPlugin(services.GetRequiredService<NotionClient>());
            var requested = parse.GetValue(limit);
            if (requested is < 1 or > 100)
            {
                throw new ArgumentException($"--limit is {requested}; it must be between 1 and 100.");
            }

            var hits = await plugin.SearchAsync(parse.GetRequiredValue(query), parse.GetValue(type), requested, ct);
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(hits, SkAgentsCli.JsonOutput));
                return ExitCodes.Success;
            }

            if (hits.Count == 0)
            {
                await context.Out.WriteLineAsync("No results (only pages shared with the integration are visible).");
            }

            foreach (var hit in hits)
            {
                await context.Out.WriteLineAsync($"{hit.Type,-11} {(hit.Title.Length == 0 ? "(untitled)" : hit.Title)}");
                await context.Out.WriteLineAsync($"            {hit.Url}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Read(CliContext context)
    {
        var page = new Argument<string>("page") { Description = "The page id (with or without dashes) or its Notion URL." };
        var json = new Option<bool>("--json") { Description = "Print JSON (id, title, url, lastEditedTime, markdown, childPages)." };
        var command = new Command("read", "Print a page as Markdown.") { page, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = SkAgentsCli.BuildServices(parse, context, approveAll: false);
            var plugin = new NotionPlugin(services.GetRequiredService<NotionClient>());
            var content = await plugin.ReadPageAsync(parse.GetRequiredValue(page), ct);
            await context.Out.WriteAsync(parse.GetValue(json) ? JsonSerializer.Serialize(content, SkAgentsCli.JsonOutput) + Environment.NewLine : content.Markdown);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Import(CliContext context)
    {
        var pages = new Argument<string[]>("pages") { Description = "Page ids or URLs.", Arity = ArgumentArity.OneOrMore };
        var children = new Option<bool>("--children") { Description = "Import their child pages too (at any depth)." };
        var index = new Option<string?>("--index") { Description = "The memory index; 'default' when omitted." };
        var command = new Command("import", "Import pages into memory (unchanged pages are skipped; changed ones replace the old copy).") { pages, children, index, DatabaseOption };
        command.SetAction(async (parse, ct) =>
        {
            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(DatabaseOption) is { } database)
            {
                overrides["SkAgents:Memory:DatabasePath"] = Path.GetFullPath(database.ToString(), context.WorkingDirectory);
            }

            await using var services = SkAgentsCli.BuildServices(parse, context, approveAll: false, overrides);
            var importer = new NotionImporter(services.GetRequiredService<NotionClient>(), services.GetRequiredService<MemoryService>());
            var results = await importer.ImportAsync(
                parse.GetRequiredValue(pages),
                new NotionImportOptions { IncludeChildPages = parse.GetValue(children), Index = parse.GetValue(index) },
                ct);
            foreach (var result in results)
            {
                await context.Error.WriteLineAsync(result.Status == "failed"
                    ? $"failed: {result.PageId}: {result.Error}"
                    : $"{result.Status}: {result.Title} ({result.Url}, {result.Partitions} partitions)");
            }

            var failed = results.Count(r => r.Status == "failed");
            await context.Out.WriteLineAsync($"{results.Count(r => r.Status == "imported")} imported, {results.Count(r => r.Status == "unchanged")} unchanged, {failed} failed");
            return failed == 0 ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }
}
