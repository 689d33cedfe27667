using System.ClientModel;
using System.ClientModel.Primitives;
using global::OpenAI;
using Microsoft.Extensions.Logging;

namespace SkAgents.Connectors.OpenAI;

/// <summary>Builds the SDK's <see cref="OpenAIClient"/> (one pipeline: auth, retry, timeout, transport) from options.</summary>
internal static class OpenAIClientFactory
{
    public static OpenAIClient Create(OpenAICompatibleClientOptions options, ILogger logger, out HttpClientPipelineTransport? ownedTransport)
    {
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = NormalizeEndpoint(options.Endpoint),
            NetworkTimeout = options.NetworkTimeout,
            RetryPolicy = new OpenAICompatibleRetryPolicy(options.MaxRetries, options.InitialRetryDelay, options.MaxRetryDelay, logger, options.ApiKey),
            UserAgentApplicationId = "SkAgents",
        };

        ownedTransport = null;
        if (options.HttpClient is not null)
        {
            ownedTransport = new HttpClientPipelineTransport(options.HttpClient);
            clientOptions.Transport = ownedTransport;
        }

        // The AuthenticationPolicy overload is marked experimental; it is the SDK's way to send no key (local servers) or a custom header (Azure).
#pragma warning disable OPENAI001
        return new OpenAIClient(CreateAuthenticationPolicy(options), clientOptions);
#pragma warning restore OPENAI001
    }

    public static AuthenticationPolicy CreateAuthenticationPolicy(OpenAICompatibleClientOptions options)
    {
        if (options.ApiKey is null)
        {
            return NoAuthenticationPolicy.Instance;
        }

        var credential = new ApiKeyCredential(options.ApiKey);
        return options.Provider == OpenAICompatibleProvider.AzureOpenAI
            ? ApiKeyAuthenticationPolicy.CreateHeaderApiKeyPolicy(credential, "api-key")
            : ApiKeyAuthenticationPolicy.CreateBearerAuthorizationPolicy(credential);
    }

    /// <summary>Ensures the endpoint ends with '/', so relative paths append after the version segment.</summary>
    public static Uri NormalizeEndpoint(Uri endpoint)
    {
        string text = endpoint.AbsoluteUri;
        return text.EndsWith('/') ? endpoint : new Uri(text + "/");
    }
}
