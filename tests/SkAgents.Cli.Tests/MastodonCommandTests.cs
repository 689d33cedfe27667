using System.Text.Json;
using SkAgents.Testing;
using SkAgents.Testing.Mastodon;

namespace SkAgents.Cli.Tests;

/// <summary><c>skagents mastodon</c> and the Mastodon settings, as a separate process against loopback Mastodon and model servers.</summary>
public sealed class MastodonCommandTests : IAsyncLifetime, IDisposable
{
    private const string ModelKey = "sk-mastodon-cli-test";
    private readonly TempDirectory _work = new();
    private FakeMastodonServer _mastodon = null!;
    private OpenAICompatibleServer _model = null!;

    public async Task InitializeAsync()
    {
        _mastodon = await FakeMastodonServer.StartAsync();
        _model = await OpenAICompatibleServer.StartAsync(new OpenAICompatibleServerOptions { RequiredApiKey = ModelKey, Model = "test-model" });
        var poet = _mastodon.AddAccount("poet");
        for (var i = 0; i < 50; i++)
        {
            _mastodon.AddStatus(poet, $"<p>rainy morning no. {i}, tea in hand ☕<br>the city hums <a href=\"https://x.social/tags/haiku\" class=\"mention hashtag\" rel=\"tag\">#<span>haiku</span></a></p>");
        }
    }

    public async Task DisposeAsync()
    {
        await _mastodon.DisposeAsync();
        await _model.DisposeAsync();
    }

    public void Dispose() => _work.Dispose();

    private Dictionary<string, string> Environment(bool allowPosting = false) => new()
    {
        ["MASTODON_INSTANCE"] = _mastodon.BaseUrl.AbsoluteUri,
        ["MASTODON_TOKEN"] = FakeMastodonServer.WriteToken,
        ["SkAgents__Plugins__Mastodon__AllowPosting"] = allowPosting ? "true" : "false",
        ["SKAGENTS_ENDPOINT"] = _model.BaseUri.ToString(),
        ["SKAGENTS_MODEL"] = "test-model",
        ["SKAGENTS_API_KEY"] = ModelKey,
    };

    [Fact]
    public async Task Draft_end_to_end_prompts_with_the_style_and_posts_nothing()
    {
        _model.Enqueue(ScriptedResponse.Text("snowy evening, cocoa in hand ☕ the street sleeps #haiku"));

        var result = await CliProcess.RunAsync(_work.Path, Environment(allowPosting: true), null, "mastodon", "draft", "poet@" + _mastodon.Domain, "a snowy evening", "--json");

        Assert.True(result.ExitCode == 0, result.StdErr);
        var draft = JsonDocument.Parse(result.StdOut).RootElement;
        Assert.Equal("snowy evening, cocoa in hand ☕ the street sleeps #haiku", draft.GetProperty("text").GetString());
        Assert.Equal(500, draft.GetProperty("limit").GetInt32());
        Assert.Equal(50, draft.GetProperty("styleProfile").GetProperty("postCount").GetInt32());
        var prompt = Assert.Single(_model.ChatRequests).Body;
        Assert.Contains("Style profile", prompt, StringComparison.Ordinal);
        Assert.Contains("#haiku", prompt, StringComparison.Ordinal);
        Assert.Contains("rainy morning", prompt, StringComparison.Ordinal);
        Assert.Contains("a snowy evening", prompt, StringComparison.Ordinal);
        Assert.Empty(_mastodon.CreatedStatuses);
        Assert.DoesNotContain(_mastodon.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task Post_is_denied_without_yes_and_posts_exactly_once_with_it()
    {
        var denied = await CliProcess.RunAsync(_work.Path, Environment(allowPosting: true), null, "mastodon", "post", "hello from the cli");
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("not approved", denied.StdErr, StringComparison.Ordinal);
        Assert.Empty(_mastodon.CreatedStatuses);
        Assert.DoesNotContain(_mastodon.Requests, r => r.Method == "POST");

        var approved = await CliProcess.RunAsync(_work.Path, Environment(allowPosting: true), null, "mastodon", "post", "hello from the cli", "--visibility", "unlisted", "--yes", "--json");
        Assert.True(approved.ExitCode == 0, approved.StdErr);
        var result = JsonDocument.Parse(approved.StdOut).RootElement;
        Assert.True(result.GetProperty("posted").GetBoolean());
        var created = Assert.Single(_mastodon.CreatedStatuses);
        Assert.Equal("<p>hello from the cli</p>", created["content"]!.GetValue<string>());
        Assert.Equal("unlisted", created["visibility"]!.GetValue<string>());
        Assert.Equal(created["id"]!.GetValue<string>(), result.GetProperty("id").GetString());
        Assert.DoesNotContain(FakeMastodonServer.WriteToken, approved.StdOut + approved.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_allow_posting_a_post_is_a_dry_run_and_says_so()
    {
        var result = await CliProcess.RunAsync(_work.Path, Environment(allowPosting: false), null, "mastodon", "post", "just testing", "--yes");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("dry run", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("AllowPosting", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(_mastodon.CreatedStatuses);
    }

    [Fact]
    public async Task Config_show_redacts_the_token_and_plugins_list_has_the_mastodon_tools()
    {
        var config = await CliProcess.RunAsync(_work.Path, Environment(), null, "config", "show");
        Assert.True(config.ExitCode == 0, config.StdErr);
        Assert.DoesNotContain(FakeMastodonServer.WriteToken, config.StdOut, StringComparison.Ordinal);
        var mastodon = JsonDocument.Parse(config.StdOut).RootElement.GetProperty("SkAgents").GetProperty("Plugins").GetProperty("Mastodon");
        Assert.Equal("***", mastodon.GetProperty("AccessToken").GetString());
        Assert.False(mastodon.GetProperty("AllowPosting").GetBoolean());
        Assert.Equal(_mastodon.BaseUrl.AbsoluteUri, mastodon.GetProperty("Instance").GetString());

        var plugins = await CliProcess.RunAsync(_work.Path, Environment(), null, "plugins", "list", "--json");
        Assert.True(plugins.ExitCode == 0, plugins.StdErr);
        var tools = JsonDocument.Parse(plugins.StdOut).RootElement.EnumerateArray()
            .Where(t => t.GetProperty("plugin").GetString() == "mastodon")
            .ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("requiresApproval").GetBoolean());
        Assert.Equal(2, tools.Count);
        Assert.True(tools["mastodon_post_status"]);
        Assert.False(tools["mastodon_draft_post_in_style"]);

        var without = await CliProcess.RunAsync(_work.Path, new Dictionary<string, string> { ["MASTODON_INSTANCE"] = string.Empty }, null, "plugins", "list", "--json");
        Assert.True(without.ExitCode == 0, without.StdErr);
        Assert.DoesNotContain(JsonDocument.Parse(without.StdOut).RootElement.EnumerateArray(), t => t.GetProperty("plugin").GetString() == "mastodon");
    }

    [Fact]
    public async Task Errors_are_one_line_name_the_setting_and_never_show_the_token()
    {
        var noInstance = await CliProcess.RunAsync(_work.Path, new Dictionary<string, string> { ["MASTODON_INSTANCE"] = string.Empty }, null, "mastodon", "post", "x");
        Assert.Equal(2, noInstance.ExitCode);
        Assert.Contains("SkAgents:Plugins:Mastodon:Instance", noInstance.StdErr, StringComparison.Ordinal);
        Assert.Contains("MASTODON_INSTANCE", noInstance.StdErr, StringComparison.Ordinal);

        var badSettings = Environment();
        badSettings["SkAgents__Plugins__Mastodon__DefaultVisibility"] = "everyone";
        var invalid = await CliProcess.RunAsync(_work.Path, badSettings, null, "mastodon", "post", "x");
        Assert.Equal(2, invalid.ExitCode);
        Assert.Contains("SkAgents:Plugins:Mastodon:DefaultVisibility is 'everyone'", invalid.StdErr, StringComparison.Ordinal);

        const string wrong = "wrong-mastodon-token-93f1";
        var environment = Environment(allowPosting: true);
        environment["MASTODON_TOKEN"] = wrong;
        var unauthorized = await CliProcess.RunAsync(_work.Path, environment, null, "mastodon", "post", "x", "--yes");
        Assert.Equal(1, unauthorized.ExitCode);
        Assert.StartsWith("error:", unauthorized.StdErr.Trim(), StringComparison.Ordinal);
        Assert.Contains("SkAgents:Plugins:Mastodon:AccessToken", unauthorized.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, unauthorized.StdErr + unauthorized.StdOut, StringComparison.Ordinal);

        var missing = await CliProcess.RunAsync(_work.Path, Environment(), null, "mastodon", "draft", "nobody@" + _mastodon.Domain, "x");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("Record not found", missing.StdErr, StringComparison.Ordinal);
    }
}
