using Microsoft.Extensions.Configuration;

namespace SkAgents.Hosting;

/// <summary>Where <see cref="SkAgentsConfiguration.AddSkAgentsConfiguration"/> looks for settings.</summary>
public sealed class SkAgentsConfigurationSources
{
    /// <summary>Gets or sets the folder holding <c>appsettings.json</c>; the app's folder by default.</summary>
    public string BaseDirectory { get; set; } = AppContext.BaseDirectory;

    /// <summary>Gets or sets the folder whose <c>skagents.json</c> applies to this project; the current directory by default.</summary>
    public string WorkingDirectory { get; set; } = Directory.GetCurrentDirectory();

    /// <summary>Gets or sets the per-user folder whose <c>skagents.json</c> applies everywhere (~/.config/skagents on Linux).</summary>
    public string? UserDirectory { get; set; } = DefaultUserDirectory();

    /// <summary>Gets or sets an explicit settings file (the CLI's <c>--config</c>), read after the others.</summary>
    public string? ConfigFile { get; set; }

    /// <summary>Gets or sets the user-secrets id; none by default.</summary>
    public string? UserSecretsId { get; set; }

    /// <summary>Gets or sets the environment variables to read; the process environment when null (tests pass their own).</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; set; }

    /// <summary>Gets or sets settings that override everything (command-line flags), as configuration keys and values.</summary>
    public IDictionary<string, string?>? Overrides { get; set; }

    /// <summary>Gets the default per-user configuration folder.</summary>
    /// <returns>The folder, or null when the platform has none.</returns>
    public static string? DefaultUserDirectory()
    {
        var appData = System.Environment.GetFolderPath(System.Environment.SpecialFolder.ApplicationData);
        return string.IsNullOrEmpty(appData) ? null : Path.Combine(appData, "skagents");
    }
}

/// <summary>Builds SkAgents' layered configuration.</summary>
public static class SkAgentsConfiguration
{
    /// <summary>The environment-variable shorthands and the configuration keys they set, lowest priority first.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> EnvironmentShorthands { get; } =
    [
        new("OPENAI_API_KEY", "SkAgents:Model:ApiKey"),
        new("SKAGENTS_API_KEY", "SkAgents:Model:ApiKey"),
        new("SKAGENTS_ENDPOINT", "SkAgents:Model:Endpoint"),
        new("SKAGENTS_MODEL", "SkAgents:Model:Name"),
        new("SKAGENTS_PROVIDER", "SkAgents:Model:Provider"),
        new("SKAGENTS_EMBEDDING_MODEL", "SkAgents:Model:EmbeddingModel"),
        new("SKAGENTS_MODEL_DIR", "SkAgents:Model:LocalDirectory"),
        new("SKAGENTS_EMBEDDING_DIR", "SkAgents:Model:EmbeddingDirectory"),
        new("BRAVE_API_KEY", "SkAgents:Plugins:Web:BraveApiKey"),
        new("TAVILY_API_KEY", "SkAgents:Plugins:Web:TavilyApiKey"),
        new("SEARXNG_URL", "SkAgents:Plugins:Web:SearxngUrl"),
        new("NOTION_TOKEN", "SkAgents:Plugins:Notion:Token"),
        new("MASTODON_INSTANCE", "SkAgents:Plugins:Mastodon:Instance"),
        new("MASTODON_TOKEN", "SkAgents:Plugins:Mastodon:AccessToken"),
        new("SKAGENTS_CAPTION_MODEL_DIR", "SkAgents:Plugins:Captioning:ModelDirectory"),
    ];

    /// <summary>
    /// Adds, lowest priority first: <c>appsettings.json</c> next to the app, the user's <c>skagents.json</c>, the
    /// working directory's <c>skagents.json</c>, an explicit file, user-secrets, environment variables
    /// (<c>SkAgents__Model__Name</c> style), the shorthands in <see cref="EnvironmentShorthands"/>, then overrides.
    /// </summary>
    /// <param name="builder">The configuration builder.</param>
    /// <param name="sources">Where to look; defaults when null.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="FileNotFoundException">An explicit <see cref="SkAgentsConfigurationSources.ConfigFile"/> does not exist.</exception>
    public static IConfigurationBuilder AddSkAgentsConfiguration(this IConfigurationBuilder builder, SkAgentsConfigurationSources? sources = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        sources ??= new SkAgentsConfigurationSources();

        builder.AddJsonFile(Path.Combine(sources.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        if (sources.UserDirectory is { } user)
        {
            builder.AddJsonFile(Path.Combine(user, "skagents.json"), optional: true, reloadOnChange: false);
        }

        builder.AddJsonFile(Path.Combine(sources.WorkingDirectory, "skagents.json"), optional: true, reloadOnChange: false);
        if (sources.ConfigFile is { } file)
        {
            var full = Path.GetFullPath(file);
            if (!File.Exists(full))
            {
                throw new FileNotFoundException($"The configuration file '{full}' does not exist.", full);
            }

            builder.AddJsonFile(full, optional: false, reloadOnChange: false);
        }

        if (sources.UserSecretsId is { } secretsId)
        {
            builder.AddUserSecrets(secretsId, reloadOnChange: false);
        }

        var environment = sources.Environment ?? ReadProcessEnvironment();
        // Standard double-underscore variables, restricted to our section so unrelated variables stay out.
        builder.AddInMemoryCollection(environment
            .Where(e => e.Key.StartsWith(SkAgentsOptions.SectionName + "__", StringComparison.OrdinalIgnoreCase))
            .Select(e => new KeyValuePair<string, string?>(e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value)));

        var shorthands = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (variable, key) in EnvironmentShorthands)
        {
            if (environment.TryGetValue(variable, out var value) && !string.IsNullOrEmpty(value))
            {
                shorthands[key] = value;
            }
        }

        builder.AddInMemoryCollection(shorthands);
        if (sources.Overrides is { Count: > 0 } overrides)
        {
            builder.AddInMemoryCollection(overrides.Where(o => o.Value is not null));
        }

        return builder;
    }

    private static Dictionary<string, string?> ReadProcessEnvironment()
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string;
        }

        return result;
    }
}
