using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SkAgents.Agents;
using SkAgents.Hosting;
using SkAgents.Plugins;
using SkAgents.Plugins.Mastodon;

namespace SkAgents.Cli.Commands;

/// <summary><c>skagents mastodon draft|post</c>: the Mastodon plugin for direct use (instance and token from settings or MASTODON_INSTANCE / MASTODON_TOKEN).</summary>
internal static class MastodonCommand
{
    public static Command Create(CliContext context) =>
        new("mastodon", "Draft a post in a Mastodon account's voice, and post statuses (with approval).")
        {
            Draft(context),
            Post(context),
        };

    private static Command Draft(CliContext context)
    {
        var account = new Argument<string>("account") { Description = "The account whose style to imitate, as user@instance." };
        var topic = new Argument<string>("topic") { Description = "What the post should be about." };
        var json = new Option<bool>("--json") { Description = "Print JSON (text, characters, limit, style profile, samples)." };
        var command = new Command("draft", "Write a draft post about a topic in an account's style (needs a chat model). Nothing is posted.") { account, topic, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = SkAgentsCli.BuildServices(parse, context, approveAll: false);
            var plugin = services.GetRequiredService<MastodonPlugin>();
            var draft = await plugin.DraftPostInStyleAsync(parse.GetRequiredValue(account), parse.GetRequiredValue(topic), services, ct);
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(draft, SkAgentsCli.JsonOutput));
                return ExitCodes.Success;
            }

            await context.Out.WriteLineAsync(draft.Text);
            await context.Error.WriteLineAsync($"({draft.Characters}/{draft.Limit} characters, style learned from {draft.StyleProfile.PostCount} posts; not posted)");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Post(CliContext context)
    {
        var text = new Argument<string>("text") { Description = "The text of the post." };
        var visibility = new Option<string?>("--visibility") { Description = "public, unlisted, private or direct (default: SkAgents:Plugins:Mastodon:DefaultVisibility, else the account's default)." };
        var spoiler = new Option<string?>("--spoiler") { Description = "A content warning." };
        var language = new Option<string?>("--language") { Description = "An ISO 639 language code, e.g. en." };
        var replyTo = new Option<string?>("--reply-to") { Description = "The id of the status to reply to." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Approve the post without asking." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("post", "Post a status (asks for approval; a dry run unless SkAgents:Plugins:Mastodon:AllowPosting is true).") { text, visibility, spoiler, language, replyTo, yes, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = SkAgentsCli.BuildServices(parse, context, parse.GetValue(yes));
            var plugin = services.GetRequiredService<MastodonPlugin>();
            var settings = services.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Mastodon;
            var arguments = new Dictionary<string, object?>
            {
                ["text"] = parse.GetRequiredValue(text),
                ["visibility"] = parse.GetValue(visibility),
                ["spoiler"] = parse.GetValue(spoiler),
                ["language"] = parse.GetValue(language),
                ["inReplyTo"] = parse.GetValue(replyTo),
            };

            if (settings.AllowPosting)
            {
                // A real post is a side effect: ask like the agent does (--yes approves, a terminal prompts, otherwise denied).
                var tool = AgentPlugin.FromObject(plugin).Functions.Single(f => f.Name == "mastodon_post_status");
                var approver = services.GetRequiredService<IToolApprover>();
                var decision = await approver.ApproveAsync(new ToolApprovalRequest("skagents", new FunctionCallContent("cli", tool.Name, arguments), tool, tool.GetSideEffect()), ct);
                if (!decision.Approved)
                {
                    await context.Error.WriteLineAsync("error: the post was not approved, so nothing was posted. Run at a terminal to be asked, or pass --yes.");
                    return ExitCodes.Failure;
                }
            }

            var result = await plugin.PostStatusAsync(
                parse.GetRequiredValue(text), parse.GetValue(visibility), parse.GetValue(spoiler), parse.GetValue(language), parse.GetValue(replyTo), ct);
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(result, SkAgentsCli.JsonOutput));
            }
            else
            {
                await context.Out.WriteLineAsync(result.Posted ? $"posted: {result.Url ?? result.Id}" : "dry run, nothing was posted: " + result.Text);
                await context.Error.WriteLineAsync($"({result.Characters}/{result.Limit} characters) {result.Message}");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
