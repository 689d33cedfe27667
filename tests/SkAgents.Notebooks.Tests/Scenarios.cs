using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Agents;
using SkAgents.Memory;
using SkAgents.ModelFactory.Models;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SkAgents.Mcp.Client;
using SkAgents.Plugins.Captioning;
using SkAgents.Plugins.Mastodon;
using SkAgents.Testing;
using SkAgents.Testing.Mastodon;

namespace SkAgents.Notebooks.Tests;

/// <summary>The scenario of every notebook, by file name.</summary>
internal static class Scenarios
{
    public static IReadOnlyDictionary<string, Func<string, NotebookScenario>> All { get; } = new Dictionary<string, Func<string, NotebookScenario>>(StringComparer.Ordinal)
    {
        ["01-getting-started-local-model.ipynb"] = work => new LocalModelScenario(work),
        ["02-plugins-and-agent.ipynb"] = work => new AgentScenario(work),
        ["03-memory-rag.ipynb"] = work => new MemoryScenario(work),
        ["04-mastodon-style-drafting.ipynb"] = work => new MastodonScenario(work),
        ["05-image-captioning.ipynb"] = work => new CaptioningScenario(work),
        ["06-semantic-kernel-and-mcp.ipynb"] = work => new McpScenario(work),
    };
}

/// <summary>01: a tiny Qwen-style model folder (GroupQueryAttention, int4 MatMulNBits, as published CPU models) that spells one answer.</summary>
internal sealed class LocalModelScenario(string work) : NotebookScenario(work)
{
    public const string Answer = "A KV cache keeps past keys and values, so each new token is cheap.";

    public override Task StartAsync()
    {
        var folder = GqaDecoderFactory.WriteSpelling(Folder("qwen-tiny"), TinyChatStyle.Qwen, Answer);
        Environment["SKAGENTS_MODEL_DIR"] = folder.Directory;
        return Task.CompletedTask;
    }

    public override void Verify(NotebookRun run)
    {
        Assert.Equal("chatml", run.Variable<SkAgents.LocalModels.LocalModelInfo>("info").ChatFormat);
        var response = run.Variable<ChatResponse>("response");
        Assert.Equal(Answer, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(Answer, run.Variable<System.Text.StringBuilder>("streamed").ToString());
        Assert.True(run.Variable<int>("pieces") > 5, "the answer should stream in many pieces");
        Assert.Equal(5, run.Variable<List<ChatMessage>>("history").Count);
        Assert.Contains(Answer, run.Output, StringComparison.Ordinal);
    }
}

/// <summary>Scenarios whose chat model is a loopback OpenAI-compatible server with scripted answers.</summary>
internal abstract class ChatServerScenario(string work) : NotebookScenario(work)
{
    protected OpenAICompatibleServer Server { get; private set; } = null!;

    public override async Task StartAsync()
    {
        Server = Own(await OpenAICompatibleServer.StartAsync());
        Environment["SKAGENTS_MODEL_DIR"] = null;
        Environment["SKAGENTS_ENDPOINT"] = Server.BaseUri.ToString();
        Environment["SKAGENTS_MODEL"] = Server.Options.Model;
        Environment["SKAGENTS_API_KEY"] = null;
        Environment["SKAGENTS_PROVIDER"] = "Other";
        await ScriptAsync();
    }

    /// <summary>Queues the model's answers and prepares anything else.</summary>
    protected abstract Task ScriptAsync();

    /// <summary>The tool names offered in a chat request.</summary>
    protected static IReadOnlyList<string> OfferedTools(RecordedRequest request) =>
        request.Json is { } json && json.TryGetProperty("tools", out var tools)
            ? [.. tools.EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()!)]
            : [];

    protected static ScriptedToolCall Call(string id, string name, object arguments) => new(id, name, JsonSerializer.Serialize(arguments));
}

/// <summary>02: the agent calls time, files and the notebook's own plugin; approvals allow one write and deny another.</summary>
internal sealed class AgentScenario(string work) : ChatServerScenario(work)
{
    protected override Task ScriptAsync()
    {
        Server.Enqueue(
            // Run 1: two tools at once, then the notebook's own plugin, then the answer.
            ScriptedResponse.ToolCalls(Call("c1", "time_now", new { timeZone = "Europe/Rome" }), Call("c2", "files_read", new { path = "notes.txt" })),
            ScriptedResponse.ToolCalls(Call("c3", "shopping_list_add", new { item = "lemons" }), Call("c4", "shopping_list_add", new { item = "basil" })),
            ScriptedResponse.Text("It is afternoon in Rome. I added lemons and basil to your shopping list."),
            // Run 2: two writes; the approver allows the .md one only.
            ScriptedResponse.ToolCalls(
                Call("c5", "files_write", new { path = "shopping.md", content = "- lemons\n- basil\n" }),
                Call("c6", "files_write", new { path = "shopping.txt", content = "lemons, basil" })),
            ScriptedResponse.Text("I saved shopping.md; writing shopping.txt was not allowed."),
            // Run 3 (streamed).
            ScriptedResponse.ToolCalls(Call("c7", "time_now", new { timeZone = "Asia/Tokyo" })),
            ScriptedResponse.Text("It is Monday in Tokyo."));
        return Task.CompletedTask;
    }

    public override void Verify(NotebookRun run)
    {
        var result = run.Variable<AgentRunResult>("result");
        Assert.Equal(AgentStopReason.Completed, result.StopReason);
        Assert.Equal(["time_now", "files_read", "shopping_list_add", "shopping_list_add"], result.ToolCalls.Select(c => c.Name));
        Assert.All(result.ToolCalls, c => Assert.Equal(ToolCallStatus.Succeeded, c.Status));
        Assert.Contains("Europe/Rome", JsonSerializer.Serialize(result.ToolCalls[0].Result), StringComparison.Ordinal);
        Assert.Contains("lemons, basil", JsonSerializer.Serialize(result.ToolCalls[1].Result), StringComparison.Ordinal);
        // The two adds may run concurrently; the notebook prints the list sorted.
        Assert.Contains("Shopping list: basil, lemons", run.Output, StringComparison.Ordinal);

        var saved = run.Variable<AgentRunResult>("saved");
        Assert.Equal([ToolCallStatus.Succeeded, ToolCallStatus.Denied], saved.ToolCalls.Select(c => c.Status));
        Assert.Contains("Only Markdown", saved.ToolCalls[1].Error, StringComparison.Ordinal);
        var workspace = run.Variable<string>("workspace");
        Assert.Equal("- lemons\n- basil\n", File.ReadAllText(Path.Combine(workspace, "shopping.md")));
        Assert.False(File.Exists(Path.Combine(workspace, "shopping.txt")));
        Assert.Contains("Approve files_write(shopping.txt)?", run.Output, StringComparison.Ordinal);

        var events = run.Variable<List<AgentEvent>>("events");
        Assert.Contains(events, e => e is AgentToolCallCompleted { Record: { Name: "time_now", Status: ToolCallStatus.Succeeded } });
        Assert.Equal("It is Monday in Tokyo.", Assert.IsType<AgentRunCompleted>(events[^1]).Result.Text);

        // Every request offered the notebook's own plugin next to the built-in ones.
        Assert.Equal(7, Server.ChatRequests.Count);
        Assert.All(Server.ChatRequests, r => Assert.Contains("shopping_list_add", OfferedTools(r)));
        Assert.Contains("files_write", OfferedTools(Server.ChatRequests[0]));
    }
}

/// <summary>03: SQLite memory with a tiny BERT embedder; extractive answers without a model, written ones with the server.</summary>
internal sealed class MemoryScenario(string work) : ChatServerScenario(work)
{
    public const string Written = "The Golden Gate Bridge opened on May 28, 1937 [1], and its main span is 1,280 metres long [1].";
    public const string Streamed = "The Brooklyn Bridge (1883) [2] is older than the Golden Gate Bridge (1937) [1].";

    protected override Task ScriptAsync()
    {
        BertEmbedderFactory.Create(Folder("tiny-bert"));
        Environment["SKAGENTS_EMBEDDING_DIR"] = Path.Combine(Work, "tiny-bert");
        Environment["SKAGENTS_PROMPTS_DIR"] = null; // found above the current folder, as in the repository
        Server.Enqueue(ScriptedResponse.Text(Written), ScriptedResponse.Text(Streamed));
        return Task.CompletedTask;
    }

    public override void Verify(NotebookRun run)
    {
        Assert.Equal(ImportStatus.Imported, run.Variable<ImportResult>("first").Status);
        Assert.Equal(ImportStatus.Imported, run.Variable<ImportResult>("second").Status);
        Assert.Equal(ImportStatus.Unchanged, run.Variable<ImportResult>("again").Status);

        Assert.Equal("golden-gate", run.Variable<MemorySearchResult>("search").Results[0].DocumentId);
        Assert.Equal(["pangrams"], run.Variable<MemorySearchResult>("animalsOnly").Results.Select(r => r.DocumentId));
        var notBrooklyn = run.Variable<MemorySearchResult>("notBrooklyn");
        Assert.Contains(notBrooklyn.Results, r => r.DocumentId == "golden-gate");
        Assert.DoesNotContain(notBrooklyn.Results, r => r.DocumentId == run.Variable<ImportResult>("second").DocumentId);

        var extractive = run.Variable<MemoryAnswer>("extractive");
        Assert.True(extractive.Extractive);
        Assert.Contains("May 28, 1937", extractive.Text, StringComparison.Ordinal);
        Assert.Contains("[1]", extractive.Text, StringComparison.Ordinal);
        Assert.Equal("golden-gate", extractive.Sources[0].DocumentId);

        var answer = run.Variable<MemoryAnswer>("answer");
        Assert.False(answer.Extractive);
        Assert.Equal(Written, answer.Text);
        Assert.Contains(answer.Sources, s => s.DocumentId == "golden-gate");
        Assert.Equal(Streamed, run.Variable<System.Text.StringBuilder>("streamedAnswer").ToString());

        // The model was given the sources, numbered, by the answer-from-sources prompt.
        var prompt = Server.ChatRequests[0].Body;
        Assert.Contains("1,280 metres", prompt, StringComparison.Ordinal);
        Assert.Contains("[1]", prompt, StringComparison.Ordinal);
        Assert.Contains("memory_search", run.Output, StringComparison.Ordinal);
    }
}

/// <summary>04: a Mastodon-faithful loopback server with a gardener's posts; a write token is configured, yet nothing is posted.</summary>
internal sealed class MastodonScenario(string work) : ChatServerScenario(work)
{
    public const string Draft = "the community garden opens on saturday!! come dig with us 🌻 #GardenLife";

    private static readonly string[] Things = ["tomatoes", "compost", "seedlings", "the allotment", "sunflowers", "beans", "the greenhouse", "rain barrels"];

    private FakeMastodonServer _mastodon = null!;

    protected override async Task ScriptAsync()
    {
        _mastodon = Own(await FakeMastodonServer.StartAsync());
        var gardener = _mastodon.AddAccount("gardener", "Green Thumb");
        for (int i = 0; i < 24; i++)
        {
            _mastodon.AddStatus(gardener, $"<p>{Things[i % Things.Length]} are looking great today!! 🌻 <a href=\"https://{_mastodon.Domain}/tags/GardenLife\" class=\"mention hashtag\">#<span>GardenLife</span></a></p>");
        }

        Environment["MASTODON_INSTANCE"] = _mastodon.BaseUrl.ToString();
        Environment["MASTODON_ACCOUNT"] = $"gardener@{_mastodon.Domain}";
        Environment["MASTODON_TOKEN"] = FakeMastodonServer.WriteToken;
        Environment["SKAGENTS_PROMPTS_DIR"] = null;
        Server.Enqueue(
            ScriptedResponse.Text(Draft),
            ScriptedResponse.ToolCalls(Call("p1", "mastodon_post_status", new { text = Draft })),
            ScriptedResponse.Text("I did not post it: the call was not approved."),
            ScriptedResponse.ToolCalls(Call("p2", "mastodon_post_status", new { text = Draft })),
            ScriptedResponse.Text("This was a dry run; nothing was posted."));
    }

    public override void Verify(NotebookRun run)
    {
        var draft = run.Variable<MastodonDraft>("draft");
        Assert.Equal(Draft, draft.Text);
        Assert.Equal(500, draft.Limit);
        Assert.Equal(24, draft.StyleProfile.PostCount);
        Assert.Contains("#GardenLife", draft.StyleProfile.TopHashtags);
        Assert.Contains("our community garden opens on Saturday", Server.ChatRequests[0].Body, StringComparison.OrdinalIgnoreCase);

        var denied = run.Variable<AgentRunResult>("denied");
        Assert.Equal(ToolCallStatus.Denied, Assert.Single(denied.ToolCalls).Status);

        var dryRun = run.Variable<AgentRunResult>("dryRun");
        var call = Assert.Single(dryRun.ToolCalls);
        Assert.Equal(ToolCallStatus.Succeeded, call.Status);
        var result = JsonSerializer.SerializeToElement(call.Result);
        Assert.True(result.GetProperty("dryRun").GetBoolean());
        Assert.False(result.GetProperty("posted").GetBoolean());

        // Nothing reached the instance's posting endpoint.
        Assert.DoesNotContain(_mastodon.Requests, r => r.Method == "POST");
        Assert.Empty(_mastodon.CreatedStatuses);
    }
}

/// <summary>05: the tiny captioner ("a {red|green|blue} square" by the dominant channel) on the picture the notebook draws.</summary>
internal sealed class CaptioningScenario(string work) : ChatServerScenario(work)
{
    public const string Post = "Green and serene, the finest square you've seen 🟩 #Green #Minimal";

    protected override Task ScriptAsync()
    {
        Environment["SKAGENTS_CAPTION_MODEL_DIR"] = TinyCaptionerFactory.Write(Folder("tiny-captioner"));
        Environment["SKAGENTS_IMAGE"] = null; // the notebook draws its own picture
        Environment["SKAGENTS_PROMPTS_DIR"] = null;
        Server.Enqueue(ScriptedResponse.Text(Post));
        return Task.CompletedTask;
    }

    public override void Verify(NotebookRun run)
    {
        Assert.Equal("a green square", run.Variable<string>("caption"));
        Assert.Equal(96, run.Variable<SkAgents.Imaging.DecodedImage>("decoded").Width);
        var post = run.Variable<SocialPost>("post");
        Assert.Equal("a green square", post.Caption);
        Assert.Equal(Post, post.Post);
        var prompt = Server.ChatRequests.Single().Body;
        Assert.Contains("a green square", prompt, StringComparison.Ordinal);
        Assert.Contains("Mastodon", prompt, StringComparison.Ordinal);
        Assert.Contains("a green square", run.Variable<object>("asTool").ToString(), StringComparison.Ordinal);
    }
}

/// <summary>
/// 06: the real <c>skagents mcp serve</c> (the built skagents.dll, run with dotnet in its own HOME) behind the MCP SDK's
/// client and behind <see cref="McpClientPlugin"/>; the Semantic Kernel cells need nuget.org and are skipped.
/// </summary>
internal sealed class McpScenario(string work) : ChatServerScenario(work)
{
    public const string Answer = "It is evening in Tokyo. Your list: water the basil, call Ada about Friday.";

    /// <summary>The three Semantic Kernel cells.</summary>
    public override int ExpectedSkippedCells => 3;

    protected override Task ScriptAsync()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "skagents-app", "skagents.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing: the test project copies the built SkAgents.Cli there (target CopySkagentsApp).");
        Environment["SKAGENTS_CLI"] = cli;
        Environment["HOME"] = Folder(".home"); // no per-user skagents.json of the machine reaches the server
        Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        Server.Enqueue(
            ScriptedResponse.ToolCalls(Call("m1", "skagents_time_now", new { timeZone = "Asia/Tokyo" }), Call("m2", "skagents_files_read", new { path = "todo.txt" })),
            ScriptedResponse.Text(Answer));
        return Task.CompletedTask;
    }

    public override void Verify(NotebookRun run)
    {
        var tools = run.Variable<IList<McpClientTool>>("mcpTools").Select(t => t.Name).ToList();
        Assert.Contains("time_now", tools);
        Assert.Contains("files_read", tools);
        Assert.Contains("files_write", tools);
        Assert.Contains("Europe/Rome", Text(run.Variable<CallToolResult>("romeTime")), StringComparison.Ordinal);
        Assert.Contains("call Ada about Friday", Text(run.Variable<CallToolResult>("todo")), StringComparison.Ordinal);
        var rendered = run.Variable<GetPromptResult>("rendered");
        Assert.Contains(rendered.Messages, m => (m.Content as TextContentBlock)?.Text.Contains("MCP lets any host use any tool server.", StringComparison.Ordinal) == true);

        var plugin = run.Variable<McpClientPlugin>("external").Plugin;
        Assert.Equal("skagents", plugin.Name);
        Assert.Contains(plugin.Functions, f => f.Name == "skagents_time_now");
        Assert.Contains(plugin.Functions, f => f.Name == "skagents_files_write" && SkAgents.Plugins.ToolExtensions.RequiresApproval(f));

        var answer = run.Variable<AgentRunResult>("answer");
        Assert.Equal(Answer, answer.Text);
        Assert.Equal(["skagents_time_now", "skagents_files_read"], answer.ToolCalls.Select(c => c.Name));
        Assert.All(answer.ToolCalls, c => Assert.Equal(ToolCallStatus.Succeeded, c.Status));
        Assert.Contains("water the basil", JsonSerializer.Serialize(answer.ToolCalls[1].Result), StringComparison.Ordinal);
        Assert.Contains("skagents_files_read", OfferedTools(Server.ChatRequests[0]));
    }

    private static string Text(CallToolResult result)
    {
        Assert.NotEqual(true, result.IsError);
        return string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text));
    }
}
