using Microsoft.Extensions.Logging;

namespace SkAgents.Plugins.Web.Search;

/// <summary>Creates the built-in providers by kind.</summary>
public static class WebSearchProviders
{
    /// <summary>Creates a provider.</summary>
    /// <param name="kind">Which service.</param>
    /// <param name="options">Its settings.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <returns>The provider (dispose it when done).</returns>
    /// <exception cref="WebSearchConfigurationException">A required key or endpoint is missing.</exception>
    public static WebSearchProviderBase Create(WebSearchProviderKind kind, WebSearchProviderOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return kind switch
        {
            WebSearchProviderKind.Brave => new BraveSearchProvider(options, loggerFactory?.CreateLogger<BraveSearchProvider>()),
            WebSearchProviderKind.Tavily => new TavilySearchProvider(options, logger: loggerFactory?.CreateLogger<TavilySearchProvider>()),
            WebSearchProviderKind.SearXNG => new SearXngSearchProvider(options, loggerFactory?.CreateLogger<SearXngSearchProvider>()),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown web search provider; use Brave, Tavily or SearXNG."),
        };
    }
}
