using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using SkAgents.LocalModels.ChatFormats;
using SkAgents.LocalModels.Generation;
using SkAgents.Tokenizers;

namespace SkAgents.LocalModels;

/// <summary>
/// An <see cref="IChatClient"/> over a local decoder model: renders the conversation (and tools) in the model family's
/// chat format, generates token by token with true streaming, reads tool calls back as
/// <see cref="FunctionCallContent"/>, and reports usage and finish reasons. Requests run one at a time per client
/// (each holds a KV cache); concurrent callers wait their turn.
/// </summary>
public sealed class LocalChatClient : IChatClient
{
    private readonly IDecoderModel _model;
    private readonly Tokenizer _tokenizer;
    private readonly ChatFormat _format;
    private readonly LocalChatClientOptions _options;
    private readonly HashSet<int> _endTokens;
    private readonly string[] _textStops;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ChatClientMetadata _metadata;
    private int _disposed;

    /// <summary>Creates the client.</summary>
    /// <param name="model">The decoder.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="format">The model family's chat format.</param>
    /// <param name="options">Defaults and end tokens.</param>
    public LocalChatClient(IDecoderModel model, Tokenizer tokenizer, ChatFormat format, LocalChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(format);
        _model = model;
        _tokenizer = tokenizer;
        _format = format;
        _options = options ?? new LocalChatClientOptions();
        _options.DefaultSettings.Validate();

        // The format's stop markers that are single tokens end generation by id; the rest are matched as text.
        _endTokens = [.. _options.EndTokenIds];
        var textStops = new List<string>();
        foreach (var stop in format.StopSequences)
        {
            if (tokenizer.TokenToId(stop) is { } id)
            {
                _endTokens.Add(id);
            }
            else
            {
                textStops.Add(stop);
            }
        }

        _textStops = [.. textStops];
        _metadata = new ChatClientMetadata("onnxruntime", null, _options.ModelId);
    }

    /// <summary>Gets the chat format in use.</summary>
    public ChatFormat Format => _format;

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var run = new Generation(this, messages, options);
        await foreach (var _ in run.RunAsync(cancellationToken).ConfigureAwait(false))
        {
            // Non-streaming: the pieces are assembled from the final parse below.
        }

        var message = new ChatMessage(ChatRole.Assistant, run.Output!.ToContents()) { MessageId = run.ResponseId };
        return new ChatResponse(message)
        {
            ResponseId = run.ResponseId,
            ModelId = _options.ModelId,
            CreatedAt = run.CreatedAt,
            FinishReason = run.FinishReason,
            Usage = run.Usage,
        };
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        new Generation(this, messages, options).RunAsync(cancellationToken);

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType == typeof(ChatFormat) ? _format
            : serviceType.IsInstanceOfType(this) ? this
            : serviceType.IsInstanceOfType(_model) ? _model
            : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (_options.OwnsModel)
            {
                _model.Dispose();
            }

            _gate.Dispose();
        }
    }

    /// <summary>
    /// Gets the generation settings a request with <paramref name="options"/> uses: the defaults, overridden by the
    /// options (temperature/top-p/top-k turn sampling on; presence penalty maps to repetition penalty, as in Semantic
    /// Kernel's ONNX connector; <c>do_sample</c> and <c>repetition_penalty</c> may come as additional properties).
    /// </summary>
    /// <param name="options">The request's options.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public GenerationSettings CreateSettings(ChatOptions? options)
    {
        var settings = _options.DefaultSettings;
        if (options is null)
        {
            return settings;
        }

        var sampling = options.Temperature is > 0 || options.TopP is not null || options.TopK is not null;
        settings = settings with
        {
            DoSample = Read(options, "do_sample", settings.DoSample || sampling),
            Temperature = options.Temperature ?? settings.Temperature,
            TopP = options.TopP ?? settings.TopP,
            TopK = options.TopK ?? settings.TopK,
            MaxNewTokens = options.MaxOutputTokens ?? settings.MaxNewTokens,
            Seed = options.Seed ?? settings.Seed,
            RepetitionPenalty = options.PresencePenalty is { } presence ? Math.Max(0.01f, presence) : Read(options, "repetition_penalty", settings.RepetitionPenalty),
            StopSequences = [.. settings.StopSequences, .. options.StopSequences ?? []],
        };
        settings.Validate();
        return settings;
    }

    private static T Read<T>(ChatOptions options, string key, T fallback) =>
        options.AdditionalProperties?.TryGetValue(key, out var value) == true && value is not null
            ? (T)Convert.ChangeType(value is System.Text.Json.JsonElement e ? e.ToString() : value, typeof(T), System.Globalization.CultureInfo.InvariantCulture)
            : fallback;

    /// <summary>One request: renders, generates on a worker thread, and streams the visible text.</summary>
    private sealed class Generation
    {
        private readonly LocalChatClient _client;
        private readonly IEnumerable<ChatMessage> _messages;
        private readonly ChatOptions? _chatOptions;

        public Generation(LocalChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options)
        {
            ArgumentNullException.ThrowIfNull(messages);
            _client = client;
            _messages = messages;
            _chatOptions = options;
        }

        public string ResponseId { get; } = "local-" + Guid.NewGuid().ToString("N")[..16];

        public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

        public ChatFormatOutput? Output { get; private set; }

        public ChatFinishReason? FinishReason { get; private set; }

        public UsageDetails? Usage { get; private set; }

        public async IAsyncEnumerable<ChatResponseUpdate> RunAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_client._disposed != 0, _client);
            var settings = _client.CreateSettings(_chatOptions);
            var prompt = _client._format.Render(_messages, _chatOptions);
            var ids = _client._tokenizer.Encode(prompt);

            await _client._gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            // Cancelled when the caller stops listening, so the worker never outlives the request.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task<TokenGenerator>? worker = null;
            try
            {
                // The token loop runs on a worker thread (it is CPU-bound and synchronous); text comes back through a channel.
                var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
                var parser = _client._format.CreateOutputParser();
                var token = stop.Token;
                worker = Task.Run(() => Generate(ids, settings, parser, channel.Writer, token), token);

                await foreach (var text in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return new ChatResponseUpdate(ChatRole.Assistant, text)
                    {
                        ResponseId = ResponseId,
                        MessageId = ResponseId,
                        ModelId = _client._options.ModelId,
                        CreatedAt = CreatedAt,
                    };
                }

                var generator = await worker.ConfigureAwait(false);
                Output = parser.Complete();
                FinishReason = Output.Calls.Count > 0 ? ChatFinishReason.ToolCalls
                    : generator.StopReason is GenerationStopReason.MaxNewTokens or GenerationStopReason.MaxLength ? ChatFinishReason.Length
                    : ChatFinishReason.Stop;
                Usage = new UsageDetails
                {
                    InputTokenCount = generator.PromptTokens,
                    OutputTokenCount = generator.GeneratedTokens,
                    TotalTokenCount = generator.PromptTokens + generator.GeneratedTokens,
                };

                var final = new List<AIContent>();
                if (!string.IsNullOrWhiteSpace(Output.Reasoning))
                {
                    final.Add(new TextReasoningContent(Output.Reasoning));
                }

                final.AddRange(Output.Errors.Select(e => new ErrorContent(e)));
                final.AddRange(Output.Calls);
                final.Add(new UsageContent(Usage));
                yield return new ChatResponseUpdate(ChatRole.Assistant, final)
                {
                    ResponseId = ResponseId,
                    MessageId = ResponseId,
                    ModelId = _client._options.ModelId,
                    CreatedAt = CreatedAt,
                    FinishReason = FinishReason,
                };
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
                if (worker is not null)
                {
                    // Wait for the worker to let go of the model before the next request may start.
                    await worker.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
                }

                _client._gate.Release();
            }
        }

        private TokenGenerator Generate(IReadOnlyList<int> ids, GenerationSettings settings, ChatFormatOutputParser parser, ChannelWriter<string> writer, CancellationToken cancellationToken)
        {
            try
            {
                var maxLength = Math.Min(settings.MaxLength, _client._model.ContextLength);
                using var sequence = _client._model.StartSequence(maxLength);
                var generator = new TokenGenerator(sequence, ids, settings, _client._endTokens, _client._model.VocabularySize);
                var decoder = _client._tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);
                var stops = new StopSequenceMatcher([.. _client._textStops, .. settings.StopSequences]);
                while (generator.TryNext(out var token, cancellationToken))
                {
                    if (_client._endTokens.Contains(token))
                    {
                        break;
                    }

                    Publish(stops.Append(decoder.Append(token)));
                    if (stops.Stopped)
                    {
                        generator.StopOnSequence();
                        break;
                    }
                }

                if (!stops.Stopped)
                {
                    Publish(stops.Append(decoder.Flush()));
                    Publish(stops.Flush());
                }

                writer.Complete();
                return generator;
            }
            catch (Exception ex)
            {
                writer.Complete(ex);
                throw;
            }

            void Publish(string text)
            {
                var visible = parser.Append(text);
                if (visible.Length > 0)
                {
                    writer.TryWrite(visible);
                }
            }
        }
    }
}
