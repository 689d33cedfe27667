using Microsoft.Extensions.AI;
using SkAgents.LocalModels.GenAI;
using SkAgents.OnnxRuntime;
using SkAgents.Tokenizers;

namespace SkAgents.LocalModels.Embeddings;

/// <summary>
/// Sentence embeddings from a BERT-family ONNX export in a Hugging Face / sentence-transformers folder
/// (all-MiniLM-L6-v2, bge-small-en-v1.5, ...): <c>model.onnx</c> (or <c>onnx/model.onnx</c>), <c>tokenizer.json</c>,
/// and optionally <c>tokenizer_config.json</c>, <c>config.json</c>, <c>modules.json</c>, <c>1_Pooling/config.json</c> and
/// <c>sentence_bert_config.json</c>.
/// </summary>
/// <remarks>
/// <para>
/// Each text is tokenized with the folder's tokenizer (special tokens such as <c>[CLS]</c>/<c>[SEP]</c> added), truncated
/// to <see cref="MaxSequenceLength"/>, batched with texts of similar length (<see cref="BatchSize"/> per run, padded on
/// the right with attention mask 0), run through the model, pooled (<see cref="Pooling"/>) and, when
/// <see cref="Normalize"/>, scaled to unit length — the same steps as sentence-transformers' <c>encode</c>.
/// </para>
/// <para>
/// Thread-safe: any number of <see cref="GenerateAsync"/> calls may run at once (ONNX Runtime parallelizes each run
/// internally, too). The work runs synchronously on the calling thread; the returned task is already complete.
/// </para>
/// </remarks>
public sealed class OnnxEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The provider name reported in <see cref="Metadata"/>.</summary>
    public const string ProviderName = "onnxruntime";

    private static readonly string[] PreferredOutputs = ["sentence_embedding", "last_hidden_state", "token_embeddings"];

    private readonly InferenceSession _session;
    private readonly Tokenizer _tokenizer;
    private readonly EmbeddingModelRunner _runner;
    private readonly bool _pooledOutput;
    private int _disposed;

    private OnnxEmbeddingGenerator(
        string folder,
        string modelPath,
        string modelId,
        InferenceSession session,
        Tokenizer tokenizer,
        EmbeddingModelRunner runner,
        string outputName,
        bool pooledOutput,
        int hiddenSize,
        PoolingModes pooling,
        PoolingSource poolingSource,
        bool normalize,
        int maxSequenceLength,
        int batchSize)
    {
        ModelFolder = folder;
        ModelPath = modelPath;
        ModelId = modelId;
        _session = session;
        _tokenizer = tokenizer;
        _runner = runner;
        OutputName = outputName;
        _pooledOutput = pooledOutput;
        HiddenSize = hiddenSize;
        Pooling = pooling;
        PoolingSource = poolingSource;
        Normalize = normalize;
        MaxSequenceLength = maxSequenceLength;
        BatchSize = batchSize;
        Dimensions = pooledOutput ? hiddenSize : hiddenSize * EmbeddingMath.Multiplier(pooling);
        Metadata = new EmbeddingGeneratorMetadata(ProviderName, new Uri(folder, UriKind.Absolute), modelId, Dimensions);
    }

    /// <summary>Gets the metadata: provider "onnxruntime", the folder as URI, the model id and the dimensions.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>Gets the full path of the model folder.</summary>
    public string ModelFolder { get; }

    /// <summary>Gets the full path of the ONNX file.</summary>
    public string ModelPath { get; }

    /// <summary>Gets the model id (the folder name unless <see cref="OnnxEmbeddingOptions.ModelId"/> was set).</summary>
    public string ModelId { get; }

    /// <summary>Gets the length of the embeddings.</summary>
    public int Dimensions { get; }

    /// <summary>Gets the size of the vectors the model outputs (per token, or per text for a pooled output).</summary>
    public int HiddenSize { get; }

    /// <summary>Gets the pooling applied to token vectors (<see cref="PoolingModes.None"/> when the model output is already pooled).</summary>
    public PoolingModes Pooling { get; }

    /// <summary>Gets where <see cref="Pooling"/> came from; <see cref="PoolingSource.Default"/> means the folder has no pooling config and mean pooling was assumed.</summary>
    public PoolingSource PoolingSource { get; }

    /// <summary>Gets whether embeddings are scaled to unit L2 length.</summary>
    public bool Normalize { get; }

    /// <summary>Gets the most tokens per text (special tokens included); longer texts are truncated.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Gets the number of texts per model run.</summary>
    public int BatchSize { get; }

    /// <summary>Gets the model output that is read.</summary>
    public string OutputName { get; }

    /// <summary>Gets the model inputs that are fed, in model order.</summary>
    public IReadOnlyList<string> InputNames => _runner.InputNames;

    /// <summary>Gets the tokenizer.</summary>
    public Tokenizer Tokenizer => _tokenizer;

    /// <summary>Loads an embedding model folder.</summary>
    /// <param name="folder">The folder (a Hugging Face snapshot of a sentence-transformers model with an ONNX export).</param>
    /// <param name="options">Overrides; null for what the folder says.</param>
    /// <returns>The generator (dispose it to release the ONNX session).</returns>
    /// <exception cref="ModelFolderException">
    /// The folder, the ONNX file or <c>tokenizer.json</c> is missing; a config file is malformed; the model's inputs or
    /// outputs are not those of a BERT-style encoder; or the pipeline needs a module this class cannot run (e.g. Dense).
    /// </exception>
    public static OnnxEmbeddingGenerator Load(string folder, OnnxEmbeddingOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        options ??= new OnnxEmbeddingOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options));
        if (options.MaxSequenceLength is { } requestedMax)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(requestedMax, 1, nameof(options));
        }

        if (options.Pooling is { } requestedPooling && (requestedPooling == PoolingModes.None || (requestedPooling & ~AllPoolingModes) != 0))
        {
            throw new ArgumentException($"Pooling {requestedPooling} is not a valid combination of pooling modes.", nameof(options));
        }

        string fullFolder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (!Directory.Exists(fullFolder))
        {
            throw new ModelFolderException($"The embedding model folder '{fullFolder}' does not exist.");
        }

        string modelPath = FindModel(fullFolder, options.ModelFile);
        var tokenizer = LoadTokenizer(fullFolder);
        var config = EmbeddingFolderConfig.Read(fullFolder);

        InferenceSession session;
        try
        {
            session = new InferenceSession(modelPath, options.SessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelFolderException($"'{modelPath}' could not be loaded by ONNX Runtime: {ex.Message}", ex);
        }

        try
        {
            return Create(fullFolder, modelPath, session, tokenizer, config, options);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Embeds texts, returning one embedding per text in the same order.</summary>
    /// <param name="values">The texts.</param>
    /// <param name="options">
    /// Optional; <see cref="EmbeddingGenerationOptions.Dimensions"/> (at most <see cref="Dimensions"/>) keeps only the first
    /// dimensions (Matryoshka-style; renormalized when <see cref="Normalize"/>). The model id cannot be changed.
    /// </param>
    /// <param name="cancellationToken">Cancels between batches and terminates a model run in progress.</param>
    /// <returns>The embeddings, with <see cref="UsageDetails.InputTokenCount"/> = tokens fed (special tokens included).</returns>
    /// <exception cref="OperationCanceledException">The token was canceled.</exception>
    /// <exception cref="ObjectDisposedException">The generator was disposed.</exception>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int dimensions = options?.Dimensions ?? Dimensions;
        if (dimensions < 1 || dimensions > Dimensions)
        {
            throw new ArgumentException($"{dimensions} dimensions requested; this model produces {Dimensions} (ask for 1 to {Dimensions}).", nameof(options));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<GeneratedEmbeddings<Embedding<float>>>(cancellationToken);
        }

        try
        {
            return Task.FromResult(Generate(values, dimensions, cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<GeneratedEmbeddings<Embedding<float>>>(cancellationToken);
        }
        catch (Exception ex) when (ex is not ArgumentException)
        {
            // Failures while running surface through the task, as they would from a truly asynchronous method.
            return Task.FromException<GeneratedEmbeddings<Embedding<float>>>(ex);
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
            : serviceType.IsInstanceOfType(this) ? this
            : serviceType == typeof(Tokenizer) ? _tokenizer
            : serviceType == typeof(InferenceSession) ? _session
            : null;
    }

    /// <summary>Releases the ONNX session. Calls after disposal throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _session.Dispose();
        }
    }

    private const PoolingModes AllPoolingModes = PoolingModes.Cls | PoolingModes.Max | PoolingModes.Mean | PoolingModes.MeanSqrtLength | PoolingModes.WeightedMean | PoolingModes.LastToken;

    private GeneratedEmbeddings<Embedding<float>> Generate(IEnumerable<string> values, int dimensions, CancellationToken cancellationToken)
    {
        var texts = values as IReadOnlyList<string> ?? [.. values];
        var encodings = new IReadOnlyList<int>[texts.Count];
        long tokenCount = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            var text = texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(values));
            encodings[i] = _tokenizer.EncodeTruncated(text, MaxSequenceLength, addSpecialTokens: true);
            tokenCount += encodings[i].Count;
        }

        // Longest first, like sentence-transformers: batches of similar lengths waste little on padding.
        var order = new int[texts.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => encodings[a].Count != encodings[b].Count ? encodings[b].Count.CompareTo(encodings[a].Count) : a.CompareTo(b));

        var vectors = new float[texts.Count][];
        for (int start = 0; start < order.Length; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var rows = order.AsSpan(start, Math.Min(BatchSize, order.Length - start));
            using var outputs = _runner.Run(encodings, rows, out int batch, out int sequence, cancellationToken);
            ReadBatch(outputs[0], encodings, rows, batch, sequence, dimensions, vectors);
        }

        var created = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count)
        {
            Usage = new UsageDetails { InputTokenCount = tokenCount, TotalTokenCount = tokenCount },
        };
        foreach (var vector in vectors)
        {
            result.Add(new Embedding<float>(vector) { ModelId = ModelId, CreatedAt = created });
        }

        return result;
    }

    private void ReadBatch(OrtValue output, IReadOnlyList<int>[] encodings, ReadOnlySpan<int> rows, int batch, int sequence, int dimensions, float[][] vectors)
    {
        if (!output.IsTensor || output.ElementType != TensorElementType.Float)
        {
            throw new ModelFolderException($"{ModelPath}: output '{OutputName}' is not a float tensor.");
        }

        var shape = output.Shape;
        bool ok = _pooledOutput
            ? shape.Length == 2 && shape[0] == batch && shape[1] == HiddenSize
            : shape.Length == 3 && shape[0] == batch && shape[1] == sequence && shape[2] == HiddenSize;
        if (!ok)
        {
            string expected = _pooledOutput ? $"[{batch},{HiddenSize}]" : $"[{batch},{sequence},{HiddenSize}]";
            throw new ModelFolderException($"{ModelPath}: output '{OutputName}' has shape [{string.Join(",", shape.ToArray())}], expected {expected}.");
        }

        var data = output.GetTensorSpan<float>();
        Span<float> full = Dimensions <= 1024 ? stackalloc float[Dimensions] : new float[Dimensions];
        for (int r = 0; r < rows.Length; r++)
        {
            if (_pooledOutput)
            {
                data.Slice(r * HiddenSize, HiddenSize).CopyTo(full);
            }
            else
            {
                int length = Math.Min(encodings[rows[r]].Count, sequence);
                EmbeddingMath.Pool(data.Slice(r * sequence * HiddenSize, sequence * HiddenSize), HiddenSize, length, Pooling, full);
            }

            var vector = full[..dimensions].ToArray();
            if (Normalize)
            {
                EmbeddingMath.Normalize(vector);
            }

            vectors[rows[r]] = vector;
        }
    }

    private static OnnxEmbeddingGenerator Create(string folder, string modelPath, InferenceSession session, Tokenizer tokenizer, EmbeddingFolderConfig config, OnnxEmbeddingOptions options)
    {
        var output = SelectOutput(session, options.OutputName, modelPath);
        long padId = tokenizer.SpecialTokens.PadTokenId ?? tokenizer.TokenToId("[PAD]") ?? 0;
        var runner = new EmbeddingModelRunner(session, output.Name, padId, modelPath);

        int maxLength = options.MaxSequenceLength
            ?? config.MaxSeqLength
            ?? MinOf(tokenizer.ModelMaxLength, config.MaxPositionEmbeddings)
            ?? 512;
        if (runner.FixedSequence is { } fixedSequence)
        {
            maxLength = Math.Min(maxLength, fixedSequence);
        }

        // Rank and hidden size from the graph when it declares them; otherwise ask the model itself.
        int rank = output.Shape.Count;
        int hidden = rank is 2 or 3 && output.Shape[rank - 1] > 0 ? checked((int)output.Shape[rank - 1]) : -1;
        if (rank is not (0 or 2 or 3))
        {
            throw new ModelFolderException($"{modelPath}: output '{output}' has rank {rank}; expected [batch, sequence, hidden] token vectors or [batch, hidden] sentence vectors.");
        }

        if (rank == 0 || hidden < 0)
        {
            (rank, hidden) = Probe(runner, tokenizer, maxLength, output.Name, modelPath);
        }

        bool pooledOutput = rank == 2;
        PoolingModes pooling;
        PoolingSource source;
        if (pooledOutput)
        {
            (pooling, source) = (PoolingModes.None, PoolingSource.ModelOutput);
        }
        else
        {
            if (config.UnsupportedModules.Count > 0)
            {
                throw new ModelFolderException(
                    $"{Path.Combine(folder, EmbeddingFolderConfig.ModulesFile)} lists modules that cannot be run here: {string.Join(", ", config.UnsupportedModules)}. " +
                    "Only Transformer, Pooling and Normalize are supported unless the ONNX model outputs the finished sentence_embedding.");
            }

            (pooling, source) = options.Pooling is { } p ? (p, PoolingSource.Options)
                : config.Pooling is { } c ? (c, PoolingSource.PoolingConfig)
                : (PoolingModes.Mean, PoolingSource.Default);
            if (config.PoolingWordDimension is { } word && word != hidden)
            {
                throw new ModelFolderException($"{config.PoolingConfigPath}: word_embedding_dimension is {word} but the model's '{output.Name}' has {hidden} values per token.");
            }
        }

        string modelId = options.ModelId ?? Path.GetFileName(folder);
        int batchSize = runner.FixedBatch ?? options.BatchSize;
        return new OnnxEmbeddingGenerator(
            folder, modelPath, modelId, session, tokenizer, runner, output.Name, pooledOutput, hidden,
            pooling, source, options.Normalize ?? config.HasNormalizeModule, maxLength, batchSize);
    }

    private static (int Rank, int Hidden) Probe(EmbeddingModelRunner runner, Tokenizer tokenizer, int maxLength, string outputName, string modelPath)
    {
        IReadOnlyList<int>[] encodings = [tokenizer.EncodeTruncated("a", maxLength, addSpecialTokens: true)];
        try
        {
            using var outputs = runner.Run(encodings, [0], out int batch, out int sequence, CancellationToken.None);
            var shape = outputs[0].Shape;
            bool tokens = shape.Length == 3 && shape[0] == batch && shape[1] == sequence;
            bool pooled = shape.Length == 2 && shape[0] == batch;
            if ((!tokens && !pooled) || shape[^1] <= 0 || !outputs[0].IsTensor || outputs[0].ElementType != TensorElementType.Float)
            {
                throw new ModelFolderException(
                    $"{modelPath}: output '{outputName}' came back as {outputs[0].ElementType}[{string.Join(",", shape.ToArray())}] for a batch of {batch}x{sequence} tokens; expected float [batch, sequence, hidden] or [batch, hidden].");
            }

            return (shape.Length, checked((int)shape[^1]));
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelFolderException($"{modelPath}: a trial run failed: {ex.Message}", ex);
        }
    }

    private static NodeMetadata SelectOutput(InferenceSession session, string? requested, string modelPath)
    {
        var outputs = session.OutputMetadata;
        NodeMetadata? selected = null;
        if (requested is not null)
        {
            selected = outputs.FirstOrDefault(o => o.Name == requested)
                ?? throw new ModelFolderException($"{modelPath}: the model has no output '{requested}' (outputs: {string.Join(", ", outputs)}).");
        }
        else
        {
            foreach (string name in PreferredOutputs)
            {
                selected ??= outputs.FirstOrDefault(o => o.Name == name);
            }

            if (selected is null && outputs.Count == 1)
            {
                selected = outputs[0];
            }

            if (selected is null)
            {
                throw new ModelFolderException(
                    $"{modelPath}: cannot tell which output holds the embeddings (outputs: {string.Join(", ", outputs)}); expected one of {string.Join(", ", PreferredOutputs)}, or set {nameof(OnnxEmbeddingOptions)}.{nameof(OnnxEmbeddingOptions.OutputName)}.");
            }
        }

        if (!selected.IsTensor || selected.ElementType != TensorElementType.Float)
        {
            throw new ModelFolderException($"{modelPath}: output '{selected}' is not a float32 tensor; only float32 outputs are supported.");
        }

        return selected;
    }

    private static string FindModel(string folder, string? requested)
    {
        if (requested is not null)
        {
            string path = Path.GetFullPath(Path.Combine(folder, requested));
            return File.Exists(path) ? path : throw new ModelFolderException($"The ONNX model '{path}' does not exist.");
        }

        string root = Path.Combine(folder, "model.onnx");
        string nested = Path.Combine(folder, "onnx", "model.onnx");
        if (File.Exists(root))
        {
            return root;
        }

        if (File.Exists(nested))
        {
            return nested;
        }

        var others = Directory.EnumerateFiles(folder, "*.onnx")
            .Concat(Directory.Exists(Path.Combine(folder, "onnx")) ? Directory.EnumerateFiles(Path.Combine(folder, "onnx"), "*.onnx") : [])
            .Select(p => Path.GetRelativePath(folder, p))
            .Order(StringComparer.Ordinal)
            .ToList();
        string hint = others.Count == 0 ? string.Empty : $" It has {string.Join(", ", others)}: choose one with {nameof(OnnxEmbeddingOptions)}.{nameof(OnnxEmbeddingOptions.ModelFile)}.";
        throw new ModelFolderException($"The embedding model folder '{folder}' has no model.onnx or onnx/model.onnx.{hint}");
    }

    private static Tokenizer LoadTokenizer(string folder)
    {
        string path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path))
        {
            throw new ModelFolderException($"The embedding model folder '{folder}' has no tokenizer.json.");
        }

        try
        {
            return Tokenizer.FromDirectory(folder);
        }
        catch (TokenizerException ex)
        {
            throw new ModelFolderException($"The tokenizer in '{folder}' could not be loaded: {ex.Message}", ex);
        }
    }

    private static int? MinOf(int? a, int? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
