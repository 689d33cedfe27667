using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SkAgents.Core.Tests;

/// <summary>
/// An IChatClient whose answers are scripted per call: each step sees the conversation and options it was sent and
/// returns a response. Records every call so tests can assert what the agent sent.
/// </summary>
internal sealed class ScriptedChatClient : IChatClient
{
    private readonly Queue<Func<IReadOnlyList<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>>> _steps = new();
    private readonly Lock _gate = new();

    public List<(List<ChatMessage> Messages, ChatOptions? Options)> Calls { get; } = [];

    public ChatClientMetadata Metadata { get; set; } = new("scripted", new Uri("http://127.0.0.1/"), "scripted-model");

    public ScriptedChatClient Then(Func<IReadOnlyList<ChatMessage>, ChatResponse> step)
    {
        _steps.Enqueue((m, _, _) => Task.FromResult(step(m)));
        return this;
    }

    public ScriptedChatClient Then(Func<IReadOnlyList<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>> step)
    {
        _steps.Enqueue(step);
        return this;
    }

    public ScriptedChatClient ThenText(string text, int inputTokens = 10, int outputTokens = 3) =>
        Then(_ => Response(new ChatMessage(ChatRole.Assistant, text), inputTokens, outputTokens));

    public ScriptedChatClient ThenCalls(params FunctionCallContent[] calls) =>
        Then(_ => Response(new ChatMessage(ChatRole.Assistant, [.. calls]), 10, 3, ChatFinishReason.ToolCalls));

    public static ChatResponse Response(ChatMessage message, int inputTokens = 10, int outputTokens = 3, ChatFinishReason? finish = null) =>
        new(message)
        {
            ModelId = "scripted-model",
            ResponseId = "resp-" + Guid.NewGuid().ToString("N")[..8],
            FinishReason = finish ?? ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens },
        };

    public static FunctionCallContent Call(string id, string name, object? arguments = null) =>
        new(id, name, arguments is null
            ? new Dictionary<string, object?>()
            : System.Text.Json.JsonSerializer.SerializeToElement(arguments).EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value));

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var snapshot = messages.ToList();
        Func<IReadOnlyList<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>> step;
        lock (_gate)
        {
            Calls.Add((snapshot, options));
            if (!_steps.TryDequeue(out step!))
            {
                throw new InvalidOperationException($"The script has no step for call {Calls.Count}.");
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return await step(snapshot, options, cancellationToken);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            // Split text into word-sized deltas, as a real stream would.
            var text = update.Contents.OfType<TextContent>().FirstOrDefault();
            if (text is not null && text.Text.Contains(' ', StringComparison.Ordinal))
            {
                foreach (var piece in SplitKeepingSpaces(text.Text))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await Task.Yield();
                    yield return new ChatResponseUpdate(ChatRole.Assistant, piece) { ResponseId = update.ResponseId, ModelId = update.ModelId, MessageId = update.MessageId };
                }

                var rest = update.Contents.Where(c => c is not TextContent).ToList();
                if (rest.Count > 0 || update.FinishReason is not null)
                {
                    yield return new ChatResponseUpdate(ChatRole.Assistant, rest) { ResponseId = update.ResponseId, ModelId = update.ModelId, FinishReason = update.FinishReason, MessageId = update.MessageId };
                }
            }
            else
            {
                yield return update;
            }
        }
    }

    private static IEnumerable<string> SplitKeepingSpaces(string text)
    {
        var start = 0;
        for (var i = 1; i < text.Length; i++)
        {
            if (text[i] == ' ')
            {
                yield return text[start..i];
                start = i;
            }
        }

        yield return text[start..];
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? Metadata :
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
