using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using SkAgents.OnnxRuntime.Native;

namespace SkAgents.OnnxRuntime;

/// <summary>
/// A loaded ONNX model (OrtSession). Thread-safe: several threads may call Run concurrently.
/// Run with pre-allocated outputs performs no managed allocations (names are cached as native UTF-8,
/// pointer arrays live on the stack, and the run options used for cancellation are pooled).
/// </summary>
public sealed unsafe class InferenceSession : IDisposable
{
    // Name and value pointers of one Run live on the stack (8 KiB at most), so steady-state runs allocate nothing.
    // A decoder feeds 2 + 2·layers inputs and reads 1 + 2·layers outputs: 1024 slots cover 250 layers (Phi-3/4 have 32).
    private const int StackLimit = 1024;
    private static readonly Action<object?> TerminateCallback = static state => ((RunOptions)state!).Terminate();
    private static readonly SessionOptions DefaultOptions = new();

    private readonly SessionHandle _handle;
    private readonly NodeMetadata[] _inputs;
    private readonly NodeMetadata[] _outputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly nint[] _inputNamePointers;
    private readonly nint[] _outputNamePointers;
    private readonly Dictionary<string, int> _inputIndex;
    private readonly Dictionary<string, int> _outputIndex;
    private RunOptions? _pooledRunOptions;
    private volatile bool _disposed;

    /// <summary>Loads a model from a file.</summary>
    /// <param name="modelPath">Path of the .onnx file.</param>
    /// <param name="options">Session options; null for defaults.</param>
    /// <exception cref="OnnxRuntimeException">ORT could not load the model (e.g. <see cref="OrtErrorCode.NoSuchFile"/>, <see cref="OrtErrorCode.InvalidProtobuf"/>).</exception>
    public InferenceSession(string modelPath, SessionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        string fullPath = Path.GetFullPath(modelPath);
        ModelPath = fullPath;
        var env = OrtEnvironment.Instance;
        using var nativeOptions = (options ?? DefaultOptions).CreateNative();
        nint raw;
        nint status;
        if (OperatingSystem.IsWindows())
        {
            fixed (char* path = fullPath)
            {
                status = NativeApi.CreateSession(env.Handle.DangerousGetHandle(), path, nativeOptions.DangerousGetHandle(), &raw);
            }
        }
        else
        {
            using var path = new NativeUtf8(fullPath);
            status = NativeApi.CreateSession(env.Handle.DangerousGetHandle(), path.Pointer, nativeOptions.DangerousGetHandle(), &raw);
        }

        NativeApi.Check(status, $"Loading ONNX model '{fullPath}'");
        _handle = new SessionHandle(raw, env.Handle);
        (_inputs, _inputNames, _inputNamePointers, _inputIndex, _outputs, _outputNames, _outputNamePointers, _outputIndex) = LoadMetadata(_handle);
    }

    private InferenceSession(SessionHandle handle)
    {
        _handle = handle;
        (_inputs, _inputNames, _inputNamePointers, _inputIndex, _outputs, _outputNames, _outputNamePointers, _outputIndex) = LoadMetadata(_handle);
    }

    /// <summary>The model path, or null for a model loaded from memory.</summary>
    public string? ModelPath { get; }

    /// <summary>Inputs of the model, in model order.</summary>
    public IReadOnlyList<NodeMetadata> InputMetadata => _inputs;

    /// <summary>Outputs of the model, in model order.</summary>
    public IReadOnlyList<NodeMetadata> OutputMetadata => _outputs;

    /// <summary>Input names, in model order.</summary>
    public IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>Output names, in model order.</summary>
    public IReadOnlyList<string> OutputNames => _outputNames;

    /// <summary>Loads a model from memory (CreateSessionFromArray).</summary>
    /// <param name="model">The serialized ModelProto.</param>
    /// <param name="options">Session options; null for defaults.</param>
    /// <returns>The session.</returns>
    public static InferenceSession FromBytes(ReadOnlySpan<byte> model, SessionOptions? options = null)
    {
        var env = OrtEnvironment.Instance;
        using var nativeOptions = (options ?? DefaultOptions).CreateNative();
        nint raw;
        fixed (byte* data = model)
        {
            NativeApi.Check(
                NativeApi.CreateSessionFromArray(env.Handle.DangerousGetHandle(), data, (nuint)model.Length, nativeOptions.DangerousGetHandle(), &raw),
                "Loading ONNX model from memory");
        }

        return new InferenceSession(new SessionHandle(raw, env.Handle));
    }

    /// <summary>Index of an input by name, or -1.</summary>
    /// <param name="name">Input name.</param>
    /// <returns>The index or -1.</returns>
    public int GetInputIndex(string name) => _inputIndex.GetValueOrDefault(name, -1);

    /// <summary>Index of an output by name, or -1.</summary>
    /// <param name="name">Output name.</param>
    /// <returns>The index or -1.</returns>
    public int GetOutputIndex(string name) => _outputIndex.GetValueOrDefault(name, -1);

    /// <summary>
    /// Runs the model writing into pre-allocated outputs: ORT writes each output into the given value
    /// (whose shape and type must match what the model produces). No managed allocations in steady state.
    /// </summary>
    /// <param name="inputNames">Names of the inputs fed.</param>
    /// <param name="inputs">Input values, parallel to <paramref name="inputNames"/>.</param>
    /// <param name="outputNames">Names of the outputs wanted.</param>
    /// <param name="outputs">Pre-allocated output values, parallel to <paramref name="outputNames"/>.</param>
    /// <param name="runOptions">Optional run options (tag, config, manual terminate).</param>
    /// <param name="cancellationToken">Terminates the run in progress when canceled.</param>
    /// <exception cref="OnnxRuntimeException">ORT reported an error (message names the offending input where it can).</exception>
    /// <exception cref="OperationCanceledException">The token was canceled before or during the run.</exception>
    public void Run(
        ReadOnlySpan<string> inputNames,
        ReadOnlySpan<OrtValue> inputs,
        ReadOnlySpan<string> outputNames,
        ReadOnlySpan<OrtValue> outputs,
        RunOptions? runOptions = null,
        CancellationToken cancellationToken = default)
    {
        if (outputs.Length != outputNames.Length)
        {
            throw new ArgumentException($"{outputNames.Length} output names but {outputs.Length} output values.", nameof(outputs));
        }

        RunCore(inputNames, inputs, outputNames, outputs, null, runOptions, cancellationToken);
    }

    /// <summary>Runs the model; ORT allocates the outputs, which the caller owns (dispose the list).</summary>
    /// <param name="inputNames">Names of the inputs fed.</param>
    /// <param name="inputs">Input values, parallel to <paramref name="inputNames"/>.</param>
    /// <param name="outputNames">Names of the outputs wanted.</param>
    /// <param name="runOptions">Optional run options.</param>
    /// <param name="cancellationToken">Terminates the run in progress when canceled.</param>
    /// <returns>The outputs, in the order of <paramref name="outputNames"/>.</returns>
    public OrtValueList Run(
        ReadOnlySpan<string> inputNames,
        ReadOnlySpan<OrtValue> inputs,
        ReadOnlySpan<string> outputNames,
        RunOptions? runOptions = null,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var results = new OrtValue[outputNames.Length];
        RunCore(inputNames, inputs, outputNames, default, results, runOptions, cancellationToken);
        return new OrtValueList(outputNames.ToArray(), results);
    }

    /// <summary>Runs the model with named inputs and returns every model output (ORT-allocated).</summary>
    /// <param name="inputs">Input values by name.</param>
    /// <param name="runOptions">Optional run options.</param>
    /// <param name="cancellationToken">Terminates the run in progress when canceled.</param>
    /// <returns>All outputs, in model order.</returns>
    public OrtValueList Run(IReadOnlyDictionary<string, OrtValue> inputs, RunOptions? runOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var names = new string[inputs.Count];
        var values = new OrtValue[inputs.Count];
        int i = 0;
        foreach (var pair in inputs)
        {
            names[i] = pair.Key;
            values[i] = pair.Value;
            i++;
        }

        return Run(names, values, _outputNames, runOptions, cancellationToken);
    }

    /// <summary>Creates an IoBinding for this session.</summary>
    /// <returns>The binding (dispose it; it keeps the session alive until then).</returns>
    public IoBinding CreateIoBinding()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            nint raw;
            NativeApi.Check(NativeApi.CreateIoBinding(_handle.DangerousGetHandle(), &raw), "CreateIoBinding");
            return new IoBinding(this, new IoBindingHandle(raw, _handle));
        }
        finally
        {
            _handle.DangerousRelease();
        }
    }

    /// <summary>Runs the model with the inputs and outputs bound in <paramref name="binding"/> (RunWithBinding).</summary>
    /// <param name="binding">A binding created by this session.</param>
    /// <param name="runOptions">Optional run options.</param>
    /// <param name="cancellationToken">Terminates the run in progress when canceled.</param>
    public void RunWithBinding(IoBinding binding, RunOptions? runOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(binding);
        if (!ReferenceEquals(binding.Session, this))
        {
            throw new ArgumentException("The binding belongs to another session.", nameof(binding));
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        ObjectDisposedException.ThrowIf(binding.IsDisposed, binding);
        ObjectDisposedException.ThrowIf(runOptions?.IsDisposed == true, runOptions!);

        cancellationToken.ThrowIfCancellationRequested();
        var options = AcquireRunOptions(runOptions, cancellationToken, out bool pooled);
        bool sessionAdded = false, bindingAdded = false, optionsAdded = false;
        nint status;
        var registration = default(CancellationTokenRegistration);
        try
        {
            _handle.DangerousAddRef(ref sessionAdded);
            binding.Handle.DangerousAddRef(ref bindingAdded);
            options?.Handle.DangerousAddRef(ref optionsAdded);
            if (cancellationToken.CanBeCanceled)
            {
                registration = cancellationToken.UnsafeRegister(TerminateCallback, options);
            }

            status = NativeApi.RunWithBinding(_handle.DangerousGetHandle(), options is null ? 0 : options.Handle.DangerousGetHandle(), binding.Handle.DangerousGetHandle());
        }
        finally
        {
            registration.Dispose();
            if (optionsAdded)
            {
                options!.Handle.DangerousRelease();
            }

            if (bindingAdded)
            {
                binding.Handle.DangerousRelease();
            }

            if (sessionAdded)
            {
                _handle.DangerousRelease();
            }
        }

        FinishRun(status, options, pooled, default, default, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        Interlocked.Exchange(ref _pooledRunOptions, null)?.Dispose();
        _handle.Dispose();
    }

    internal SessionHandle Handle => _handle;

    private void RunCore(
        ReadOnlySpan<string> inputNames,
        ReadOnlySpan<OrtValue> inputs,
        ReadOnlySpan<string> outputNames,
        ReadOnlySpan<OrtValue> preallocated,
        OrtValue[]? results,
        RunOptions? runOptions,
        CancellationToken cancellationToken)
    {
        if (inputNames.Length != inputs.Length)
        {
            throw new ArgumentException($"{inputNames.Length} input names but {inputs.Length} input values.", nameof(inputs));
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        ObjectDisposedException.ThrowIf(runOptions?.IsDisposed == true, runOptions!);
        cancellationToken.ThrowIfCancellationRequested();
        int inputCount = inputs.Length;
        int outputCount = outputNames.Length;
        int slots = (2 * inputCount) + (2 * outputCount);
        Span<nint> buffer = slots <= StackLimit ? stackalloc nint[slots] : new nint[slots];
        buffer.Clear();
        var inNames = buffer[..inputCount];
        var inValues = buffer.Slice(inputCount, inputCount);
        var outNames = buffer.Slice(2 * inputCount, outputCount);
        var outValues = buffer.Slice((2 * inputCount) + outputCount, outputCount);
        List<nint>? temporaryNames = null;

        var options = AcquireRunOptions(runOptions, cancellationToken, out bool pooled);
        int inputsAdded = 0, outputsAdded = 0;
        bool sessionAdded = false, optionsAdded = false;
        nint status;
        var registration = default(CancellationTokenRegistration);
        try
        {
            _handle.DangerousAddRef(ref sessionAdded);
            for (int i = 0; i < inputCount; i++)
            {
                inNames[i] = ResolveName(inputNames[i], _inputIndex, _inputNamePointers, ref temporaryNames);
                var handle = (inputs[i] ?? throw new ArgumentNullException(nameof(inputs), $"Input '{inputNames[i]}' is null.")).LiveHandle;
                bool added = false;
                handle.DangerousAddRef(ref added);
                inputsAdded++;
                inValues[i] = handle.DangerousGetHandle();
            }

            for (int i = 0; i < outputCount; i++)
            {
                outNames[i] = ResolveName(outputNames[i], _outputIndex, _outputNamePointers, ref temporaryNames);
                if (results is null)
                {
                    var handle = (preallocated[i] ?? throw new ArgumentNullException(nameof(preallocated), $"Output '{outputNames[i]}' is null.")).LiveHandle;
                    bool added = false;
                    handle.DangerousAddRef(ref added);
                    outputsAdded++;
                    outValues[i] = handle.DangerousGetHandle();
                }
            }

            options?.Handle.DangerousAddRef(ref optionsAdded);
            if (cancellationToken.CanBeCanceled)
            {
                registration = cancellationToken.UnsafeRegister(TerminateCallback, options);
            }

            fixed (nint* p = buffer)
            {
                status = NativeApi.Run(
                    _handle.DangerousGetHandle(),
                    options is null ? 0 : options.Handle.DangerousGetHandle(),
                    (byte**)p,
                    p + inputCount,
                    (nuint)inputCount,
                    (byte**)(p + (2 * inputCount)),
                    (nuint)outputCount,
                    p + (2 * inputCount) + outputCount);
            }
        }
        finally
        {
            registration.Dispose();
            if (optionsAdded)
            {
                options!.Handle.DangerousRelease();
            }

            for (int i = 0; i < inputsAdded; i++)
            {
                inputs[i].Handle.DangerousRelease();
            }

            for (int i = 0; i < outputsAdded; i++)
            {
                preallocated[i].Handle.DangerousRelease();
            }

            if (sessionAdded)
            {
                _handle.DangerousRelease();
            }

            if (temporaryNames is not null)
            {
                foreach (nint name in temporaryNames)
                {
                    NativeMemory.Free((void*)name);
                }
            }
        }

        if (results is not null)
        {
            // Take ownership of whatever ORT allocated before anything can throw.
            for (int i = 0; i < outputCount; i++)
            {
                if (outValues[i] != 0)
                {
                    results[i] = OrtValue.FromOwnedHandle(outValues[i]);
                }
            }
        }

        try
        {
            FinishRun(status, options, pooled, inputNames, inputs, cancellationToken);
        }
        catch when (results is not null)
        {
            foreach (var value in results)
            {
                value?.Dispose();
            }

            throw;
        }
    }

    private static nint ResolveName(string name, Dictionary<string, int> index, nint[] pointers, ref List<nint>? temporary)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (index.TryGetValue(name, out int i))
        {
            return pointers[i];
        }

        // Unknown name: hand it to ORT anyway so its own error (code and message) comes back.
        temporary ??= new List<nint>(2);
        nint p = (nint)NativeApi.AllocUtf8(name);
        temporary.Add(p);
        return p;
    }

    private RunOptions? AcquireRunOptions(RunOptions? runOptions, CancellationToken cancellationToken, out bool pooled)
    {
        pooled = false;
        if (runOptions is not null || !cancellationToken.CanBeCanceled)
        {
            return runOptions;
        }

        pooled = true;
        return Interlocked.Exchange(ref _pooledRunOptions, null) ?? new RunOptions();
    }

    private void ReturnRunOptions(RunOptions options)
    {
        if (options.IsTerminateRequested || Interlocked.CompareExchange(ref _pooledRunOptions, options, null) is not null)
        {
            options.Dispose();
            return;
        }

        if (_disposed)
        {
            Interlocked.Exchange(ref _pooledRunOptions, null)?.Dispose();
        }
    }

    private void FinishRun(
        nint status,
        RunOptions? options,
        bool pooled,
        ReadOnlySpan<string> inputNames,
        ReadOnlySpan<OrtValue> inputs,
        CancellationToken cancellationToken)
    {
        bool canceled = cancellationToken.IsCancellationRequested;
        if (canceled && options is not null && options.IsTerminateRequested)
        {
            // The token fired during (or right after) the run: clear the flag so the options can be reused.
            try
            {
                options.ResetTerminate();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        if (pooled)
        {
            ReturnRunOptions(options!);
        }

        if (status == 0)
        {
            return;
        }

        if (canceled)
        {
            var (code, message) = NativeApi.ReadAndRelease(status);
            throw new OperationCanceledException(
                "The ONNX Runtime run was canceled.",
                new OnnxRuntimeException(code, message),
                cancellationToken);
        }

        throw CreateRunException(status, inputNames, inputs);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private OnnxRuntimeException CreateRunException(nint status, ReadOnlySpan<string> inputNames, ReadOnlySpan<OrtValue> inputs)
    {
        var (code, message) = NativeApi.ReadAndRelease(status);
        string? details = null;
        try
        {
            details = DescribeInputProblems(inputNames, inputs);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or InvalidOperationException or ObjectDisposedException)
        {
            // Diagnostics are best effort; ORT's own message is kept regardless.
        }

        return new OnnxRuntimeException(code, message, details is null ? "Running the ONNX model" : $"Running the ONNX model ({details})");
    }

    private string? DescribeInputProblems(ReadOnlySpan<string> inputNames, ReadOnlySpan<OrtValue> inputs)
    {
        var problems = new StringBuilder();
        var provided = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < inputNames.Length; i++)
        {
            string name = inputNames[i];
            provided.Add(name);
            if (!_inputIndex.TryGetValue(name, out int index))
            {
                Append(problems, $"'{name}' is not an input of the model (inputs: {string.Join(", ", _inputNames)})");
                continue;
            }

            var meta = _inputs[index];
            var value = inputs[i];
            if (!meta.IsTensor || value.IsDisposed || !value.IsTensor)
            {
                continue;
            }

            if (value.ElementType != meta.ElementType)
            {
                Append(problems, $"input '{name}' has element type {value.ElementType} but the model expects {meta.ElementType}");
            }

            var shape = value.Shape;
            bool shapeMismatch = shape.Length != meta.Shape.Count;
            for (int d = 0; !shapeMismatch && d < shape.Length; d++)
            {
                shapeMismatch = meta.Shape[d] >= 0 && meta.Shape[d] != shape[d];
            }

            if (shapeMismatch)
            {
                Append(problems, $"input '{name}' has shape [{string.Join(",", shape.ToArray())}] but the model expects {meta}");
            }
        }

        foreach (string name in _inputNames)
        {
            if (!provided.Contains(name))
            {
                Append(problems, $"input '{name}' was not provided");
            }
        }

        return problems.Length == 0 ? null : problems.ToString();

        static void Append(StringBuilder sb, string text)
        {
            if (sb.Length > 0)
            {
                sb.Append("; ");
            }

            sb.Append(text);
        }
    }

    private static (NodeMetadata[], string[], nint[], Dictionary<string, int>, NodeMetadata[], string[], nint[], Dictionary<string, int>) LoadMetadata(SessionHandle handle)
    {
        try
        {
            nint session = handle.DangerousGetHandle();
            nuint inputCount, outputCount;
            NativeApi.Check(NativeApi.SessionGetInputCount(session, &inputCount), "SessionGetInputCount");
            NativeApi.Check(NativeApi.SessionGetOutputCount(session, &outputCount), "SessionGetOutputCount");
            var names = new nint[(int)inputCount + (int)outputCount];
            handle.OwnNames(names);
            var inputs = ReadNodes(session, (int)inputCount, isInput: true, names, 0);
            var outputs = ReadNodes(session, (int)outputCount, isInput: false, names, (int)inputCount);
            var inputNames = Array.ConvertAll(inputs, m => m.Name);
            var outputNames = Array.ConvertAll(outputs, m => m.Name);
            return (
                inputs, inputNames, names[..(int)inputCount], ToIndex(inputNames),
                outputs, outputNames, names[(int)inputCount..], ToIndex(outputNames));
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        static Dictionary<string, int> ToIndex(string[] names)
        {
            var index = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
            for (int i = 0; i < names.Length; i++)
            {
                index[names[i]] = i;
            }

            return index;
        }
    }

    private static NodeMetadata[] ReadNodes(nint session, int count, bool isInput, nint[] nativeNames, int offset)
    {
        var nodes = new NodeMetadata[count];
        for (int i = 0; i < count; i++)
        {
            byte* rawName;
            NativeApi.Check(
                isInput
                    ? NativeApi.SessionGetInputName(session, (nuint)i, NativeApi.DefaultAllocator, &rawName)
                    : NativeApi.SessionGetOutputName(session, (nuint)i, NativeApi.DefaultAllocator, &rawName),
                "SessionGetInputName/OutputName");
            string name = NativeApi.TakeAllocatorString(rawName);
            nativeNames[offset + i] = (nint)NativeApi.AllocUtf8(name);

            nint rawInfo;
            NativeApi.Check(
                isInput
                    ? NativeApi.SessionGetInputTypeInfo(session, (nuint)i, &rawInfo)
                    : NativeApi.SessionGetOutputTypeInfo(session, (nuint)i, &rawInfo),
                "SessionGetInputTypeInfo/OutputTypeInfo");
            using var typeInfo = new TypeInfoHandle(rawInfo);
            nodes[i] = ReadNode(name, rawInfo);
        }

        return nodes;
    }

    private static NodeMetadata ReadNode(string name, nint typeInfo)
    {
        OnnxValueType kind;
        NativeApi.Check(NativeApi.GetOnnxTypeFromTypeInfo(typeInfo, &kind), "GetOnnxTypeFromTypeInfo");
        if (kind != OnnxValueType.Tensor)
        {
            return new NodeMetadata(name, kind, TensorElementType.Undefined, [], []);
        }

        nint tensorInfo; // owned by typeInfo
        NativeApi.Check(NativeApi.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo), "CastTypeInfoToTensorInfo");
        TensorElementType elementType;
        NativeApi.Check(NativeApi.GetTensorElementType(tensorInfo, &elementType), "GetTensorElementType");
        nuint rank;
        NativeApi.Check(NativeApi.GetDimensionsCount(tensorInfo, &rank), "GetDimensionsCount");
        var shape = new long[(int)rank];
        var symbols = new string[(int)rank];
        if (rank > 0)
        {
            var symbolPointers = new nint[(int)rank];
            fixed (long* dims = shape)
            fixed (nint* sym = symbolPointers)
            {
                NativeApi.Check(NativeApi.GetDimensions(tensorInfo, dims, rank), "GetDimensions");
                NativeApi.Check(NativeApi.GetSymbolicDimensions(tensorInfo, (byte**)sym, rank), "GetSymbolicDimensions");
            }

            for (int d = 0; d < shape.Length; d++)
            {
                symbols[d] = symbolPointers[d] == 0 ? string.Empty : Marshal.PtrToStringUTF8(symbolPointers[d]) ?? string.Empty;
                if (shape[d] < 0 || (shape[d] == 0 && symbols[d].Length > 0))
                {
                    shape[d] = -1;
                }
            }
        }

        return new NodeMetadata(name, kind, elementType, shape, symbols);
    }
}
