using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace SkAgents.Connectors.OpenAI;

/// <summary>
/// Settings for <see cref="OpenAICompatibleChatClient"/> and <see cref="OpenAICompatibleEmbeddingGenerator"/>:
/// one object configures both, for OpenAI, Azure OpenAI (v1 API), Ollama, vLLM, TGI, LM Studio and llama.cpp server.
/// </summary>
public sealed class OpenAICompatibleClientOptions
{
    /// <summary>The default endpoint, OpenAI's public API.</summary>
    public static readonly Uri DefaultEndpoint = new("https://api.openai.com/v1/");

    /// <summary>
    /// Gets or sets the base URI of the API, ending in the version segment: for example <c>https://api.openai.com/v1/</c>,
    /// <c>https://{resource}.openai.azure.com/openai/v1/</c> or <c>http://localhost:11434/v1/</c>.
    /// Requests go to <c>{Endpoint}chat/completions</c> and <c>{Endpoint}embeddings</c>.
    /// </summary>
    public Uri Endpoint { get; set; } = DefaultEndpoint;

    /// <summary>
    /// Gets or sets the API key. Optional: local servers need none, and then no authentication header is sent.
    /// It is sent as <c>Authorization: Bearer</c>, or as the <c>api-key</c> header for <see cref="OpenAICompatibleProvider.AzureOpenAI"/>.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the chat model id (the deployment name on Azure OpenAI). Required for chat clients.</summary>
    public string? Model { get; set; }

    /// <summary>Gets or sets the embedding model id (the deployment name on Azure OpenAI). Required for embedding generators.</summary>
    public string? EmbeddingModel { get; set; }

    /// <summary>Gets or sets the number of dimensions requested from the embedding model when a request does not say; <see langword="null"/> for the model's default.</summary>
    public int? EmbeddingDimensions { get; set; }

    /// <summary>Gets or sets the most inputs sent in one embeddings request; larger inputs are split into batches. Default 256.</summary>
    public int EmbeddingBatchSize { get; set; } = 256;

    /// <summary>Gets or sets the kind of server. Default <see cref="OpenAICompatibleProvider.OpenAI"/>.</summary>
    public OpenAICompatibleProvider Provider { get; set; } = OpenAICompatibleProvider.OpenAI;

    /// <summary>Gets or sets how long one HTTP try may take before it is abandoned. Default 100 seconds.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Gets or sets how many times a failed request (408, 429, 500, 502, 503, 504 or a transport error) is retried. Default 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Gets or sets the first backoff delay when the service gives no retry hint; it doubles on each retry (with jitter). Default 1 second.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets the longest delay between retries. Default 60 seconds. When the service asks for a longer wait
    /// (<c>retry-after-ms</c> / <c>Retry-After</c>), the client stops retrying and fails instead.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets or sets whether <see cref="ChatOptions.MaxOutputTokens"/> is sent as the older <c>max_tokens</c> field instead of
    /// <c>max_completion_tokens</c>. <see langword="null"/> (default) chooses by provider: <c>max_tokens</c> for everything
    /// but OpenAI and Azure OpenAI, since local servers (Ollama, TGI, llama.cpp, older vLLM) only honour that one.
    /// </summary>
    public bool? UseMaxTokensField { get; set; }

    /// <summary>Gets or sets an optional <see cref="System.Net.Http.HttpClient"/> to send requests with (for proxies, custom handlers, tests). It is not disposed by the clients.</summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>Gets the provider name reported in <see cref="ChatClientMetadata.ProviderName"/> and <see cref="EmbeddingGeneratorMetadata.ProviderName"/>.</summary>
    public string ProviderName => GetProviderName(Provider);

    /// <summary>Gets the provider name for a provider kind (for example <c>openai</c>, <c>azure.ai.openai</c>, <c>ollama</c>).</summary>
    /// <param name="provider">The provider.</param>
    /// <returns>The name.</returns>
    public static string GetProviderName(OpenAICompatibleProvider provider) => provider switch
    {
        OpenAICompatibleProvider.OpenAI => "openai",
        OpenAICompatibleProvider.AzureOpenAI => "azure.ai.openai",
        OpenAICompatibleProvider.Ollama => "ollama",
        OpenAICompatibleProvider.Vllm => "vllm",
        OpenAICompatibleProvider.Tgi => "tgi",
        OpenAICompatibleProvider.LmStudio => "lmstudio",
        OpenAICompatibleProvider.LlamaCpp => "llama.cpp",
        _ => "openai-compatible",
    };

    /// <summary>Checks every setting and throws a <see cref="ModelConfigurationException"/> naming the first bad one.</summary>
    /// <exception cref="ModelConfigurationException">A setting is invalid.</exception>
    public void Validate()
    {
        if (Endpoint is null)
        {
            throw Bad(nameof(Endpoint), "is required.");
        }

        if (!Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttp && Endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw Bad(nameof(Endpoint), $"must be an absolute http or https URI (was '{Endpoint.OriginalString}').");
        }

        if (!string.IsNullOrEmpty(Endpoint.Query) || !string.IsNullOrEmpty(Endpoint.Fragment))
        {
            throw Bad(nameof(Endpoint), "must not have a query string or fragment; give the API base, e.g. https://api.openai.com/v1/.");
        }

        if (ApiKey is not null)
        {
            if (string.IsNullOrWhiteSpace(ApiKey))
            {
                throw Bad(nameof(ApiKey), "is empty or white space; leave it null to send no key.");
            }

            if (ApiKey.AsSpan().IndexOfAny('\r', '\n') >= 0 || ApiKey.Trim().Length != ApiKey.Length)
            {
                throw Bad(nameof(ApiKey), "contains line breaks or leading/trailing white space.");
            }
        }

        if (Model is not null && string.IsNullOrWhiteSpace(Model))
        {
            throw Bad(nameof(Model), "is empty or white space.");
        }

        if (EmbeddingModel is not null && string.IsNullOrWhiteSpace(EmbeddingModel))
        {
            throw Bad(nameof(EmbeddingModel), "is empty or white space.");
        }

        if (EmbeddingDimensions is <= 0)
        {
            throw Bad(nameof(EmbeddingDimensions), $"must be positive (was {EmbeddingDimensions}).");
        }

        if (EmbeddingBatchSize is < 1 or > 2048)
        {
            throw Bad(nameof(EmbeddingBatchSize), $"must be between 1 and 2048 (was {EmbeddingBatchSize}).");
        }

        if (!Enum.IsDefined(Provider))
        {
            throw Bad(nameof(Provider), $"is not a known provider (was {(int)Provider}).");
        }

        if (NetworkTimeout <= TimeSpan.Zero && NetworkTimeout != Timeout.InfiniteTimeSpan)
        {
            throw Bad(nameof(NetworkTimeout), $"must be positive or Timeout.InfiniteTimeSpan (was {NetworkTimeout}).");
        }

        if (MaxRetries is < 0 or > 100)
        {
            throw Bad(nameof(MaxRetries), $"must be between 0 and 100 (was {MaxRetries}).");
        }

        if (InitialRetryDelay < TimeSpan.Zero)
        {
            throw Bad(nameof(InitialRetryDelay), $"must not be negative (was {InitialRetryDelay}).");
        }

        if (MaxRetryDelay < TimeSpan.Zero)
        {
            throw Bad(nameof(MaxRetryDelay), $"must not be negative (was {MaxRetryDelay}).");
        }

        if (MaxRetryDelay < InitialRetryDelay)
        {
            throw Bad(nameof(MaxRetryDelay), $"({MaxRetryDelay}) must not be shorter than InitialRetryDelay ({InitialRetryDelay}).");
        }
    }

    /// <summary>Returns a copy of these options (the <see cref="HttpClient"/> is shared, not copied).</summary>
    /// <returns>The copy.</returns>
    public OpenAICompatibleClientOptions Clone() => (OpenAICompatibleClientOptions)MemberwiseClone();

    /// <summary>Creates a chat client from these options (which are validated and copied).</summary>
    /// <param name="loggerFactory">Optional logger factory; retries are logged as warnings.</param>
    /// <returns>The chat client; dispose it when done.</returns>
    public OpenAICompatibleChatClient CreateChatClient(ILoggerFactory? loggerFactory = null) => new(this, loggerFactory);

    /// <summary>Creates an embedding generator from these options (which are validated and copied).</summary>
    /// <param name="loggerFactory">Optional logger factory; retries are logged as warnings.</param>
    /// <returns>The embedding generator; dispose it when done.</returns>
    public OpenAICompatibleEmbeddingGenerator CreateEmbeddingGenerator(ILoggerFactory? loggerFactory = null) => new(this, loggerFactory);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{ProviderName} at {SecretRedactor.DescribeEndpoint(Endpoint)} (model {Model ?? "-"}, embedding model {EmbeddingModel ?? "-"}, key {(ApiKey is null ? "none" : "[REDACTED]")})";

    internal bool SendMaxTokensField => UseMaxTokensField ?? Provider is not (OpenAICompatibleProvider.OpenAI or OpenAICompatibleProvider.AzureOpenAI);

    private static ModelConfigurationException Bad(string setting, string problem) =>
        new(setting, $"OpenAICompatibleClientOptions.{setting} {problem}");
}
