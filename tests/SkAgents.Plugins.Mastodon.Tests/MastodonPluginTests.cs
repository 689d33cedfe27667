using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Agents;
using SkAgents.Prompts;
using SkAgents.Testing.Mastodon;

namespace SkAgents.Plugins.Mastodon.Tests;

/// <summary>The plugin end to end: drafting in an account's voice, posting only with approval, dry runs.</summary>
public sealed class MastodonPluginTests : MastodonTestBase
{
    private static readonly string[] Garden =
    [
        "tomatoes", "compost", "seedlings", "the allotment", "slugs", "rain barrels", "sunflowers", "the greenhouse", "beans", "mulch",
    ];

    [Fact]
    public async Task A_draft_learns_the_style_from_over_40_posts_and_posts_nothing()
    {
        var author = SeedGardener();
        var chat = new ScriptedChatClient().ThenText("omg the bees are BACK at the allotment!! 🐝🌻 spring is here #GardenLife");
        var plugin = Plugin(chat, out var services);

        var draft = await plugin.DraftPostInStyleAsync($"gardener@{Server.Domain}", "bees returning to the allotment in spring", services);

        Assert.Equal("omg the bees are BACK at the allotment!! 🐝🌻 spring is here #GardenLife", draft.Text);
        Assert.Equal(500, draft.Limit);
        Assert.Equal(MastodonCharacterCounter.Count(draft.Text), draft.Characters);
        Assert.Equal(60, draft.StyleProfile.PostCount);
        Assert.Equal("en", draft.StyleProfile.Language);
        Assert.Contains("#GardenLife", draft.StyleProfile.TopHashtags);
        Assert.Contains("🌻", draft.StyleProfile.TopEmoji);
        Assert.Contains(draft.StyleProfile.ToneHints, h => h.Contains("exclamation", StringComparison.Ordinal));
        Assert.All(draft.Samples, s => Assert.Contains("allotment", s, StringComparison.Ordinal));

        // Two pages (40 + 20 of the author's own posts; boosts and replies excluded by the server).
        var pages = RequestsTo("GET", $"/accounts/{author}/statuses");
        Assert.Equal(2, pages.Count);
        Assert.All(pages, p => Assert.Contains("exclude_replies=true&exclude_reblogs=true", p.Query, StringComparison.Ordinal));

        var prompt = string.Join("\n", Assert.Single(chat.Calls).Select(m => m.Text));
        Assert.Contains("Style profile:", prompt, StringComparison.Ordinal);
        Assert.Contains("#GardenLife", prompt, StringComparison.Ordinal);
        Assert.Contains("Language: en", prompt, StringComparison.Ordinal);
        Assert.Contains("within 500 characters", prompt, StringComparison.Ordinal);
        Assert.Contains("Write in English (en)", prompt, StringComparison.Ordinal);
        Assert.Contains("Topic of the new post: bees returning to the allotment in spring", prompt, StringComparison.Ordinal);
        Assert.Contains("--- Sample 1 ---", prompt, StringComparison.Ordinal);
        Assert.Contains(draft.Samples[0], prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("boosted text", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("replying to someone", prompt, StringComparison.Ordinal);

        Assert.Empty(RequestsTo("POST", "/api/v1/statuses"));
        Assert.Empty(Server.CreatedStatuses);
    }

    [Fact]
    public async Task A_too_long_draft_is_asked_for_again_once_then_refused_never_cut()
    {
        SeedGardener();
        Server.MaxCharacters = 100;
        var chat = new ScriptedChatClient().ThenText(new string('a', 150)).ThenText("short and sweet 🌱 #GardenLife");
        var plugin = Plugin(chat, out var services);

        var draft = await plugin.DraftPostInStyleAsync("gardener", "mulch", services);

        Assert.Equal("short and sweet 🌱 #GardenLife", draft.Text);
        Assert.Equal(2, chat.Calls.Count);
        Assert.Contains("MUST be at most 100 characters", string.Join("\n", chat.Calls[1].Select(m => m.Text)), StringComparison.Ordinal);

        var again = new ScriptedChatClient().ThenText(string.Join(' ', Enumerable.Repeat("word", 40))).ThenText(string.Join(' ', Enumerable.Repeat("word", 30)));
        var refusing = Plugin(again, out var services2);
        var ex = await Assert.ThrowsAsync<MastodonException>(() => refusing.DraftPostInStyleAsync("gardener", "mulch", services2));
        Assert.Equal(MastodonErrorKind.TooLong, ex.Kind);
        Assert.Contains("limit of 100", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_web_answer_tool_in_the_catalog_researches_the_topic_first()
    {
        SeedGardener();
        string? asked = null;
        var webAnswer = AIFunctionFactory.Create((string question) =>
        {
            asked = question;
            return new { answer = "Honeybees become active above 10 °C [1].", sources = Array.Empty<string>() };
        }, "web_answer", "Answers from the web.");
        var chat = new ScriptedChatClient().ThenText("bees are back!! 🐝 #GardenLife");
        using var client = Client(token: null);
        var plugin = new MastodonPlugin(client, PromptCatalog.LoadDefault(chatClient: null));
        var catalog = new PluginCatalog([AgentPlugin.FromFunctions("web", null, [webAnswer])]);

        var draft = await plugin.DraftPostInStyleAsync("gardener", "bees in spring", new Services(chat, catalog));

        Assert.Equal("bees in spring", asked);
        Assert.Equal("Honeybees become active above 10 °C [1].", draft.Research);
        Assert.Contains("Honeybees become active above 10 °C", string.Join("\n", chat.Calls[0].Select(m => m.Text)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drafting_an_unknown_account_is_a_not_found_error()
    {
        var plugin = Plugin(new ScriptedChatClient(), out var services);

        var ex = await Assert.ThrowsAsync<MastodonException>(() => plugin.DraftPostInStyleAsync("ghost", "anything", services));

        Assert.Equal(MastodonErrorKind.NotFound, ex.Kind);
    }

    [Fact]
    public void Post_status_requires_approval_and_draft_does_not()
    {
        using var client = Client();
        var tools = AgentPlugin.FromObject(new MastodonPlugin(client)).Functions;

        Assert.Equal(["mastodon_draft_post_in_style", "mastodon_post_status"], tools.Select(t => t.Name).Order());
        Assert.IsAssignableFrom<ApprovalRequiredAIFunction>(tools.Single(t => t.Name == "mastodon_post_status"));
        var draft = tools.Single(t => t.Name == "mastodon_draft_post_in_style");
        Assert.IsNotAssignableFrom<ApprovalRequiredAIFunction>(draft);
        Assert.Equal(["account", "topic"], draft.JsonSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task An_agent_whose_post_is_denied_creates_nothing()
    {
        using var client = Client();
        var tools = AgentPlugin.FromObject(new MastodonPlugin(client, options: new MastodonPluginOptions { AllowPosting = true })).Functions;
        var chat = new ScriptedChatClient()
            .ThenCall("mastodon_post_status", new() { ["text"] = "Hello from the agent" })
            .ThenText("I could not post it.");
        var approver = new RecordingApprover(approve: false);
        var agent = new Agent(chat, tools, approver: approver);

        var result = await agent.RunAsync("Post 'Hello from the agent'");

        Assert.True(result.IsCompleted);
        Assert.Equal("mastodon_post_status", Assert.Single(approver.Asked));
        Assert.Empty(RequestsTo("POST", "/api/v1/statuses"));
        Assert.Empty(Server.CreatedStatuses);
        Assert.Equal(ToolCallStatus.Denied, Assert.Single(result.ToolCalls).Status);
        Assert.Contains(chat.Calls[1].SelectMany(m => m.Contents).OfType<FunctionResultContent>(), r => r.Result?.ToString()?.Contains("did not approve", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task An_approved_post_with_posting_allowed_creates_exactly_one_status_even_if_the_response_drops()
    {
        Server.EnqueueFault(new MastodonFault("POST", "/api/v1/statuses", ProcessThenDrop: true));
        using var client = Client();
        var tools = AgentPlugin.FromObject(new MastodonPlugin(client, options: new MastodonPluginOptions { AllowPosting = true, DefaultVisibility = "unlisted" })).Functions;
        var chat = new ScriptedChatClient()
            .ThenCall("mastodon_post_status", new() { ["text"] = "Approved post 🌱", ["language"] = "en" })
            .ThenText("Posted.");
        var agent = new Agent(chat, tools, approver: new RecordingApprover(approve: true));

        var result = await agent.RunAsync("Post it");

        Assert.True(result.IsCompleted);
        var created = Assert.Single(Server.CreatedStatuses);
        Assert.Equal("<p>Approved post 🌱</p>", created["content"]!.GetValue<string>());
        Assert.Equal("unlisted", created["visibility"]!.GetValue<string>());
        Assert.Equal("en", created["language"]!.GetValue<string>());
        Assert.Equal(2, RequestsTo("POST", "/api/v1/statuses").Count);
        var toolResult = chat.Calls[1].SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        var json = JsonSerializer.SerializeToElement(toolResult.Result);
        Assert.True(json.GetProperty("posted").GetBoolean());
        Assert.Equal(created["id"]!.GetValue<string>(), json.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Posting_is_a_dry_run_by_default_and_says_so()
    {
        using var client = Client();
        var plugin = new MastodonPlugin(client);

        var result = await plugin.PostStatusAsync("Would be posted", visibility: "Private", spoiler: "cw");

        Assert.False(result.Posted);
        Assert.True(result.DryRun);
        Assert.Equal("private", result.Visibility);
        Assert.Equal("cw", result.SpoilerText);
        Assert.Equal(15 + 2, result.Characters);
        Assert.Contains("AllowPosting", result.Message, StringComparison.Ordinal);
        Assert.Empty(RequestsTo("POST", "/api/v1/statuses"));
    }

    [Fact]
    public async Task Over_the_limit_text_and_bad_visibility_are_refused_with_clear_errors()
    {
        using var client = Client();
        var plugin = new MastodonPlugin(client, options: new MastodonPluginOptions { AllowPosting = true });

        var tooLong = await Assert.ThrowsAsync<MastodonException>(() => plugin.PostStatusAsync(new string('x', 490) + " https://example.org/" + new string('p', 10)));
        var badVisibility = await Assert.ThrowsAsync<ArgumentException>(() => plugin.PostStatusAsync("hi", visibility: "everyone"));

        Assert.Equal(MastodonErrorKind.TooLong, tooLong.Kind);
        Assert.Contains("514 characters", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("public, unlisted, private, direct", badVisibility.Message, StringComparison.Ordinal);
        Assert.Empty(RequestsTo("POST", "/api/v1/statuses"));
    }

    private MastodonPlugin Plugin(ScriptedChatClient chat, out IServiceProvider services)
    {
        services = new Services(chat);
#pragma warning disable CA2000 // The client lives as long as the test's server.
        return new MastodonPlugin(Client(token: null), PromptCatalog.LoadDefault(chatClient: null));
#pragma warning restore CA2000
    }

    /// <summary>60 posts in a clear style (lower case, exclamations, 🌻, #GardenLife), plus boosts and replies to skip.</summary>
    private string SeedGardener()
    {
        var author = Server.AddAccount("gardener", "Green Thumb");
        var other = Server.AddAccount("neighbour");
        var boosted = Server.AddStatus(other, "<p>boosted text from the neighbour</p>");
        for (var i = 0; i < 60; i++)
        {
            var thing = Garden[i % Garden.Length];
            Server.AddStatus(author, $"<p>ok {thing} update!! day {i} and it's going great 🌻<br>more soon <a href=\"https://x.social/tags/GardenLife\" class=\"mention hashtag\" rel=\"tag\">#<span>GardenLife</span></a></p>");
            if (i % 10 == 0)
            {
                Server.AddBoost(author, boosted);
                Server.AddStatus(author, "<p>replying to someone else</p>", inReplyToAccountId: other);
            }
        }

        return author;
    }

    private sealed class RecordingApprover(bool approve) : IToolApprover
    {
        public List<string> Asked { get; } = [];

        public ValueTask<ToolApprovalDecision> ApproveAsync(ToolApprovalRequest request, CancellationToken cancellationToken)
        {
            Asked.Add(request.Call.Name);
            return ValueTask.FromResult(approve ? ToolApprovalDecision.Approve : ToolApprovalDecision.Deny("The user said no."));
        }
    }
}
