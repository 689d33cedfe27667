using Microsoft.Extensions.AI;
using SkAgents.Connectors.OpenAI;
using SkAgents.Testing;
using static SkAgents.Connectors.OpenAI.Tests.TestHelpers;

namespace SkAgents.Connectors.OpenAI.Tests;

public sealed class AuthenticationTests
{
    [Fact]
    public async Task Bearer_key_is_sent_in_Authorization_header()
    {
        await using var server = await OpenAICompatibleServer.StartAsync(new OpenAICompatibleServerOptions { RequiredApiKey = "sk-good-1234567890" });
        using var client = new OpenAICompatibleChatClient(OptionsFor(server, apiKey: "sk-good-1234567890", provider: OpenAICompatibleProvider.OpenAI));

        ChatResponse response = await client.GetResponseAsync(UserSays("hello"));

        Assert.Equal("Echo: hello", response.Text);
        RecordedRequest request = Assert.Single(server.Requests);
        Assert.Equal("Bearer sk-good-1234567890", request.Header("Authorization"));
        Assert.Null(request.Header("api-key"));
    }

    [Fact]
    public async Task Azure_provider_sends_api_key_header_on_the_v1_path()
    {
        await using var server = await OpenAICompatibleServer.StartAsync(new OpenAICompatibleServerOptions { RequiredApiKey = "azure-key-abcdef123456" });
        OpenAICompatibleClientOptions options = OptionsFor(server, apiKey: "azure-key-abcdef123456", provider: OpenAICompatibleProvider.AzureOpenAI);
        options.Endpoint = server.AzureBaseUri;
        server.Enqueue(ScriptedResponse.Text("from azure"));
        using var client = new OpenAICompatibleChatClient(options);

        ChatResponse response = await client.GetResponseAsync(UserSays("hi"));

        Assert.Equal("from azure", response.Text);
        RecordedRequest request = Assert.Single(server.Requests);
        Assert.Equal("/openai/v1/chat/completions", request.Path);
        Assert.Equal("azure-key-abcdef123456", request.Header("api-key"));
        Assert.Null(request.Header("Authorization"));
        Assert.Equal("azure.ai.openai", client.Metadata.ProviderName);
    }

    [Fact]
    public async Task No_key_sends_no_Authorization_header()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        using var client = new OpenAICompatibleChatClient(OptionsFor(server, apiKey: null, provider: OpenAICompatibleProvider.Ollama));

        await client.GetResponseAsync(UserSays("hi"));
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(UserSays("hi again")))
        {
            Assert.Equal(ChatRole.Assistant, update.Role);
        }

        Assert.Equal(2, server.Requests.Count);
        Assert.All(server.Requests, r =>
        {
            Assert.Null(r.Header("Authorization"));
            Assert.Null(r.Header("api-key"));
        });
    }

    [Fact]
    public async Task Missing_key_against_a_server_that_requires_one_is_an_authentication_error()
    {
        await using var server = await OpenAICompatibleServer.StartAsync(new OpenAICompatibleServerOptions { RequiredApiKey = "sk-needed-0000000" });
        using var client = new OpenAICompatibleChatClient(OptionsFor(server));

        var ex = await Assert.ThrowsAsync<ModelAuthenticationException>(() => client.GetResponseAsync(UserSays("x")));

        Assert.Contains("You didn't provide an API key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Custom_HttpClient_transport_is_used()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        using var handler = new HeaderAddingHandler { InnerHandler = new HttpClientHandler() };
        using var http = new HttpClient(handler);
        OpenAICompatibleClientOptions options = OptionsFor(server);
        options.HttpClient = http;
        using var client = new OpenAICompatibleChatClient(options);

        await client.GetResponseAsync(UserSays("x"));

        Assert.Equal("yes", Assert.Single(server.Requests).Header("x-custom-transport"));
    }

    private sealed class HeaderAddingHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Add("x-custom-transport", "yes");
            return base.SendAsync(request, cancellationToken);
        }
    }
}
