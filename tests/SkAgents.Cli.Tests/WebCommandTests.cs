using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SkAgents.Hosting;
using SkAgents.Plugins;
using SkAgents.Plugins.Web.Search;
using SkAgents.Plugins.Web.Tests;
using SkAgents.Testing;

namespace SkAgents.Cli.Tests;

/// <summary>The web plugin in the host and the <c>skagents web</c> commands, against loopback search, page and model servers.</summary>
public sealed class WebCommandTests : IAsyncLifetime, IDisposable
{
    private const string BraveKey = "BSA-cli-secret-5e2f7a9c";
    private const string ModelKey = "sk-test-web-7b3d";
    private readonly TempDirectory _work = new();
    private FakeSearchServer _search = null!;
    private FakePageServer _pages = null!;
    private OpenAICompatibleServer _model = null!;
    private Uri _history = null!;
    private Uri _engineering = null!;

    public async Task InitializeAsync()
    {
        _search = await FakeSearchServer.StartAsync(WebSearchProviderKind.Brave, BraveKey);
        _pages = await FakePageServer.StartAsync();
        _model = await OpenAICompatibleServer.StartAsync(new OpenAICompatibleServerOptions { RequiredApiKey = ModelKey, Model = "test-model" });
        _history = _pages.AddHtml("/golden-gate/history", SamplePages.Article(
            "Golden Gate Bridge history",
            "The Golden Gate Bridge opened to vehicles on May 28, 1937, after four years of construction across the strait.",
            "Fog horns on the coast were installed much later and are tested every Wednesday at noon."));
        _engineering = _pages.AddHtml("/golden-gate/engineering", SamplePages.Article(
            "Engineering the bridge",
            "Joseph Strauss was the chief engineer of the Golden Gate Bridge; construction began on January 5, 1933."));
        _search.Documents.Add(new FakeDocument("Golden Gate Bridge history", _history.AbsoluteUri, "When the Golden Gate Bridge opened."));
        _search.Documents.Add(new FakeDocument("Engineering the Golden Gate Bridge", _engineering.AbsoluteUri, "Golden Gate Bridge construction."));
    }

    public async Task DisposeAsync()
    {
        await _search.DisposeAsync();
        await _pages.DisposeAsync();
        await _model.DisposeAsync();
    }

    public void Dispose() => _work.Dispose();

    private Dictionary<string, string> Environment(bool withModel = true)
    {
        var environment = new Dictionary<string, string>
        {
            ["BRAVE_API_KEY"] = BraveKey,
            ["SkAgents__Plugins__Web__Endpoint"] = _search.RootUri.ToString(),
            ["SkAgents__Web__AllowedNetworks__0"] = "127.0.0.1/32",
        };
        if (withModel)
        {
            environment["SKAGENTS_ENDPOINT"] = _model.BaseUri.ToString();
            environment["SKAGENTS_API_KEY"] = ModelKey;
            environment["SKAGENTS_MODEL"] = "test-model";
        }

        return environment;
    }

    private IConfiguration Configuration(Dictionary<string, string?> environment) =>
        new ConfigurationBuilder().AddSkAgentsConfiguration(new SkAgentsConfigurationSources
        {
            BaseDirectory = Path.Combine(_work.Path, "app"),
            WorkingDirectory = _work.Path,
            UserDirectory = Path.Combine(_work.Path, "user"),
            Environment = environment,
        }).Build();

    private ServiceProvider Build(Dictionary<string, string?> environment)
    {
        var services = new ServiceCollection();
        services.AddSkAgents(Configuration(environment));
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Environment_shorthands_pick_the_provider_and_config_show_redacts_the_keys()
    {
        await using (var brave = Build(new() { ["BRAVE_API_KEY"] = BraveKey }))
        {
            var settings = brave.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Web;
            Assert.Equal(BraveKey, settings.BraveApiKey);
            Assert.Equal(WebSearchProviderKind.Brave, settings.ResolveProvider());
            Assert.Contains("web", brave.GetRequiredService<PluginCatalog>().Select(p => p.Name));
            Assert.Equal("Brave", brave.GetRequiredService<WebSearchProviderHolder>().Provider?.Name);
        }

        await using (var tavily = Build(new() { ["TAVILY_API_KEY"] = "tvly-secret-1" }))
        {
            Assert.Equal("Tavily", tavily.GetRequiredService<WebSearchProviderHolder>().Provider?.Name);
        }

        await using (var searx = Build(new() { ["SEARXNG_URL"] = "http://127.0.0.1:8888/" }))
        {
            var provider = searx.GetRequiredService<WebSearchProviderHolder>().Provider;
            Assert.Equal("SearXNG", provider?.Name);
        }

        var result = await CliProcess.RunAsync(_work.Path, new Dictionary<string, string>
        {
            ["BRAVE_API_KEY"] = BraveKey,
            ["TAVILY_API_KEY"] = "tvly-secret-2",
            ["SkAgents__Plugins__Web__ApiKey"] = "web-secret-3",
        }, null, "config", "show");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.DoesNotContain(BraveKey, result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("tvly-secret-2", result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("web-secret-3", result.StdOut, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(result.StdOut);
        var web = json.RootElement.GetProperty("SkAgents").GetProperty("Plugins").GetProperty("Web");
        Assert.Equal("***", web.GetProperty("ApiKey").GetString());
        Assert.Equal("***", web.GetProperty("BraveApiKey").GetString());
        Assert.Equal("***", web.GetProperty("TavilyApiKey").GetString());
    }

    [Fact]
    public async Task Without_a_provider_the_plugin_is_off_unless_enabled_and_search_says_what_to_configure()
    {
        await using (var none = Build([]))
        {
            Assert.DoesNotContain("web", none.GetRequiredService<PluginCatalog>().Select(p => p.Name));
        }

        await using (var enabled = Build(new() { ["SkAgents__Plugins__Web__Enabled"] = "true" }))
        {
            Assert.Contains("web", enabled.GetRequiredService<PluginCatalog>().Select(p => p.Name));
        }

        await using (var disabled = Build(new() { ["BRAVE_API_KEY"] = BraveKey, ["SkAgents__Plugins__Web__Enabled"] = "false" }))
        {
            Assert.DoesNotContain("web", disabled.GetRequiredService<PluginCatalog>().Select(p => p.Name));
        }

        var result = await CliProcess.RunAsync(_work.Path, new Dictionary<string, string>(), null, "web", "search", "golden gate");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: No web search provider is configured", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("BRAVE_API_KEY", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SkAgents__Plugins__Web__Provider", "Brave", "SkAgents:Plugins:Web:Provider is Brave")]
    [InlineData("SkAgents__Plugins__Web__Provider", "SearXNG", "SEARXNG_URL")]
    [InlineData("SkAgents__Plugins__Web__MaxResults", "0", "SkAgents:Plugins:Web:MaxResults")]
    [InlineData("SkAgents__Plugins__Web__AnswerPages", "50", "SkAgents:Plugins:Web:AnswerPages")]
    [InlineData("SkAgents__Plugins__Web__Endpoint", "ftp://127.0.0.1/", "SkAgents:Plugins:Web:Endpoint")]
    public async Task Invalid_web_settings_are_reported_by_name(string variable, string value, string expected)
    {
        await using var provider = Build(new() { [variable] = value, ["SkAgents__Plugins__Web__Enabled"] = "true" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SkAgentsOptions>>().Value);

        Assert.Contains(error.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Plugins_list_shows_the_web_tools_when_a_provider_is_configured()
    {
        var result = await CliProcess.RunAsync(_work.Path, Environment(), null, "plugins", "list", "--json");

        Assert.True(result.ExitCode == 0, result.StdErr);
        using var json = JsonDocument.Parse(result.StdOut);
        var names = json.RootElement.EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Contains("web_search", names);
        Assert.Contains("web_fetch", names);
        Assert.Contains("web_answer", names);
        var answer = json.RootElement.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "web_answer");
        Assert.Equal(["question"], answer.GetProperty("parameters").GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Empty(_search.Requests);
        Assert.Empty(_model.Requests);
    }

    [Fact]
    public async Task Web_search_prints_ranked_results_from_the_provider()
    {
        var result = await CliProcess.RunAsync(_work.Path, Environment(withModel: false), null, "web", "search", "golden gate bridge", "--count", "3", "--json");

        Assert.True(result.ExitCode == 0, result.StdErr);
        using var json = JsonDocument.Parse(result.StdOut);
        var results = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, results.Count);
        Assert.Equal(_history.AbsoluteUri, results[0].GetProperty("url").GetString());
        Assert.Equal(1, results[0].GetProperty("rank").GetInt32());
        Assert.Equal("Brave", results[0].GetProperty("provider").GetString());
        var request = Assert.Single(_search.Requests);
        Assert.Equal(BraveKey, request.Header("X-Subscription-Token"));
        Assert.Equal("3", request.QueryParameter("count"));
        Assert.DoesNotContain(BraveKey, result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Web_fetch_prints_the_main_text_and_loopback_needs_the_allow_list()
    {
        var result = await CliProcess.RunAsync(_work.Path, Environment(withModel: false), null, "web", "fetch", _history.AbsoluteUri);

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.StartsWith("# Golden Gate Bridge history", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("opened to vehicles on May 28, 1937", result.StdOut, StringComparison.Ordinal);

        var environment = Environment(withModel: false);
        environment.Remove("SkAgents__Web__AllowedNetworks__0");
        var blocked = await CliProcess.RunAsync(_work.Path, environment, null, "web", "fetch", _history.AbsoluteUri);

        Assert.Equal(1, blocked.ExitCode);
        var error = Assert.Single(blocked.StdErr.Split('\n'), line => line.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains("AllowedNetworks", error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, blocked.StdOut);
    }

    [Fact]
    public async Task Web_answer_answers_with_citations_to_the_fetched_pages()
    {
        _model.Enqueue(ScriptedResponse.Text("It opened on May 28, 1937 [1]; construction began in 1933 [2]."));

        var result = await CliProcess.RunAsync(_work.Path, Environment(), null, "web", "answer", "When did the Golden Gate Bridge open?");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("It opened on May 28, 1937 [1]; construction began in 1933 [2].", result.StdOut, StringComparison.Ordinal);
        Assert.Contains($"[1] Golden Gate Bridge history — {_history.AbsoluteUri}", result.StdOut, StringComparison.Ordinal);
        Assert.Contains($"[2] Engineering the bridge — {_engineering.AbsoluteUri}", result.StdOut, StringComparison.Ordinal);
        var request = Assert.Single(_model.ChatRequests);
        Assert.Empty(request.Tools);
        Assert.Contains("<untrusted-web-content", request.LastUserText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_run_answers_from_the_web_with_citations_to_the_loopback_urls()
    {
        // The model calls web_answer, web_answer's own (tool-less) call writes the cited answer, and the model's final
        // answer repeats it with the sources the tool returned.
        _model.ChatHandler = request =>
        {
            if (request.Tools.Count == 0)
            {
                return ScriptedResponse.Text("The Golden Gate Bridge opened on May 28, 1937 [1].");
            }

            var toolMessage = request.Messages.FirstOrDefault(m => m.GetProperty("role").GetString() == "tool");
            if (toolMessage.ValueKind == JsonValueKind.Undefined)
            {
                return ScriptedResponse.ToolCalls(new ScriptedToolCall("call_1", "web_answer", """{"question":"When did the Golden Gate Bridge open?"}"""));
            }

            using var tool = JsonDocument.Parse(toolMessage.GetProperty("content").GetString()!);
            var answer = tool.RootElement.GetProperty("answer").GetString();
            var sources = tool.RootElement.GetProperty("sources").EnumerateArray()
                .Select(s => $"[{s.GetProperty("number").GetInt32()}] {s.GetProperty("url").GetString()}");
            return ScriptedResponse.Text(answer + "\nSources: " + string.Join(" ", sources));
        };

        var result = await CliProcess.RunAsync(_work.Path, Environment(), null, "run", "When did the Golden Gate Bridge open?");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("The Golden Gate Bridge opened on May 28, 1937 [1].", result.StdOut, StringComparison.Ordinal);
        Assert.Contains($"Sources: [1] {_history.AbsoluteUri}", result.StdOut, StringComparison.Ordinal);
        var requests = _model.ChatRequests;
        Assert.Equal(3, requests.Count);
        Assert.Contains(requests[0].Tools, t => t.GetProperty("function").GetProperty("name").GetString() == "web_answer");
        Assert.Empty(requests[1].Tools);
        Assert.Contains("opened to vehicles on May 28, 1937", requests[1].LastUserText, StringComparison.Ordinal);
        Assert.Contains(_pages.Requested, p => p == "/golden-gate/history");
    }
}
