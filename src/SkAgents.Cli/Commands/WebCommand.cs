using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SkAgents.Hosting;
using SkAgents.Plugins.Web;
using SkAgents.Plugins.Web.Search;
using SkAgents.Web;

namespace SkAgents.Cli.Commands;

/// <summary><c>skagents web search|fetch|answer</c>: the web plugin for direct use.</summary>
internal static class WebCommand
{
    public static Command Create(CliContext context) =>
        new("web", "Search the web (Brave, Tavily or SearXNG), read pages, and answer questions from the web with cited sources.")
        {
            Search(context),
            Fetch(context),
            Answer(context),
        };

    private static Command Search(CliContext context)
    {
        var query = new Argument<string>("query") { Description = "What to search for." };
        var count = new Option<int>("--count") { Description = "How many results (1-20).", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("search", "Search the web with the configured provider.") { query, count, json };
        command.SetAction((parse, ct) => RunAsync(context, async () =>
        {
            await using var services = SkAgentsCli.BuildServices(parse, context, approveAll: false);
            var provider = services.GetRequiredService<WebSearchProviderHolder>().Provider
                ?? throw new WebSearchConfigurationException(SkAgentsServiceCollectionExtensions.WebNoProviderMessage);
            var requested = parse.GetValue(count);
            if (requested is < 1 or > 20)
            {
                throw new ArgumentException($"--count is {requested}; it must be between 1 and 20.");
            }

            var results = await provider.SearchAsync(parse.GetRequiredValue(query), requested, ct);
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(results, SkAgentsCli.JsonOutput));
                return ExitCodes.Success;
            }

            if (results.Count == 0)
            {
                await context.Out.WriteLineAsync("No results.");
            }

            foreach (var result in results)
            {
                await context.Out.WriteLineAsync($"{result.Rank}. {result.Title}");
                await context.Out.WriteLineAsync($"   {result.Url}");
                if (result.Snippet.Length > 0)
                {
                    await context.Out.WriteLineAsync($"   {result.Snippet}");
                }
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Fetch(CliContext context)
    {
        var url = new Argument<string>("url") { Description = "The page's absolute http or https URL." };
        var json = new Option<bool>("--json") { Description = "Print JSON (requestedUrl, finalUrl, title, text, mediaType)." };
        var command = new Command("fetch", "Fetch a web page and print its main text as Markdown.") { url, json };
        command.SetAction((parse, ct) => RunAsync(context, async () =>
        {
            var text = parse.GetRequiredValue(url);
            if (!Uri.TryCreate(text, UriKind.Absolute, out var target) || (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"'{text}' is not an absolute http or https URL.");
            }

            await using var services = SkAgentsCli.BuildServices(parse, context, approveAll: false);
            var page = await services.GetRequiredService<WebFetcher>().FetchPageAsync(target, ct);
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(page, SkAgentsCli.JsonOutput));
                return ExitCodes.Success;
            }

            if (!string.IsNullOrWhiteSpace(page.Title))
            {
                await context.Out.WriteLineAsync("# " + page.Title);
            }

            await context.Out.WriteLineAsync(page.FinalUrl.AbsoluteUri);
            await context.Out.WriteLineAsync();
            await context.Out.WriteLineAsync(page.Text);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Answer(CliContext context)
    {
        var question = new Argument<string>("question") { Description = "The question." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("answer", "Answer a question from the web: search, read the top pages, answer citing them as [n].") { question, json };
        command.SetAction((parse, ct) => RunAsync(context, async () =>
        {
            await using var services = SkAgentsCli.BuildServices(parse, context, approveAll: false);
            var model = services.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Model;
            // Without a model the answer is extractive (quoted passages with citations).
            var hasChat = !string.IsNullOrWhiteSpace(model.LocalDirectory) || !string.IsNullOrWhiteSpace(model.Name);
            var plugin = services.GetRequiredService<WebPlugin>();
            var answer = await plugin.AnswerAsync(parse.GetRequiredValue(question), hasChat ? services.GetRequiredService<IChatClient>() : null, ct);
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(answer, SkAgentsCli.JsonOutput));
                return ExitCodes.Success;
            }

            await context.Out.WriteLineAsync(answer.Answer);
            var sources = answer.Sources.Count > 0 ? answer.Sources : answer.Consulted;
            if (sources.Count > 0)
            {
                await context.Out.WriteLineAsync();
                foreach (var source in sources)
                {
                    await context.Out.WriteLineAsync($"[{source.Number}] {source.Title} — {source.Url}");
                }
            }

            foreach (var skipped in answer.Skipped)
            {
                await context.Error.WriteLineAsync($"skipped: {skipped.Url}: {skipped.Error.ReplaceLineEndings(" ")}");
            }

            return answer.NoResult ? ExitCodes.Failure : ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Runs an action, turning configuration errors of the search provider into usage errors (exit 2).</summary>
    private static async Task<int> RunAsync(CliContext context, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (WebSearchConfigurationException ex)
        {
            await context.Error.WriteLineAsync("error: " + SkAgentsCli.OneLine(ex));
            return ExitCodes.UsageError;
        }
    }
}
