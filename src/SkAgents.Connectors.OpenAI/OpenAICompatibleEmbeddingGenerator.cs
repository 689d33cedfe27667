using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using global::OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenAIEmbeddings = global::OpenAI.Embeddings;

namespace SkAgents.Connectors.OpenAI;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> for any OpenAI-compatible embeddings endpoint,
/// built on the OpenAI SDK's <see cref="OpenAIEmbeddings.EmbeddingClient"/>. Large inputs are sent in batches of
/// <see cref="OpenAICompatibleClientOptions.EmbeddingBatchSize"/>; usage is summed over the batches.
/// </summary>
public sealed class OpenAICompatibleEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly OpenAICompatibleClientOptions _options;
    private readonly OpenAIClient _client;
    private readonly OpenAIEmbeddings.EmbeddingClient _defaultEmbeddingClient;
    private readonly ConcurrentDictionary<string, OpenAIEmbeddings.EmbeddingClient> _embeddingClients = new(StringComparer.Ordinal);
    private readonly HttpClientPipelineTransport? _ownedTransport;
    private readonly EmbeddingGeneratorMetadata _metadata;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="OpenAICompatibleEmbeddingGenerator"/> class.</summary>
    /// <param name="options">The settings; validated and copied, so later changes have no effect.</param>
    /// <param name="loggerFactory">Optional logger factory; retries are logged as warnings.</param>
    /// <exception cref="ModelConfigurationException">A setting is invalid, or <see cref="OpenAICompatibleClientOptions.EmbeddingModel"/> is missing.</exception>
    public OpenAICompatibleEmbeddingGenerator(OpenAICompatibleClientOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (string.IsNullOrWhiteSpace(options.EmbeddingModel))
        {
            throw new ModelConfigurationException(
                nameof(options.EmbeddingModel), "OpenAICompatibleClientOptions.EmbeddingModel is required for an embedding generator.");
        }

        _options = options.Clone();
        ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<OpenAICompatibleEmbeddingGenerator>();
        _client = OpenAIClientFactory.Create(_options, logger, out _ownedTransport);
        _defaultEmbeddingClient = _client.GetEmbeddingClient(_options.EmbeddingModel);
        _embeddingClients[_options.EmbeddingModel!] = _defaultEmbeddingClient;
        _metadata = new EmbeddingGeneratorMetadata(_options.ProviderName, _options.Endpoint, _options.EmbeddingModel, _options.EmbeddingDimensions);
    }

    /// <summary>Gets the endpoint this generator talks to.</summary>
    public Uri Endpoint => _options.Endpoint;

    /// <summary>Gets the default embedding model id.</summary>
    public string Model => _options.EmbeddingModel!;

    /// <summary>Gets the metadata describing this generator.</summary>
    public EmbeddingGeneratorMetadata Metadata => _metadata;

    /// <inheritdoc/>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);

        List<string> inputs = [.. values];
        var result = new GeneratedEmbeddings<Embedding<float>>(inputs.Count);
        if (inputs.Count == 0)
        {
            return result;
        }

        OpenAIEmbeddings.EmbeddingClient client = _defaultEmbeddingClient;
        if (options?.ModelId is { Length: > 0 } modelId && !string.Equals(modelId, _options.EmbeddingModel, StringComparison.Ordinal))
        {
            client = _embeddingClients.GetOrAdd(modelId, static (id, root) => root.GetEmbeddingClient(id), _client);
        }

        var requestOptions = options?.RawRepresentationFactory?.Invoke(this) as OpenAIEmbeddings.EmbeddingGenerationOptions
            ?? new OpenAIEmbeddings.EmbeddingGenerationOptions();
        requestOptions.Dimensions ??= options?.Dimensions ?? _options.EmbeddingDimensions;

        long inputTokens = 0;
        long totalTokens = 0;
        bool sawUsage = false;
        for (int start = 0; start < inputs.Count; start += _options.EmbeddingBatchSize)
        {
            List<string> batch = inputs.GetRange(start, Math.Min(_options.EmbeddingBatchSize, inputs.Count - start));
            try
            {
                ClientResult<OpenAIEmbeddings.OpenAIEmbeddingCollection> response = await client
                    .GenerateEmbeddingsAsync(batch, requestOptions, cancellationToken)
                    .ConfigureAwait(false);
                OpenAIEmbeddings.OpenAIEmbeddingCollection collection = response.Value;
                if (collection.Count != batch.Count)
                {
                    throw new ModelResponseFormatException(
                        $"The model service at {SecretRedactor.DescribeEndpoint(_options.Endpoint)} returned {collection.Count} embeddings for {batch.Count} inputs.",
                        new ModelServiceErrorDetails(_options.Endpoint),
                        null);
                }

                DateTimeOffset now = DateTimeOffset.UtcNow;
                foreach (OpenAIEmbeddings.OpenAIEmbedding item in collection.OrderBy(e => e.Index))
                {
                    result.Add(new Embedding<float>(item.ToFloats())
                    {
                        ModelId = collection.Model,
                        CreatedAt = now,
                    });
                }

                if (collection.Usage is { } usage)
                {
                    sawUsage = true;
                    inputTokens += usage.InputTokenCount;
                    totalTokens += usage.TotalTokenCount;
                }
            }
            catch (Exception ex) when (ModelErrorMapper.TryMap(ex, _options, streaming: false, cancellationToken, out Exception? mapped))
            {
                throw mapped;
            }
        }

        if (sawUsage)
        {
            result.Usage = new UsageDetails { InputTokenCount = inputTokens, TotalTokenCount = totalTokens };
        }

        return result;
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return _metadata;
        }

        if (serviceType == typeof(OpenAIEmbeddings.EmbeddingClient))
        {
            return _defaultEmbeddingClient;
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
}
