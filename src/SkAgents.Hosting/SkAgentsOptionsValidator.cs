using Microsoft.Extensions.Options;
using SkAgents.Plugins.Web.Search;

namespace SkAgents.Hosting;

/// <summary>
/// Checks <see cref="SkAgentsOptions"/> at start, naming each setting that is wrong by its configuration key.
/// Settings that only some commands need (the model name) are checked when first used, by <see cref="SkAgentsOptionsValidator.EnsureModelConfigured"/>.
/// </summary>
public sealed class SkAgentsOptionsValidator : IValidateOptions<SkAgentsOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SkAgentsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var model = options.Model;
        if (model.Endpoint is null || !model.Endpoint.IsAbsoluteUri || (model.Endpoint.Scheme != Uri.UriSchemeHttp && model.Endpoint.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"SkAgents:Model:Endpoint is '{model.Endpoint}', which is not an absolute http or https URL (for example http://127.0.0.1:11434/v1/).");
        }

        if (model.LocalDirectory is { } local && !Directory.Exists(local))
        {
            failures.Add($"SkAgents:Model:LocalDirectory is '{local}', which is not an existing folder.");
        }

        if (model.EmbeddingDirectory is { } embeddings && !Directory.Exists(embeddings))
        {
            failures.Add($"SkAgents:Model:EmbeddingDirectory is '{embeddings}', which is not an existing folder.");
        }

        if (model.TimeoutSeconds is < 1 or > 3600)
        {
            failures.Add($"SkAgents:Model:TimeoutSeconds is {model.TimeoutSeconds}; use 1 to 3600.");
        }

        if (model.MaxRetries is < 0 or > 10)
        {
            failures.Add($"SkAgents:Model:MaxRetries is {model.MaxRetries}; use 0 to 10.");
        }

        if (model.MaxRetryDelaySeconds is < 0 or > 600)
        {
            failures.Add($"SkAgents:Model:MaxRetryDelaySeconds is {model.MaxRetryDelaySeconds}; use 0 to 600.");
        }

        if (model.Temperature is < 0 or > 2)
        {
            failures.Add($"SkAgents:Model:Temperature is {model.Temperature}; use 0 to 2.");
        }

        if (model.MaxOutputTokens is < 1)
        {
            failures.Add($"SkAgents:Model:MaxOutputTokens is {model.MaxOutputTokens}; use a positive number.");
        }

        foreach (var (serverName, server) in options.Mcp.Servers)
        {
            if (server.Enabled)
            {
                failures.AddRange(server.Validate(serverName).Select(problem => $"SkAgents:Mcp:Servers:{serverName}: {problem}"));
            }
        }

        if (!Enum.IsDefined(model.Provider))
        {
            failures.Add($"SkAgents:Model:Provider is '{model.Provider}', which is not a known provider.");
        }

        var agent = options.Agent;
        if (string.IsNullOrWhiteSpace(agent.Name))
        {
            failures.Add("SkAgents:Agent:Name is empty.");
        }

        if (agent.MaxRounds is < 1 or > 1000)
        {
            failures.Add($"SkAgents:Agent:MaxRounds is {agent.MaxRounds}; use 1 to 1000.");
        }

        if (agent.MaxConsecutiveToolErrors < 1)
        {
            failures.Add($"SkAgents:Agent:MaxConsecutiveToolErrors is {agent.MaxConsecutiveToolErrors}; use 1 or more.");
        }

        var files = options.Plugins.Files;
        if (files.Enabled && files.Root is { } root && !Directory.Exists(root))
        {
            failures.Add($"SkAgents:Plugins:Files:Root is '{root}', which is not an existing folder.");
        }

        if (files.MaxReadBytes < 1 || files.MaxWriteBytes < 1)
        {
            failures.Add("SkAgents:Plugins:Files:MaxReadBytes and MaxWriteBytes must be positive.");
        }

        if (options.Memory.Store == MemoryStoreKind.Weaviate &&
            (options.Memory.WeaviateEndpoint is not { IsAbsoluteUri: true } weaviate || (weaviate.Scheme != Uri.UriSchemeHttp && weaviate.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"SkAgents:Memory:WeaviateEndpoint is '{options.Memory.WeaviateEndpoint}'; the Weaviate store needs an absolute http or https URL (for example http://127.0.0.1:8080/).");
        }

        if (options.Web.MaxResponseBytes <= 0 || options.Web.TimeoutSeconds <= 0 || options.Web.MaxRedirects < 0)
        {
            failures.Add("SkAgents:Web:MaxResponseBytes and TimeoutSeconds must be positive, and MaxRedirects not negative.");
        }

        try
        {
            _ = new SkAgents.Web.NetworkAddressPolicy(options.Web.AllowedNetworks);
        }
        catch (ArgumentException ex)
        {
            failures.Add($"SkAgents:Web:AllowedNetworks: {ex.Message}");
        }

        ValidateWeb(options.Plugins.Web, failures);

        if (options.Prompts.Directory is { } prompts && !Directory.Exists(prompts))
        {
            failures.Add($"SkAgents:Prompts:Directory is '{prompts}', which is not an existing folder.");
        }

        var notion = options.Plugins.Notion;
        if (!SkAgents.Plugins.Notion.NotionVersions.IsWellFormed(notion.Version))
        {
            failures.Add($"SkAgents:Plugins:Notion:Version is '{notion.Version}'; use a Notion API version date: 2025-09-03 (default), 2026-03-11 or 2022-06-28.");
        }

        if (notion.BaseUrl is not { IsAbsoluteUri: true } notionUrl || (notionUrl.Scheme != Uri.UriSchemeHttp && notionUrl.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"SkAgents:Plugins:Notion:BaseUrl is '{notion.BaseUrl}', which is not an absolute http or https URL (default https://api.notion.com/v1/).");
        }

        var mastodon = options.Plugins.Mastodon;
        if (!string.IsNullOrWhiteSpace(mastodon.Instance) && mastodon.ResolveInstance() is null)
        {
            failures.Add($"SkAgents:Plugins:Mastodon:Instance is '{mastodon.Instance}', which is not an http or https URL (for example https://mastodon.social/).");
        }

        if (mastodon.DefaultVisibility is { Length: > 0 } visibility && visibility is not ("public" or "unlisted" or "private" or "direct"))
        {
            failures.Add($"SkAgents:Plugins:Mastodon:DefaultVisibility is '{visibility}'; use public, unlisted, private or direct.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws when the settings a model call needs are missing.</summary>
    /// <param name="model">The model settings.</param>
    /// <exception cref="OptionsValidationException">The model name is unset, or OpenAI's endpoint is used without a key.</exception>
    public static void EnsureModelConfigured(ModelSettings model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!string.IsNullOrWhiteSpace(model.LocalDirectory))
        {
            return; // a local model needs neither a model name nor a key
        }

        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(model.Name))
        {
            failures.Add("SkAgents:Model:Name is not set: set it in skagents.json, the SKAGENTS_MODEL environment variable or --model.");
        }

        if (string.IsNullOrEmpty(model.ApiKey) && string.Equals(model.Endpoint?.Host, "api.openai.com", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add("SkAgents:Model:ApiKey is not set, and api.openai.com requires one: set SKAGENTS_API_KEY or OPENAI_API_KEY, user-secrets, or --api-key.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(SkAgentsOptions.SectionName, typeof(SkAgentsOptions), failures);
        }
    }

    private static void ValidateWeb(WebPluginSettings web, List<string> failures)
    {
        if (web.Provider is { } kind && !Enum.IsDefined(kind))
        {
            failures.Add($"SkAgents:Plugins:Web:Provider is '{kind}'; use Brave, Tavily or SearXNG.");
        }

        if (web.Endpoint is { } endpoint && (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"SkAgents:Plugins:Web:Endpoint is '{endpoint}', which is not an absolute http or https URL.");
        }

        if (web.SearxngUrl is { } searxng && (!searxng.IsAbsoluteUri || (searxng.Scheme != Uri.UriSchemeHttp && searxng.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"SkAgents:Plugins:Web:SearxngUrl (SEARXNG_URL) is '{searxng}', which is not an absolute http or https URL.");
        }

        if (web.IsEnabled && web.ResolveProvider() is { } provider && Enum.IsDefined(provider))
        {
            if (provider != WebSearchProviderKind.SearXNG && string.IsNullOrWhiteSpace(web.ResolveApiKey(provider)))
            {
                var variable = provider == WebSearchProviderKind.Brave ? "BRAVE_API_KEY" : "TAVILY_API_KEY";
                failures.Add($"SkAgents:Plugins:Web:Provider is {provider} but no API key is set: set SkAgents:Plugins:Web:ApiKey or {variable}.");
            }

            if (provider == WebSearchProviderKind.SearXNG && web.ResolveEndpoint(provider) is null)
            {
                failures.Add("SkAgents:Plugins:Web:Provider is SearXNG but no instance URL is set: set SkAgents:Plugins:Web:Endpoint or SEARXNG_URL (for example http://127.0.0.1:8888/).");
            }
        }

        if (web.MaxResults is < 1 or > 20)
        {
            failures.Add($"SkAgents:Plugins:Web:MaxResults is {web.MaxResults}; use 1 to 20.");
        }

        if (web.AnswerPages is < 1 or > 10)
        {
            failures.Add($"SkAgents:Plugins:Web:AnswerPages is {web.AnswerPages}; use 1 to 10.");
        }

        if (web.MaxFetchCharacters < 100)
        {
            failures.Add($"SkAgents:Plugins:Web:MaxFetchCharacters is {web.MaxFetchCharacters}; use 100 or more.");
        }
    }
}
