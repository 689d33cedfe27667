using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkAgents.Agents;
using SkAgents.Connectors.OpenAI;
using SkAgents.LocalModels;
using SkAgents.LocalModels.Embeddings;
using SkAgents.Memory;
using SkAgents.Memory.Plugin;
using SkAgents.Memory.Sqlite;
using SkAgents.Memory.Storage;
using SkAgents.Memory.Weaviate;
using SkAgents.Plugins;
using SkAgents.Plugins.Files;
using SkAgents.Plugins.Time;
using SkAgents.Plugins.Web;
using SkAgents.Plugins.Web.Search;
using SkAgents.Prompts;
using SkAgents.Web;

namespace SkAgents.Hosting;

/// <summary>Registers SkAgents in a <see cref="IServiceCollection"/>: the entry point for hosts and other apps.</summary>
public static class SkAgentsServiceCollectionExtensions
{
    /// <summary>The error shown when a web search is asked for and no search provider is configured.</summary>
    public const string WebNoProviderMessage =
        "No web search provider is configured: set BRAVE_API_KEY, TAVILY_API_KEY or SEARXNG_URL, or SkAgents:Plugins:Web:Provider (Brave, Tavily, SearXNG) with SkAgents:Plugins:Web:ApiKey or, for SearXNG, SkAgents:Plugins:Web:Endpoint.";

    /// <summary>The error when captioning is used without a captioner.</summary>
    public const string CaptioningNotConfiguredMessage =
        "No image captioner is configured: set SkAgents:Plugins:Captioning:ModelDirectory (or SKAGENTS_CAPTION_MODEL_DIR) to a local captioning model folder, or SkAgents:Plugins:Captioning:UseChatModel to true when the chat model accepts images.";

    /// <summary>The error when a Mastodon command is used without an instance.</summary>
    public const string MastodonNoInstanceMessage =
        "SkAgents:Plugins:Mastodon:Instance is not set: set MASTODON_INSTANCE (for example https://mastodon.social/) or SkAgents:Plugins:Mastodon:Instance, and MASTODON_TOKEN to an access token (Preferences → Development; scope write:statuses to post).";

    /// <summary>The error when a Notion command or tool is used without a token.</summary>
    public const string NotionNoTokenMessage =
        "SkAgents:Plugins:Notion:Token is not set: create an integration at https://www.notion.so/profile/integrations, share your pages with it (••• → Connections), and set NOTION_TOKEN or SkAgents:Plugins:Notion:Token (user-secrets).";

    /// <summary>
    /// Adds SkAgents: options bound from the <c>SkAgents</c> section and validated at start, an OpenAI-compatible
    /// <see cref="IChatClient"/> and embedding generator (unless the app registered its own), the prompt catalog, the
    /// built-in plugins, the <see cref="PluginCatalog"/>, a deny-by-default <see cref="IToolApprover"/> and the
    /// <see cref="Agent"/>. Add more plugins with the returned builder.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration holding the <c>SkAgents</c> section.</param>
    /// <param name="configure">Changes applied after binding.</param>
    /// <returns>A builder for adding plugins.</returns>
    public static SkAgentsBuilder AddSkAgents(this IServiceCollection services, IConfiguration configuration, Action<SkAgentsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var optionsBuilder = services.AddOptions<SkAgentsOptions>().Bind(configuration.GetSection(SkAgentsOptions.SectionName)).ValidateOnStart();
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SkAgentsOptions>, SkAgentsOptionsValidator>());
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IToolApprover>(DenyAllToolApprover.Instance);

        services.TryAddSingleton(sp => CreateClientOptions(sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Model));
        services.TryAddSingleton<IChatClient>(sp =>
        {
            var model = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Model;
            if (!string.IsNullOrWhiteSpace(model.LocalDirectory))
            {
                return LocalModel.LoadChatClient(model.LocalDirectory, new LocalModelOptions { ChatFormat = model.ChatFormat });
            }

            SkAgentsOptionsValidator.EnsureModelConfigured(model);
            return sp.GetRequiredService<OpenAICompatibleClientOptions>().CreateChatClient(sp.GetService<ILoggerFactory>());
        });
        services.TryAddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp =>
        {
            var model = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Model;
            if (!string.IsNullOrWhiteSpace(model.EmbeddingDirectory))
            {
                return OnnxEmbeddingGenerator.Load(model.EmbeddingDirectory);
            }

            var clientOptions = sp.GetRequiredService<OpenAICompatibleClientOptions>();
            if (string.IsNullOrWhiteSpace(clientOptions.EmbeddingModel))
            {
                throw new OptionsValidationException(SkAgentsOptions.SectionName, typeof(SkAgentsOptions),
                    ["Neither SkAgents:Model:EmbeddingDirectory (a local model folder) nor SkAgents:Model:EmbeddingModel is set: set one in skagents.json, SKAGENTS_EMBEDDING_DIR or SKAGENTS_EMBEDDING_MODEL to use embeddings."]);
            }

            return clientOptions.CreateEmbeddingGenerator(sp.GetService<ILoggerFactory>());
        });

        services.TryAddSingleton<IPromptCatalog>(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Prompts;
            var directory = settings.Directory ?? PromptCatalog.DefaultDirectory;
            // The chat client is resolved when a prompt runs (from the invocation's services), so listing prompts
            // needs no model configuration.
            return Directory.Exists(directory) ? PromptCatalog.LoadDirectory(directory, chatClient: null) : new PromptCatalog();
        });

        services.TryAddSingleton<IMemoryStore>(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Memory;
            if (settings.Store == MemoryStoreKind.Weaviate)
            {
                return new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { Endpoint = settings.WeaviateEndpoint!, ApiKey = settings.WeaviateApiKey });
            }

            var options = new SqliteMemoryStoreOptions();
            if (!string.IsNullOrWhiteSpace(settings.DatabasePath))
            {
                options.DatabasePath = settings.DatabasePath;
            }

            return new SqliteMemoryStore(options);
        });
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Web;
            var options = new WebFetcherOptions
            {
                MaxResponseBytes = settings.MaxResponseBytes,
                Timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds),
                MaxRedirects = settings.MaxRedirects,
                UserAgent = $"SkAgents/{typeof(SkAgentsOptions).Assembly.GetName().Version?.ToString(3)}",
            };
            foreach (var network in settings.AllowedNetworks)
            {
                options.AllowedNetworks.Add(network);
            }

            return new WebFetcher(options, sp.GetService<ILogger<WebFetcher>>());
        });
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value;
            var model = options.Model;
            // Memory works without models: keyword search and extractive answers. Use what is configured.
            var hasEmbeddings = !string.IsNullOrWhiteSpace(model.EmbeddingDirectory) || !string.IsNullOrWhiteSpace(model.EmbeddingModel);
            var hasChat = !string.IsNullOrWhiteSpace(model.LocalDirectory) || !string.IsNullOrWhiteSpace(model.Name);
            return new MemoryService(
                sp.GetRequiredService<IMemoryStore>(),
                hasEmbeddings ? sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>() : null,
                hasChat ? sp.GetRequiredService<IChatClient>() : null,
                sp.GetRequiredService<IPromptCatalog>(),
                new MemoryOptions { DefaultIndex = options.Memory.DefaultIndex },
                logger: sp.GetService<ILogger<MemoryService>>(),
                webFetcher: sp.GetRequiredService<WebFetcher>());
        });

        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value;
            var web = settings.Plugins.Web;
            if (web.ResolveProvider() is not { } kind)
            {
                return new WebSearchProviderHolder(null);
            }

            var variable = kind switch
            {
                WebSearchProviderKind.Brave => " or BRAVE_API_KEY",
                WebSearchProviderKind.Tavily => " or TAVILY_API_KEY",
                _ => string.Empty,
            };
            return new WebSearchProviderHolder(WebSearchProviders.Create(kind, new WebSearchProviderOptions
            {
                ApiKey = web.ResolveApiKey(kind),
                Endpoint = web.ResolveEndpoint(kind),
                ApiKeySetting = "SkAgents:Plugins:Web:ApiKey" + variable,
                EndpointSetting = kind == WebSearchProviderKind.SearXNG ? "SkAgents:Plugins:Web:Endpoint or SEARXNG_URL" : "SkAgents:Plugins:Web:Endpoint",
                Timeout = TimeSpan.FromSeconds(settings.Web.TimeoutSeconds),
                TimeProvider = sp.GetRequiredService<TimeProvider>(),
            }, sp.GetService<ILoggerFactory>()));
        });
        services.TryAddSingleton(sp =>
        {
            var web = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Web;
            // The chat model is resolved when web_answer runs (from the invocation's services), so listing tools needs no model.
            return new WebPlugin(
                sp.GetRequiredService<WebFetcher>(),
                sp.GetRequiredService<WebSearchProviderHolder>().Provider,
                sp.GetRequiredService<IPromptCatalog>(),
                chat: null,
                new WebPluginOptions
                {
                    MaxSearchResults = web.MaxResults,
                    AnswerPages = web.AnswerPages,
                    MaxFetchCharacters = web.MaxFetchCharacters,
                    NoProviderMessage = WebNoProviderMessage,
                },
                sp.GetService<ILogger<WebPlugin>>());
        });

        var builder = new SkAgentsBuilder(services);
        builder.AddPlugin(sp => sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Time.Enabled
            ? AgentPlugin.FromObject(new TimePlugin(sp.GetRequiredService<TimeProvider>()))
            : null);
        builder.AddPlugin(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Files;
            return settings.Enabled
                ? AgentPlugin.FromObject(new FilesPlugin(new FilesPluginOptions
                {
                    RootDirectory = settings.Root ?? Directory.GetCurrentDirectory(),
                    MaxReadBytes = settings.MaxReadBytes,
                    MaxWriteBytes = settings.MaxWriteBytes,
                }))
                : null;
        });
        builder.AddPlugin(sp => sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Memory.Enabled
            ? AgentPlugin.FromObject(new MemoryPlugin(sp.GetRequiredService<MemoryService>()))
            : null);
        builder.AddPlugin(sp => sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Web.IsEnabled
            ? AgentPlugin.FromObject(sp.GetRequiredService<WebPlugin>(), options: new AgentPluginOptions { Services = sp })
            : null);

        // Notion: the client exists whenever asked for (the notion commands); the agent gets the tools when a token is set.
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Notion;
            if (string.IsNullOrWhiteSpace(settings.Token))
            {
                throw new OptionsValidationException(SkAgentsOptions.SectionName, typeof(SkAgentsOptions), [NotionNoTokenMessage]);
            }

            return new SkAgents.Plugins.Notion.NotionClient(
                new SkAgents.Plugins.Notion.NotionClientOptions { Token = settings.Token, Version = settings.Version, BaseUrl = settings.BaseUrl, TimeProvider = sp.GetRequiredService<TimeProvider>() },
                logger: sp.GetService<ILogger<SkAgents.Plugins.Notion.NotionClient>>());
        });
        builder.AddPlugin(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value;
            return options.Plugins.Notion.Enabled && !string.IsNullOrWhiteSpace(options.Plugins.Notion.Token)
                ? AgentPlugin.FromObject(new SkAgents.Plugins.Notion.NotionPlugin(
                    sp.GetRequiredService<SkAgents.Plugins.Notion.NotionClient>(),
                    options.Plugins.Memory.Enabled ? sp.GetRequiredService<MemoryService>() : null))
                : null;
        });
        // Captioning: a local model folder, or the chat model when it accepts images.
        services.TryAddSingleton<SkAgents.Plugins.Captioning.IImageCaptioner>(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Captioning;
            if (!string.IsNullOrWhiteSpace(settings.ModelDirectory))
            {
                return SkAgents.Plugins.Captioning.LocalImageCaptioner.Load(settings.ModelDirectory);
            }

            if (settings.UseChatModel)
            {
                return new SkAgents.Plugins.Captioning.ChatImageCaptioner(sp.GetRequiredService<IChatClient>());
            }

            throw new OptionsValidationException(SkAgentsOptions.SectionName, typeof(SkAgentsOptions), [CaptioningNotConfiguredMessage]);
        });
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value;
            var fetcher = new WebFetcher(
                SkAgents.Plugins.Captioning.ImageLoader.ImageFetcherOptions(options.Web.AllowedNetworks, options.Plugins.Captioning.MaxImageBytes),
                sp.GetService<ILogger<WebFetcher>>());
            var model = options.Model;
            var hasChat = !string.IsNullOrWhiteSpace(model.LocalDirectory) || !string.IsNullOrWhiteSpace(model.Name);
            return new SkAgents.Plugins.Captioning.CaptioningPlugin(
                sp.GetRequiredService<SkAgents.Plugins.Captioning.IImageCaptioner>(),
                new SkAgents.Plugins.Captioning.ImageLoader(fetcher, options.Plugins.Captioning.MaxImageBytes),
                sp.GetRequiredService<IPromptCatalog>(),
                hasChat ? sp.GetRequiredService<IChatClient>() : null);
        });
        builder.AddPlugin(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Captioning;
            return settings.Enabled && settings.IsConfigured
                ? AgentPlugin.FromObject(sp.GetRequiredService<SkAgents.Plugins.Captioning.CaptioningPlugin>(), options: new AgentPluginOptions { Services = sp })
                : null;
        });
        // Mastodon: the client and plugin exist whenever asked for (the mastodon commands); the agent gets the tools when an instance is set.
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Mastodon;
            var instance = settings.ResolveInstance()
                ?? throw new OptionsValidationException(SkAgentsOptions.SectionName, typeof(SkAgentsOptions), [MastodonNoInstanceMessage]);
            return new SkAgents.Plugins.Mastodon.MastodonClient(
                new SkAgents.Plugins.Mastodon.MastodonClientOptions
                {
                    Instance = instance,
                    AccessToken = string.IsNullOrWhiteSpace(settings.AccessToken) ? null : settings.AccessToken,
                    TimeProvider = sp.GetRequiredService<TimeProvider>(),
                },
                logger: sp.GetService<ILogger<SkAgents.Plugins.Mastodon.MastodonClient>>());
        });
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Mastodon;
            return new SkAgents.Plugins.Mastodon.MastodonPlugin(
                sp.GetRequiredService<SkAgents.Plugins.Mastodon.MastodonClient>(),
                sp.GetRequiredService<IPromptCatalog>(),
                new SkAgents.Plugins.Mastodon.MastodonPluginOptions { AllowPosting = settings.AllowPosting, DefaultVisibility = string.IsNullOrWhiteSpace(settings.DefaultVisibility) ? null : settings.DefaultVisibility },
                sp.GetService<ILogger<SkAgents.Plugins.Mastodon.MastodonPlugin>>());
        });
        builder.AddPlugin(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Plugins.Mastodon;
            return settings.Enabled && settings.ResolveInstance() is not null
                ? AgentPlugin.FromObject(sp.GetRequiredService<SkAgents.Plugins.Mastodon.MastodonPlugin>(), options: new AgentPluginOptions { Services = sp })
                : null;
        });

        builder.AddPlugin(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value.Prompts;
            var prompts = sp.GetRequiredService<IPromptCatalog>().Prompts;
            return settings.ExposeAsTools && prompts.Count > 0
                ? AgentPlugin.FromFunctions("prompts", "Prompt functions: summarize, answer from sources, write in a style, caption.", prompts)
                : null;
        });

        services.TryAddSingleton(sp => new McpServerConnections(
            sp.GetRequiredService<IOptions<SkAgentsOptions>>(), sp.GetService<ILoggerFactory>(), sp.GetService<SkAgents.Mcp.Client.IMcpElicitationHandler>()));
        services.TryAddSingleton(sp => new PluginCatalog(
            sp.GetServices<AgentPluginRegistration>().Select(r => r.Factory(sp)).OfType<AgentPlugin>()
                .Concat(sp.GetRequiredService<McpServerConnections>().GetPlugins())));

        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SkAgentsOptions>>().Value;
            return new Agent(
                sp.GetRequiredService<IChatClient>(),
                sp.GetRequiredService<PluginCatalog>().Tools,
                CreateAgentOptions(options),
                sp.GetRequiredService<IToolApprover>(),
                sp.GetService<ILoggerFactory>(),
                sp);
        });

        return builder;
    }

    /// <summary>Maps the model settings to the connector's options.</summary>
    /// <param name="model">The model settings.</param>
    /// <returns>The connector options.</returns>
    public static OpenAICompatibleClientOptions CreateClientOptions(ModelSettings model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new OpenAICompatibleClientOptions
        {
            Endpoint = model.Endpoint,
            ApiKey = string.IsNullOrEmpty(model.ApiKey) ? null : model.ApiKey,
            Model = model.Name,
            EmbeddingModel = model.EmbeddingModel,
            Provider = model.Provider,
            NetworkTimeout = TimeSpan.FromSeconds(model.TimeoutSeconds),
            MaxRetries = model.MaxRetries,
            MaxRetryDelay = TimeSpan.FromSeconds(model.MaxRetryDelaySeconds),
        };
    }

    /// <summary>Maps the agent and model settings to <see cref="AgentOptions"/>.</summary>
    /// <param name="options">The settings.</param>
    /// <returns>The agent options.</returns>
    public static AgentOptions CreateAgentOptions(SkAgentsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new AgentOptions
        {
            Name = options.Agent.Name,
            Instructions = options.Agent.Instructions,
            MaxRounds = options.Agent.MaxRounds,
            MaxConsecutiveToolErrors = options.Agent.MaxConsecutiveToolErrors,
            AllowConcurrentToolCalls = options.Agent.AllowConcurrentToolCalls,
            ChatOptions = new ChatOptions
            {
                ModelId = string.IsNullOrWhiteSpace(options.Model.LocalDirectory) ? options.Model.Name : null,
                Temperature = options.Model.Temperature,
                MaxOutputTokens = options.Model.MaxOutputTokens,
            },
        };
    }
}

/// <summary>A plugin contributed to the <see cref="PluginCatalog"/>; the factory returns null when the plugin is switched off.</summary>
/// <param name="Factory">Creates the plugin from the app's services.</param>
public sealed record AgentPluginRegistration(Func<IServiceProvider, AgentPlugin?> Factory);

/// <summary>Adds plugins to an app that called <see cref="SkAgentsServiceCollectionExtensions.AddSkAgents"/>.</summary>
public sealed class SkAgentsBuilder
{
    internal SkAgentsBuilder(IServiceCollection services) => Services = services;

    /// <summary>Gets the services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds a plugin built from a class, created with its constructor's services.</summary>
    /// <typeparam name="TPlugin">The plugin class.</typeparam>
    /// <param name="name">The plugin name; derived from the class when null.</param>
    /// <returns>This builder.</returns>
    public SkAgentsBuilder AddPlugin<TPlugin>(string? name = null)
        where TPlugin : class =>
        AddPlugin(sp => AgentPlugin.FromObject(ActivatorUtilities.CreateInstance<TPlugin>(sp), name, new AgentPluginOptions { Services = sp }));

    /// <summary>Adds a ready-made plugin.</summary>
    /// <param name="plugin">The plugin.</param>
    /// <returns>This builder.</returns>
    public SkAgentsBuilder AddPlugin(AgentPlugin plugin)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        return AddPlugin(_ => plugin);
    }

    /// <summary>Adds a plugin made from the app's services; the factory may return null to leave it out.</summary>
    /// <param name="factory">Creates the plugin.</param>
    /// <returns>This builder.</returns>
    public SkAgentsBuilder AddPlugin(Func<IServiceProvider, AgentPlugin?> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.AddSingleton(new AgentPluginRegistration(factory));
        return this;
    }
}

/// <summary>The configured web search provider (or none), owned by the service provider so it is disposed with it.</summary>
/// <param name="provider">The provider, or null when none is configured.</param>
public sealed class WebSearchProviderHolder(WebSearchProviderBase? provider) : IDisposable
{
    /// <summary>Gets the provider, or null when none is configured.</summary>
    public WebSearchProviderBase? Provider { get; } = provider;

    /// <inheritdoc />
    public void Dispose() => Provider?.Dispose();
}
