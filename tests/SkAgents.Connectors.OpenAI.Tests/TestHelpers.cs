using Microsoft.Extensions.AI;
using SkAgents.Connectors.OpenAI;
using SkAgents.Testing;

namespace SkAgents.Connectors.OpenAI.Tests;

internal static class TestHelpers
{
    public static OpenAICompatibleClientOptions OptionsFor(
        OpenAICompatibleServer server,
        string? apiKey = null,
        OpenAICompatibleProvider provider = OpenAICompatibleProvider.Other,
        int maxRetries = 3) => new()
        {
            Endpoint = server.BaseUri,
            ApiKey = apiKey,
            Model = server.Options.Model,
            EmbeddingModel = server.Options.EmbeddingModel,
            Provider = provider,
            MaxRetries = maxRetries,
            InitialRetryDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromSeconds(3),
            NetworkTimeout = TimeSpan.FromSeconds(30),
        };

    public static async Task<List<ChatResponseUpdate>> CollectAsync(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        var list = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in updates)
        {
            list.Add(update);
        }

        return list;
    }

    public static ChatMessage[] UserSays(string text) => [new ChatMessage(ChatRole.User, text)];
}
