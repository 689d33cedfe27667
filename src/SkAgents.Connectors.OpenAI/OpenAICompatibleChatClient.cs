using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using global::OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenAIChat = global::OpenAI.Chat;

namespace SkAgents.Connectors.OpenAI;

/// <summary>
/// An <see cref="IChatClient"/> for any OpenAI-compatible chat completions endpoint (OpenAI, Azure OpenAI v1, Ollama,
/// vLLM, TGI, LM Studio, llama.cpp server), built on the OpenAI SDK's <see cref="OpenAIChat.ChatClient"/>.
/// Failures surface as <see cref="ModelServiceException"/> subclasses; cancellation as <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class OpenAICompatibleChatClient : IChatClient
{
    private readonly OpenAICompatibleClientOptions _options;
    private readonly OpenAIClient _client;
    private readonly OpenAIChat.ChatClient _defaultChatClient;
    private readonly ConcurrentDictionary<string, OpenAIChat.ChatClient> _chatClients = new(StringComparer.Ordinal);
    private readonly HttpClientPipelineTransport? _ownedTransport;
    private readonly ChatClientMetadata _metadata;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="OpenAICompatibleChatClient"/> class.</summary>
    /// <param name="options">The settings; validated and copied, so later changes have no effect.</param>
    /// <param name="loggerFactory">Optional logger factory; retries are logged as warnings.</param>
    /// <exception cref="ModelConfigurationException">A setting is invalid, or <see cref="OpenAICompatibleClientOptions.Model"/> is missing.</exception>
    public OpenAICompatibleChatClient(OpenAICompatibleClientOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (string.IsNullOrWhiteSpace(options.Model))
        {
            throw new ModelConfigurationException(nameof(options.Model), "OpenAICompatibleClientOptions.Model is required for a chat client.");
        }

        _options = options.Clone();
        ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<OpenAICompatibleChatClient>();
        _client = OpenAIClientFactory.Create(_options, logger, out _ownedTransport);
        _defaultChatClient = _client.GetChatClient(_options.Model);
        _chatClients[_options.Model!] = _defaultChatClient;
        _metadata = new ChatClientMetadata(_options.ProviderName, _options.Endpoint, _options.Model);
    }

    /// <summary>Gets the endpoint this client talks to.</summary>
    public Uri Endpoint => _options.Endpoint;

    /// <summary>Gets the default chat model id.</summary>
    public string Model => _options.Model!;

    /// <summary>Gets the kind of server this client talks to.</summary>
    public OpenAICompatibleProvider Provider => _options.Provider;

    /// <summary>Gets the metadata describing this client.</summary>
    public ChatClientMetadata Metadata => _metadata;

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);

        (OpenAIChat.ChatClient client, List<OpenAIChat.ChatMessage> openAIMessages, OpenAIChat.ChatCompletionOptions completionOptions) =
            Prepare(messages, options);

        try
        {
            ClientResult<OpenAIChat.ChatCompletion> result = await client
                .CompleteChatAsync(openAIMessages, completionOptions, cancellationToken)
                .ConfigureAwait(false);
            return ChatMapping.ToChatResponse(result.Value);
        }
        catch (Exception ex) when (ModelErrorMapper.TryMap(ex, _options, streaming: false, cancellationToken, out Exception? mapped))
        {
            throw mapped;
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);

        (OpenAIChat.ChatClient client, List<OpenAIChat.ChatMessage> openAIMessages, OpenAIChat.ChatCompletionOptions completionOptions) =
            Prepare(messages, options);

        var toolCalls = new StreamingToolCallAccumulator();
        IAsyncEnumerator<OpenAIChat.StreamingChatCompletionUpdate> enumerator;
        try
        {
            enumerator = client
                .CompleteChatStreamingAsync(openAIMessages, completionOptions, cancellationToken)
                .GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception ex) when (ModelErrorMapper.TryMap(ex, _options, streaming: true, cancellationToken, out Exception? mapped))
        {
            throw mapped;
        }

        string? responseId = null;
        string? modelId = null;
        try
        {
            while (true)
            {
                // Events already buffered by the SSE reader must not outlive a cancellation.
                cancellationToken.ThrowIfCancellationRequested();
                ChatResponseUpdate update;
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    update = ChatMapping.ToUpdate(enumerator.Current, toolCalls);
                }
                catch (Exception ex) when (ModelErrorMapper.TryMap(ex, _options, streaming: true, cancellationToken, out Exception? mapped))
                {
                    throw mapped;
                }

                responseId ??= update.ResponseId;
                modelId ??= update.ModelId;
                yield return update;
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }

        // A server that ends the stream without a finish_reason still gets its tool calls delivered.
        if (toolCalls.HasPending)
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, [.. toolCalls.Complete()])
            {
                ResponseId = responseId,
                MessageId = responseId,
                ModelId = modelId,
                FinishReason = ChatFinishReason.ToolCalls,
            };
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return _metadata;
        }

        if (serviceType == typeof(OpenAIChat.ChatClient))
        {
            return _defaultChatClient;
        }

        if (serviceType == typeof(OpenAIClient))
        {
            return _client;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _ownedTransport?.Dispose();
        }
    }

    private (OpenAIChat.ChatClient Client, List<OpenAIChat.ChatMessage> Messages, OpenAIChat.ChatCompletionOptions Options) Prepare(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options)
    {
        OpenAIChat.ChatClient client = _defaultChatClient;
        if (options?.ModelId is { Length: > 0 } modelId && !string.Equals(modelId, _options.Model, StringComparison.Ordinal))
        {
            client = _chatClients.GetOrAdd(modelId, static (id, root) => root.GetChatClient(id), _client);
        }

        List<OpenAIChat.ChatMessage> openAIMessages = ChatMapping.ToOpenAIMessages(messages, options?.Instructions);
        if (openAIMessages.Count == 0)
        {
            throw new ArgumentException("At least one message with content is required.", nameof(messages));
        }

        OpenAIChat.ChatCompletionOptions completionOptions = ChatMapping.ToCompletionOptions(options, this, _options);
        return (client, openAIMessages, completionOptions);
    }
}
