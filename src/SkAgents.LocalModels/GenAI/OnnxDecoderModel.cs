using System.Runtime.InteropServices;
using System.Globalization;
using SkAgents.LocalModels.Generation;
using SkAgents.OnnxRuntime;

namespace SkAgents.LocalModels.GenAI;

/// <summary>
/// The decoder of an onnxruntime-genai model folder, run in process on ONNX Runtime (CPU). Loading reads
/// genai_config.json, creates the session and checks the config against the session's real inputs and outputs.
/// Sequences keep their own KV cache (<see cref="GenAI.KvCacheMode"/>).
/// </summary>
/// <remarks>
/// Thread-safe: one model may serve several sequences on several threads at once (ONNX Runtime allows concurrent runs
/// on one session); each sequence is used by one thread at a time. Disposing the model and its sequences is safe in any
/// order; a sequence of a disposed model throws <see cref="ObjectDisposedException"/>.
/// </remarks>
public sealed class OnnxDecoderModel : IDecoderModel
{
    /// <summary>The largest default maximum length (the KV cache of a shared-buffer sequence is sized by it).</summary>
    public const int DefaultMaxLengthCap = 4096;

    private readonly InferenceSession _session;
    private readonly Lock _maskLock = new();
    private OrtValue[] _maskViews = [];
    private long[] _ones = [];
    private volatile bool _disposed;

    // One reusable native buffer for prompt logits [1, S, V]: allocating (and zeroing) hundreds of megabytes per prompt
    // costs more in page faults than the copy it saves. Rented by one prefill at a time; others allocate their own.
    private readonly Lock _promptLogitsLock = new();
    private nint _promptLogits;
    private long _promptLogitsBytes;
    private bool _promptLogitsRented;

    private OnnxDecoderModel(string folder, string decoderPath, GenAIConfig config, InferenceSession session, OnnxDecoderOptions options, int vocabularySize, KvCacheMode mode)
    {
        ModelFolder = folder;
        DecoderPath = decoderPath;
        Config = config;
        _session = session;
        Options = options;
        VocabularySize = vocabularySize;
        KvCacheMode = mode;
        var decoder = config.Model.Decoder;
        NumLayers = decoder.NumHiddenLayers;
        NumKeyValueHeads = decoder.NumKeyValueHeads;
        HeadSize = decoder.HeadSize;
        ContextLength = config.Model.ContextLength;
        var inputs = decoder.Inputs;
        var outputs = decoder.Outputs;
        InputIdsName = inputs.InputIds;
        AttentionMaskName = session.GetInputIndex(inputs.AttentionMask) >= 0 ? inputs.AttentionMask : null;
        PositionIdsName = session.GetInputIndex(inputs.PositionIds) >= 0 ? inputs.PositionIds : null;
        LogitsName = outputs.Logits;
        PastKeyNames = LayerNames(inputs.PastKeyNames, NumLayers);
        PastValueNames = LayerNames(inputs.PastValueNames, NumLayers);
        PresentKeyNames = LayerNames(outputs.PresentKeyNames, NumLayers);
        PresentValueNames = LayerNames(outputs.PresentValueNames, NumLayers);
        int searchMax = config.Search.MaxLength > 0 ? config.Search.MaxLength : ContextLength;
        DefaultMaxLength = Math.Max(1, Math.Min(options.DefaultMaxLength ?? Math.Min(searchMax, DefaultMaxLengthCap), ContextLength));
        EosTokenIds = config.Model.EosTokenIds;
    }

    /// <summary>Gets the model folder.</summary>
    public string ModelFolder { get; }

    /// <summary>Gets the full path of the decoder's .onnx file.</summary>
    public string DecoderPath { get; }

    /// <summary>Gets the parsed genai_config.json.</summary>
    public GenAIConfig Config { get; }

    /// <inheritdoc />
    public int VocabularySize { get; }

    /// <inheritdoc />
    public int ContextLength { get; }

    /// <summary>Gets the maximum length <see cref="StartSequence()"/> uses (never the full context of long-context models).</summary>
    public int DefaultMaxLength { get; }

    /// <summary>Gets the KV-cache mode sequences use (never <see cref="GenAI.KvCacheMode.Auto"/>).</summary>
    public KvCacheMode KvCacheMode { get; }

    /// <summary>Gets the number of layers (KV pairs).</summary>
    public int NumLayers { get; }

    /// <summary>Gets the number of key/value heads.</summary>
    public int NumKeyValueHeads { get; }

    /// <summary>Gets the size of one attention head.</summary>
    public int HeadSize { get; }

    /// <summary>Gets whether the decoder has a <c>position_ids</c> input (fed with absolute positions).</summary>
    public bool HasPositionIds => PositionIdsName is not null;

    /// <summary>Gets whether the decoder has an <c>attention_mask</c> input.</summary>
    public bool HasAttentionMask => AttentionMaskName is not null;

    /// <summary>Gets the end-of-sequence token ids of genai_config.json.</summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    internal OnnxDecoderOptions Options { get; }

    internal InferenceSession Session => _session;

    internal bool IsDisposed => _disposed;

    internal string InputIdsName { get; }

    internal string? AttentionMaskName { get; }

    internal string? PositionIdsName { get; }

    internal string LogitsName { get; }

    internal string[] PastKeyNames { get; }

    internal string[] PastValueNames { get; }

    internal string[] PresentKeyNames { get; }

    internal string[] PresentValueNames { get; }

    /// <summary>Loads the decoder of an onnxruntime-genai model folder.</summary>
    /// <param name="modelFolder">The folder holding genai_config.json and the decoder's .onnx file.</param>
    /// <param name="options">Session and cache options; null for defaults.</param>
    /// <returns>The model; dispose it to release the session.</returns>
    /// <exception cref="ModelFolderException">
    /// The folder, config or decoder file is missing or malformed, or the config does not match the session (the message
    /// names the mismatch).
    /// </exception>
    public static OnnxDecoderModel Load(string modelFolder, OnnxDecoderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFolder);
        options ??= new OnnxDecoderOptions();
        string folder = Path.GetFullPath(modelFolder);
        if (!Directory.Exists(folder))
        {
            throw new ModelFolderException($"The model folder '{folder}' does not exist.");
        }

        var config = GenAIConfig.Load(Path.Combine(folder, GenAIConfig.FileName));
        string decoderPath = Path.GetFullPath(Path.Combine(folder, config.Model.Decoder.Filename));
        if (!File.Exists(decoderPath))
        {
            throw new ModelFolderException(
                $"The decoder file '{config.Model.Decoder.Filename}' named by model.decoder.filename of {GenAIConfig.FileName} is missing (looked for '{decoderPath}').");
        }

        var sessionOptions = CreateSessionOptions(config.Model.Decoder.SessionOptions, options);
        InferenceSession session;
        try
        {
            session = new InferenceSession(decoderPath, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelFolderException($"ONNX Runtime could not load the decoder '{decoderPath}': {ex.Message}", ex);
        }

        try
        {
            int vocabulary = Validate(config, session, decoderPath);
            var mode = options.KvCacheMode switch
            {
                KvCacheMode.Auto => config.Search.PastPresentShareBuffer ? KvCacheMode.SharedBuffer : KvCacheMode.Growing,
                var explicitMode => explicitMode,
            };
            return new OnnxDecoderModel(folder, decoderPath, config, session, options, vocabulary, mode);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Estimates the bytes of one sequence's KV cache (float32 keys and values of every layer).</summary>
    /// <param name="maxLength">The sequence length.</param>
    /// <returns>2 · layers · kv_heads · head_size · maxLength · 4 bytes.</returns>
    public long KvCacheBytes(int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        return 2L * NumLayers * NumKeyValueHeads * HeadSize * maxLength * sizeof(float);
    }

    /// <summary>Gets the decoder session's inputs, as ONNX Runtime reports them.</summary>
    public IReadOnlyList<NodeMetadata> Inputs => _session.InputMetadata;

    /// <summary>Gets the decoder session's outputs, as ONNX Runtime reports them.</summary>
    public IReadOnlyList<NodeMetadata> Outputs => _session.OutputMetadata;

    /// <summary>Starts a sequence of at most <see cref="DefaultMaxLength"/> tokens.</summary>
    /// <returns>The sequence; dispose it to free its cache.</returns>
    public IDecoderSequence StartSequence() => StartSequence(DefaultMaxLength);

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is below 1 or above <see cref="ContextLength"/>.</exception>
    public IDecoderSequence StartSequence(int maxLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        if (maxLength > ContextLength)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"The maximum length exceeds the model's context length of {ContextLength} tokens.");
        }

        if (AttentionMaskName is not null)
        {
            EnsureMaskViews(maxLength);
        }

        return new OnnxDecoderSequence(this, maxLength);
    }

    /// <summary>Rents the shared prompt-logits buffer, growing it to <paramref name="bytes"/>; false when another prefill holds it.</summary>
    internal bool TryRentPromptLogits(long bytes, out nint buffer)
    {
        lock (_promptLogitsLock)
        {
            buffer = 0;
            if (_promptLogitsRented || _disposed)
            {
                return false;
            }

            if (_promptLogitsBytes < bytes)
            {
                // Not cleared: ORT writes every element of the logits output.
                Marshal.FreeHGlobal(_promptLogits);
                _promptLogits = 0;
                _promptLogitsBytes = 0;
                _promptLogits = Marshal.AllocHGlobal((nint)bytes);
                _promptLogitsBytes = bytes;
            }

            _promptLogitsRented = true;
            buffer = _promptLogits;
            return true;
        }
    }

    /// <summary>Returns the buffer rented with <see cref="TryRentPromptLogits"/>.</summary>
    internal void ReturnPromptLogits()
    {
        lock (_promptLogitsLock)
        {
            _promptLogitsRented = false;
            if (_disposed)
            {
                Marshal.FreeHGlobal(_promptLogits);
                _promptLogits = 0;
                _promptLogitsBytes = 0;
            }
        }
    }

    /// <summary>The cached all-ones attention mask view <c>[1, length]</c> (read-only, shared by all sequences).</summary>
    internal OrtValue MaskView(int length)
    {
        var views = _maskViews;
        return (uint)length < (uint)views.Length && views[length] is { } view ? view : ThrowNoView(length);

        static OrtValue ThrowNoView(int length) => throw new InvalidOperationException($"No attention mask view of length {length}.");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _session.Dispose();
        lock (_promptLogitsLock)
        {
            if (!_promptLogitsRented)
            {
                Marshal.FreeHGlobal(_promptLogits);

                _promptLogits = 0;
                _promptLogitsBytes = 0;
            }
        }

        lock (_maskLock)
        {
            foreach (var view in _maskViews)
            {
                view?.Dispose();
            }

            _maskViews = [];
        }
    }

    private void EnsureMaskViews(int maxLength)
    {
        if (_maskViews.Length > maxLength)
        {
            return;
        }

        lock (_maskLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var old = _maskViews;
            if (old.Length > maxLength)
            {
                return;
            }

            // Views of a shorter length keep the old (pinned) ones array alive; the new lengths use a new one.
            if (_ones.Length < maxLength)
            {
                _ones = GC.AllocateArray<long>(Math.Max(maxLength, Math.Min(2 * _ones.Length, ContextLength)), pinned: true);
                Array.Fill(_ones, 1L);
            }

            var views = new OrtValue[_ones.Length + 1];
            Array.Copy(old, views, old.Length);
            for (int length = Math.Max(1, old.Length); length < views.Length; length++)
            {
                views[length] = OrtValue.CreateTensor(_ones.AsMemory(0, length), [1, length]);
            }

            _maskViews = views;
        }
    }

    private static string[] LayerNames(string pattern, int layers)
    {
        var names = new string[layers];
        for (int i = 0; i < layers; i++)
        {
            names[i] = pattern.Replace("%d", i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        return names;
    }

    private static SessionOptions CreateSessionOptions(GenAISessionOptions config, OnnxDecoderOptions options)
    {
        var result = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpNumThreads ?? (config.IntraOpNumThreads > 0 ? config.IntraOpNumThreads : Math.Clamp(Environment.ProcessorCount / 2, 1, 16)),
            InterOpNumThreads = options.InterOpNumThreads ?? Math.Max(0, config.InterOpNumThreads),
            GraphOptimizationLevel = options.GraphOptimizationLevel ?? ParseOptimizationLevel(config.GraphOptimizationLevel),
            LogId = config.LogId,
        };
        if (config.EnableCpuMemArena is { } arena)
        {
            result.EnableCpuMemArena = arena;
        }

        if (config.EnableMemPattern is { } pattern)
        {
            result.EnableMemoryPattern = pattern;
        }

        foreach (var entry in config.ConfigEntries)
        {
            result.ConfigEntries[entry.Key] = entry.Value;
        }

        foreach (var entry in options.SessionConfigEntries)
        {
            result.ConfigEntries[entry.Key] = entry.Value;
        }

        if (options.AllowSpinning is { } spin)
        {
            result.ConfigEntries.Remove(SessionOptions.IntraOpAllowSpinningKey);
            result.ConfigEntries.Remove(SessionOptions.InterOpAllowSpinningKey);
            result.AllowIntraOpSpinning = spin;
            result.AllowInterOpSpinning = spin;
        }

        return result;
    }

    private static GraphOptimizationLevel ParseOptimizationLevel(string? level) => level?.Trim().ToUpperInvariant() switch
    {
        null or "" => GraphOptimizationLevel.All,
        "ORT_DISABLE_ALL" or "DISABLE_ALL" => GraphOptimizationLevel.DisableAll,
        "ORT_ENABLE_BASIC" or "ENABLE_BASIC" or "BASIC" => GraphOptimizationLevel.Basic,
        "ORT_ENABLE_EXTENDED" or "ENABLE_EXTENDED" or "EXTENDED" => GraphOptimizationLevel.Extended,
        "ORT_ENABLE_ALL" or "ENABLE_ALL" or "ALL" => GraphOptimizationLevel.All,
        _ => throw new ModelFolderException($"{GenAIConfig.FileName}: model.decoder.session_options.graph_optimization_level '{level}' is not one of ORT_DISABLE_ALL, ORT_ENABLE_BASIC, ORT_ENABLE_EXTENDED, ORT_ENABLE_ALL."),
    };

    /// <summary>Checks the config against the session; returns the vocabulary size.</summary>
    private static int Validate(GenAIConfig config, InferenceSession session, string decoderPath)
    {
        var problems = new List<string>();
        var decoder = config.Model.Decoder;
        var inputs = decoder.Inputs;
        var outputs = decoder.Outputs;
        int layers = decoder.NumHiddenLayers;
        int kvHeads = decoder.NumKeyValueHeads;
        int headSize = decoder.HeadSize;
        var known = new HashSet<string>(StringComparer.Ordinal);

        CheckInput(inputs.InputIds, required: true, TensorElementType.Int64, 2);
        CheckInput(inputs.AttentionMask, required: false, TensorElementType.Int64, 2);
        CheckInput(inputs.PositionIds, required: false, TensorElementType.Int64, 2);
        for (int i = 0; i < layers; i++)
        {
            CheckKv(LayerName(inputs.PastKeyNames, i), isInput: true);
            CheckKv(LayerName(inputs.PastValueNames, i), isInput: true);
            CheckKv(LayerName(outputs.PresentKeyNames, i), isInput: false);
            CheckKv(LayerName(outputs.PresentValueNames, i), isInput: false);
        }

        if (session.GetInputIndex(LayerName(inputs.PastKeyNames, layers)) >= 0)
        {
            problems.Add($"the model has input '{LayerName(inputs.PastKeyNames, layers)}' but model.decoder.num_hidden_layers is {layers}");
        }

        foreach (var input in session.InputMetadata)
        {
            if (!known.Contains(input.Name))
            {
                problems.Add($"the model has input '{input.Name}' ({input}) that this runtime does not feed");
            }
        }

        int vocabulary = config.Model.VocabSize;
        int logitsIndex = session.GetOutputIndex(outputs.Logits);
        if (logitsIndex < 0)
        {
            problems.Add($"missing output '{outputs.Logits}' (model.decoder.outputs.logits; outputs: {string.Join(", ", session.OutputNames)})");
        }
        else
        {
            var logits = session.OutputMetadata[logitsIndex];
            if (logits.ElementType != TensorElementType.Float)
            {
                problems.Add($"output '{logits.Name}' has element type {logits.ElementType}; only float32 logits are supported");
            }

            if (logits.Shape.Count != 3)
            {
                problems.Add($"output '{logits.Name}' has rank {logits.Shape.Count} ({logits}); expected [batch, sequence, vocab]");
            }
            else
            {
                long last = logits.Shape[2];
                if (last >= 0 && vocabulary > 0 && last != vocabulary)
                {
                    problems.Add($"the last dimension of output '{logits.Name}' is {last} but model.vocab_size is {vocabulary}");
                }
                else if (vocabulary <= 0)
                {
                    if (last > 0)
                    {
                        vocabulary = (int)last;
                    }
                    else
                    {
                        problems.Add($"model.vocab_size is missing and output '{logits.Name}' has no fixed vocabulary dimension");
                    }
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new ModelFolderException($"The decoder '{decoderPath}' does not match {GenAIConfig.FileName}: {string.Join("; ", problems)}.");
        }

        return vocabulary;

        void CheckInput(string name, bool required, TensorElementType type, int rank)
        {
            int index = session.GetInputIndex(name);
            if (index < 0)
            {
                if (required)
                {
                    problems.Add($"missing input '{name}' (inputs: {string.Join(", ", session.InputNames)})");
                }

                return;
            }

            known.Add(name);
            var meta = session.InputMetadata[index];
            if (meta.ElementType != type)
            {
                problems.Add($"input '{name}' has element type {meta.ElementType}; expected {type}");
            }

            if (meta.Shape.Count != rank)
            {
                problems.Add($"input '{name}' has rank {meta.Shape.Count} ({meta}); expected {rank}");
            }
        }

        void CheckKv(string name, bool isInput)
        {
            int index = isInput ? session.GetInputIndex(name) : session.GetOutputIndex(name);
            string kind = isInput ? "input" : "output";
            if (index < 0)
            {
                problems.Add($"missing {kind} '{name}'");
                return;
            }

            if (isInput)
            {
                known.Add(name);
            }

            var meta = isInput ? session.InputMetadata[index] : session.OutputMetadata[index];
            if (meta.ElementType != TensorElementType.Float)
            {
                problems.Add($"{kind} '{name}' has element type {meta.ElementType}; only float32 KV caches are supported");
            }

            if (meta.Shape.Count != 4)
            {
                problems.Add($"{kind} '{name}' has rank {meta.Shape.Count} ({meta}); expected [batch, kv_heads, sequence, head_size]");
                return;
            }

            if (meta.Shape[1] >= 0 && meta.Shape[1] != kvHeads)
            {
                problems.Add($"{kind} '{name}' has {meta.Shape[1]} KV heads ({meta}) but model.decoder.num_key_value_heads is {kvHeads}");
            }

            if (meta.Shape[3] >= 0 && meta.Shape[3] != headSize)
            {
                problems.Add($"{kind} '{name}' has head size {meta.Shape[3]} ({meta}) but model.decoder.head_size is {headSize}");
            }
        }
    }

    private static string LayerName(string pattern, int layer) =>
        pattern.Replace("%d", layer.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
