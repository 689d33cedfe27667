using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Testing.Mastodon;
using SkAgents.Testing.Notion;

namespace SkAgents.Plugins.Mastodon.Tests;

/// <summary>Starts a fake Mastodon server on a virtual clock for each test.</summary>
public abstract class MastodonTestBase : IAsyncLifetime
{
    /// <summary>Gets the virtual clock shared by server and client.</summary>
    protected VirtualTimeProvider Time { get; } = new();

    /// <summary>Gets the server.</summary>
    protected FakeMastodonServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await FakeMastodonServer.StartAsync(Time);

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A client of the fake server.</summary>
    protected MastodonClient Client(string? token = FakeMastodonServer.WriteToken, int maxRetries = 3) =>
        new(new MastodonClientOptions { Instance = Server.BaseUrl, AccessToken = token, TimeProvider = Time, MaxRetries = maxRetries, Timeout = TimeSpan.FromSeconds(20) });

    /// <summary>Requests of one method whose path contains the text.</summary>
    protected IReadOnlyList<MastodonRecordedRequest> RequestsTo(string method, string pathContains) =>
        [.. Server.Requests.Where(r => r.Method == method && r.Path.Contains(pathContains, StringComparison.Ordinal))];
}

/// <summary>An IChatClient whose answers are scripted; records every call.</summary>
internal sealed class ScriptedChatClient : IChatClient
{
    private readonly Queue<Func<IReadOnlyList<ChatMessage>, ChatResponse>> _steps = new();

    public List<List<ChatMessage>> Calls { get; } = [];

    public ScriptedChatClient ThenText(string text)
    {
        _steps.Enqueue(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, text)));
        return this;
    }

    public ScriptedChatClient ThenCall(string tool, Dictionary<string, object?> arguments, string callId = "call_1")
    {
        _steps.Enqueue(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(callId, tool, arguments)])) { FinishReason = ChatFinishReason.ToolCalls });
        return this;
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        lock (Calls)
        {
            Calls.Add(list);
        }

        if (_steps.Count == 0)
        {
            throw new InvalidOperationException("The scripted chat client ran out of answers.");
        }

        return Task.FromResult(_steps.Dequeue()(list));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

/// <summary>A tiny service provider over a few instances.</summary>
internal sealed class Services(params object[] instances) : IServiceProvider
{
    public object? GetService(Type serviceType) => instances.FirstOrDefault(serviceType.IsInstanceOfType);
}

internal static class Json
{
    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
