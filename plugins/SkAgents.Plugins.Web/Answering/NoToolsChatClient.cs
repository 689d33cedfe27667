using Microsoft.Extensions.AI;

namespace SkAgents.Plugins.Web.Answering;

/// <summary>
/// A chat client that sends every request without tools, whatever the caller's options say: the model that reads
/// untrusted web text can only answer with text, never call a tool.
/// </summary>
public sealed class NoToolsChatClient : DelegatingChatClient
{
    /// <summary>Wraps a chat client.</summary>
    /// <param name="innerClient">The client to call. Disposing the wrapper disposes it, so callers that lend a client should not dispose the wrapper.</param>
    public NoToolsChatClient(IChatClient innerClient)
        : base(innerClient)
    {
    }

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, WithoutTools(options), cancellationToken);

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, WithoutTools(options), cancellationToken);

    private static ChatOptions? WithoutTools(ChatOptions? options)
    {
        if (options is null)
        {
            return null;
        }

        var copy = options.Clone();
        copy.Tools = null;
        copy.ToolMode = null;
        copy.AllowMultipleToolCalls = null;
        return copy;
    }
}
