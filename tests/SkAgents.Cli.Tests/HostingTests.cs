using System.ComponentModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SkAgents.Agents;
using SkAgents.Hosting;
using SkAgents.Plugins;

namespace SkAgents.Cli.Tests;

public sealed class HostingTests : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    private IConfiguration Configuration(Dictionary<string, string?>? environment = null, Dictionary<string, string?>? overrides = null) =>
        new ConfigurationBuilder().AddSkAgentsConfiguration(new SkAgentsConfigurationSources
        {
            BaseDirectory = Path.Combine(_work.Path, "app"),
            WorkingDirectory = _work.Path,
            UserDirectory = Path.Combine(_work.Path, "user"),
            Environment = environment ?? [],
            Overrides = overrides,
        }).Build();

    private static SkAgentsOptions Bind(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddSkAgents(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<SkAgentsOptions>>().Value;
    }

    [Fact]
    public void Layers_apply_in_order_files_then_environment_then_overrides()
    {
        _work.Write("user/skagents.json", """{ "SkAgents": { "Model": { "Name": "user-model", "TimeoutSeconds": 20 }, "Agent": { "MaxRounds": 5 } } }""");
        _work.Write("skagents.json", """{ "SkAgents": { "Model": { "Name": "project-model", "Endpoint": "http://127.0.0.1:1234/v1/" } } }""");

        var fromFiles = Bind(Configuration());
        Assert.Equal("project-model", fromFiles.Model.Name);
        Assert.Equal(20, fromFiles.Model.TimeoutSeconds);
        Assert.Equal(5, fromFiles.Agent.MaxRounds);
        Assert.Equal(new Uri("http://127.0.0.1:1234/v1/"), fromFiles.Model.Endpoint);

        var environment = new Dictionary<string, string?>
        {
            ["SkAgents__Agent__MaxRounds"] = "7",
            ["SKAGENTS_MODEL"] = "env-model",
            ["OPENAI_API_KEY"] = "openai-key",
            ["UNRELATED"] = "x",
        };
        var fromEnvironment = Bind(Configuration(environment));
        Assert.Equal("env-model", fromEnvironment.Model.Name);
        Assert.Equal(7, fromEnvironment.Agent.MaxRounds);
        Assert.Equal("openai-key", fromEnvironment.Model.ApiKey);

        environment["SKAGENTS_API_KEY"] = "skagents-key";
        var overridden = Bind(Configuration(environment, new Dictionary<string, string?> { ["SkAgents:Model:Name"] = "flag-model" }));
        Assert.Equal("skagents-key", overridden.Model.ApiKey);
        Assert.Equal("flag-model", overridden.Model.Name);
    }

    [Fact]
    public void Explicit_config_file_must_exist()
    {
        var error = Assert.Throws<FileNotFoundException>(() => new ConfigurationBuilder().AddSkAgentsConfiguration(new SkAgentsConfigurationSources
        {
            WorkingDirectory = _work.Path,
            ConfigFile = Path.Combine(_work.Path, "missing.json"),
            Environment = new Dictionary<string, string?>(),
        }));
        Assert.Contains("missing.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_names_every_wrong_setting()
    {
        var configuration = Configuration(overrides: new Dictionary<string, string?>
        {
            ["SkAgents:Model:Endpoint"] = "ftp://example/",
            ["SkAgents:Model:MaxRetries"] = "99",
            ["SkAgents:Agent:MaxRounds"] = "0",
            ["SkAgents:Plugins:Files:Root"] = Path.Combine(_work.Path, "does-not-exist"),
        });

        var error = Assert.Throws<OptionsValidationException>(() => Bind(configuration));

        Assert.Contains(error.Failures, f => f.StartsWith("SkAgents:Model:Endpoint is 'ftp://example/'", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("SkAgents:Model:MaxRetries is 99", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("SkAgents:Agent:MaxRounds is 0", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("SkAgents:Plugins:Files:Root", StringComparison.Ordinal));
    }

    [Fact]
    public void Model_requirements_are_checked_when_a_model_is_needed()
    {
        var noName = Assert.Throws<OptionsValidationException>(() => SkAgentsOptionsValidator.EnsureModelConfigured(new ModelSettings()));
        Assert.Contains(noName.Failures, f => f.Contains("SkAgents:Model:Name is not set", StringComparison.Ordinal));
        Assert.Contains(noName.Failures, f => f.Contains("api.openai.com requires one", StringComparison.Ordinal));

        // A local server needs no key.
        SkAgentsOptionsValidator.EnsureModelConfigured(new ModelSettings { Name = "llama3.1", Endpoint = new Uri("http://127.0.0.1:11434/v1/") });

        var services = new ServiceCollection();
        services.AddSkAgents(Configuration());
        using var provider = services.BuildServiceProvider();
        var resolve = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IChatClient>());
        Assert.Contains(resolve.Failures, f => f.Contains("SKAGENTS_MODEL", StringComparison.Ordinal));
    }

    [Fact]
    public void Redacted_json_hides_secrets_but_not_token_limits()
    {
        var options = new SkAgentsOptions();
        options.Model.ApiKey = "sk-very-secret";
        options.Model.MaxOutputTokens = 256;

        var json = ConfigurationRedactor.ToRedactedJson(options);

        Assert.DoesNotContain("sk-very-secret", json, StringComparison.Ordinal);
        Assert.Contains("\"ApiKey\": \"***\"", json, StringComparison.Ordinal);
        Assert.Contains("\"MaxOutputTokens\": 256", json, StringComparison.Ordinal);
        Assert.Contains("\"Provider\": \"OpenAI\"", json, StringComparison.Ordinal);

        Assert.Contains("\"ApiKey\": null", ConfigurationRedactor.ToRedactedJson(new SkAgentsOptions()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ApiKey", true)]
    [InlineData("AccessToken", true)]
    [InlineData("client_secret", true)]
    [InlineData("Password", true)]
    [InlineData("ConnectionString", true)]
    [InlineData("MaxOutputTokens", false)]
    [InlineData("Keyword", false)]
    [InlineData("EmbeddingModel", false)]
    public void Secret_names_are_recognized_by_whole_words(string name, bool secret) =>
        Assert.Equal(secret, ConfigurationRedactor.IsSecret(name));

    [Description("Greets people.")]
    public sealed class GreeterPlugin(TimeProvider clock)
    {
        [Description("Greets someone.")]
        public string Greet(string name) => $"Hello {name}, it is {clock.GetUtcNow().Year}.";
    }

    private sealed class NullChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")));

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task AddSkAgents_wires_plugins_the_apps_own_client_and_the_agent()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IChatClient, NullChatClient>();
        var noPrompts = Directory.CreateDirectory(Path.Combine(_work.Path, "no-prompts")).FullName;
        services.AddSkAgents(Configuration(overrides: new Dictionary<string, string?>
            {
                ["SkAgents:Plugins:Files:Root"] = _work.Path,
                ["SkAgents:Prompts:Directory"] = noPrompts,
            }))
            .AddPlugin<GreeterPlugin>();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var catalog = provider.GetRequiredService<PluginCatalog>();
        Assert.Equal(["time", "files", "memory", "greeter"], catalog.Select(p => p.Name));
        Assert.True(catalog.TryGetTool("greeter_greet", out var greet));
        var greeting = await greet.InvokeAsync(new AIFunctionArguments { ["name"] = "Ada" });
        Assert.StartsWith("Hello Ada, it is", greeting?.ToString(), StringComparison.Ordinal);

        var agent = provider.GetRequiredService<Agent>();
        Assert.IsType<NullChatClient>(provider.GetRequiredService<IChatClient>());
        Assert.Equal(catalog.Tools.Select(t => t.Name), agent.Tools.Select(t => t.Name));
        Assert.IsType<DenyAllToolApprover>(provider.GetRequiredService<IToolApprover>());
        Assert.Equal("ok", (await agent.RunAsync("hi")).Text);
    }

    [Fact]
    public async Task Local_model_folders_back_the_chat_client_and_the_embedding_generator()
    {
        var chatFolder = SkAgents.ModelFactory.Models.TinyDecoderFactory.WriteSpelling(Path.Combine(_work.Path, "chat"), SkAgents.ModelFactory.Models.TinyChatStyle.Qwen, "Local answer.");
        var embeddingFolder = Path.Combine(_work.Path, "embed");
        SkAgents.ModelFactory.Models.BertEmbedderFactory.Create(embeddingFolder);
        var services = new ServiceCollection();
        services.AddSkAgents(Configuration(new Dictionary<string, string?>
        {
            ["SKAGENTS_MODEL_DIR"] = chatFolder.Directory,
            ["SKAGENTS_EMBEDDING_DIR"] = embeddingFolder,
        }));
        await using var provider = services.BuildServiceProvider();

        var chat = provider.GetRequiredService<IChatClient>();
        Assert.Equal("onnxruntime", chat.GetService<ChatClientMetadata>()!.ProviderName);
        Assert.Equal("Local answer.", (await chat.GetResponseAsync("Hello")).Text);

        var embeddings = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var vectors = await embeddings.GenerateAsync(["hello world"]);
        Assert.True(vectors[0].Vector.Length > 0);
    }

    [Fact]
    public async Task The_memory_store_is_chosen_by_configuration()
    {
        var sqlite = new ServiceCollection();
        sqlite.AddSkAgents(Configuration(overrides: new Dictionary<string, string?> { ["SkAgents:Memory:DatabasePath"] = Path.Combine(_work.Path, "m.db") }));
        await using (var provider = sqlite.BuildServiceProvider())
        {
            Assert.IsType<SkAgents.Memory.Sqlite.SqliteMemoryStore>(provider.GetRequiredService<SkAgents.Memory.Storage.IMemoryStore>());
        }

        var weaviate = new ServiceCollection();
        weaviate.AddSkAgents(Configuration(overrides: new Dictionary<string, string?>
        {
            ["SkAgents:Memory:Store"] = "Weaviate",
            ["SkAgents:Memory:WeaviateEndpoint"] = "http://127.0.0.1:8080/",
            ["SkAgents:Memory:WeaviateApiKey"] = "weaviate-secret",
        }));
        await using (var provider = weaviate.BuildServiceProvider())
        {
            Assert.IsType<SkAgents.Memory.Weaviate.WeaviateMemoryStore>(provider.GetRequiredService<SkAgents.Memory.Storage.IMemoryStore>());
            var json = ConfigurationRedactor.ToRedactedJson(provider.GetRequiredService<IOptions<SkAgentsOptions>>().Value);
            Assert.DoesNotContain("weaviate-secret", json, StringComparison.Ordinal);
        }

        var invalid = new ServiceCollection();
        invalid.AddSkAgents(Configuration(overrides: new Dictionary<string, string?> { ["SkAgents:Memory:Store"] = "Weaviate" }));
        await using var bad = invalid.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<IOptions<SkAgentsOptions>>().Value);
        Assert.Contains(error.Failures, f => f.StartsWith("SkAgents:Memory:WeaviateEndpoint", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Built_in_plugins_can_be_switched_off()
    {
        var services = new ServiceCollection();
        services.AddSkAgents(Configuration(overrides: new Dictionary<string, string?>
        {
            ["SkAgents:Plugins:Files:Enabled"] = "false",
            ["SkAgents:Plugins:Time:Enabled"] = "false",
            ["SkAgents:Plugins:Memory:Enabled"] = "false",
        }));
        await using var provider = services.BuildServiceProvider();

        var names = provider.GetRequiredService<PluginCatalog>().Select(p => p.Name).ToList();
        Assert.DoesNotContain("files", names);
        Assert.DoesNotContain("time", names);
        Assert.DoesNotContain("memory", names);
    }
}
