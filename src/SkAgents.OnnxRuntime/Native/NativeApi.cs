using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace SkAgents.OnnxRuntime.Native;

/// <summary>
/// The ONNX Runtime C API function table (OrtApi), read once by slot from <c>OrtGetApiBase()->GetApi(30)</c>.
/// Function pointers use the platform default unmanaged calling convention, which is exactly ORT_API_CALL:
/// cdecl on every non-Windows platform (and on Windows x64/arm64), __stdcall on Windows x86.
/// All pointers to ORT objects are passed as <see cref="nint"/>.
/// </summary>
internal static unsafe class NativeApi
{
    /// <summary>API version requested from GetApi (ORT 1.30 = 30; the table is append-only).</summary>
    internal const uint ApiVersion = 30;

    private static readonly Lock Gate = new();
    private static volatile bool s_initialized;

    internal static string LoadedLibraryPath { get; private set; } = string.Empty;

    internal static string VersionString { get; private set; } = string.Empty;

    /// <summary>CPU memory info (arena allocator, default mem type); process lifetime, never released.</summary>
    internal static nint CpuMemoryInfo { get; private set; }

    /// <summary>ORT's default CPU allocator; owned by ORT, never released.</summary>
    internal static nint DefaultAllocator { get; private set; }

#pragma warning disable SA1310, CA2211 // function-pointer fields are assigned once during initialization
    internal static delegate* unmanaged<nint, OrtErrorCode> GetErrorCode;
    internal static delegate* unmanaged<nint, byte*> GetErrorMessage;
    internal static delegate* unmanaged<OrtLoggingLevel, byte*, nint*, nint> CreateEnv;
    internal static delegate* unmanaged<nint, void*, nint, nint*, nint> CreateSession;
    internal static delegate* unmanaged<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;
    internal static delegate* unmanaged<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint> Run;
    internal static delegate* unmanaged<nint*, nint> CreateSessionOptions;
    internal static delegate* unmanaged<nint, ExecutionMode, nint> SetSessionExecutionMode;
    internal static delegate* unmanaged<nint, nint> EnableMemPattern;
    internal static delegate* unmanaged<nint, nint> DisableMemPattern;
    internal static delegate* unmanaged<nint, nint> EnableCpuMemArena;
    internal static delegate* unmanaged<nint, nint> DisableCpuMemArena;
    internal static delegate* unmanaged<nint, byte*, nint> SetSessionLogId;
    internal static delegate* unmanaged<nint, int, nint> SetSessionLogSeverityLevel;
    internal static delegate* unmanaged<nint, GraphOptimizationLevel, nint> SetSessionGraphOptimizationLevel;
    internal static delegate* unmanaged<nint, int, nint> SetIntraOpNumThreads;
    internal static delegate* unmanaged<nint, int, nint> SetInterOpNumThreads;
    internal static delegate* unmanaged<nint, nuint*, nint> SessionGetInputCount;
    internal static delegate* unmanaged<nint, nuint*, nint> SessionGetOutputCount;
    internal static delegate* unmanaged<nint, nuint, nint*, nint> SessionGetInputTypeInfo;
    internal static delegate* unmanaged<nint, nuint, nint*, nint> SessionGetOutputTypeInfo;
    internal static delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetInputName;
    internal static delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetOutputName;
    internal static delegate* unmanaged<nint*, nint> CreateRunOptions;
    internal static delegate* unmanaged<nint, byte*, nint> RunOptionsSetRunTag;
    internal static delegate* unmanaged<nint, nint> RunOptionsSetTerminate;
    internal static delegate* unmanaged<nint, nint> RunOptionsUnsetTerminate;
    internal static delegate* unmanaged<nint, long*, nuint, TensorElementType, nint*, nint> CreateTensorAsOrtValue;
    internal static delegate* unmanaged<nint, void*, nuint, long*, nuint, TensorElementType, nint*, nint> CreateTensorWithDataAsOrtValue;
    internal static delegate* unmanaged<nint, int*, nint> IsTensor;
    internal static delegate* unmanaged<nint, void**, nint> GetTensorMutableData;
    internal static delegate* unmanaged<nint, nint*, nint> CastTypeInfoToTensorInfo;
    internal static delegate* unmanaged<nint, OnnxValueType*, nint> GetOnnxTypeFromTypeInfo;
    internal static delegate* unmanaged<nint, TensorElementType*, nint> GetTensorElementType;
    internal static delegate* unmanaged<nint, nuint*, nint> GetDimensionsCount;
    internal static delegate* unmanaged<nint, long*, nuint, nint> GetDimensions;
    internal static delegate* unmanaged<nint, byte**, nuint, nint> GetSymbolicDimensions;
    internal static delegate* unmanaged<nint, nuint*, nint> GetTensorShapeElementCount;
    internal static delegate* unmanaged<nint, nint*, nint> GetTensorTypeAndShape;
    internal static delegate* unmanaged<nint, OnnxValueType*, nint> GetValueType;
    internal static delegate* unmanaged<int, int, nint*, nint> CreateCpuMemoryInfo;
    internal static delegate* unmanaged<nint, void*, nint> AllocatorFree;
    internal static delegate* unmanaged<nint*, nint> GetAllocatorWithDefaultOptions;
    internal static delegate* unmanaged<nint, void> ReleaseEnv;
    internal static delegate* unmanaged<nint, void> ReleaseStatus;
    internal static delegate* unmanaged<nint, void> ReleaseMemoryInfo;
    internal static delegate* unmanaged<nint, void> ReleaseSession;
    internal static delegate* unmanaged<nint, void> ReleaseValue;
    internal static delegate* unmanaged<nint, void> ReleaseRunOptions;
    internal static delegate* unmanaged<nint, void> ReleaseTypeInfo;
    internal static delegate* unmanaged<nint, void> ReleaseTensorTypeAndShapeInfo;
    internal static delegate* unmanaged<nint, void> ReleaseSessionOptions;
    internal static delegate* unmanaged<nint, byte*, long, nint> AddFreeDimensionOverrideByName;
    internal static delegate* unmanaged<nint, byte*, byte*, nint> AddSessionConfigEntry;
    internal static delegate* unmanaged<nint, nint, nint, nint> RunWithBinding;
    internal static delegate* unmanaged<nint, nint*, nint> CreateIoBinding;
    internal static delegate* unmanaged<nint, void> ReleaseIoBinding;
    internal static delegate* unmanaged<nint, byte*, nint, nint> BindInput;
    internal static delegate* unmanaged<nint, byte*, nint, nint> BindOutput;
    internal static delegate* unmanaged<nint, byte*, nint, nint> BindOutputToDevice;
    internal static delegate* unmanaged<nint, nint, nint**, nuint*, nint> GetBoundOutputValues;
    internal static delegate* unmanaged<nint, void> ClearBoundInputs;
    internal static delegate* unmanaged<nint, void> ClearBoundOutputs;
    internal static delegate* unmanaged<nint, byte*, byte*, nint> AddRunConfigEntry;
#pragma warning restore SA1310, CA2211

    /// <summary>Loads the library (see <see cref="OnnxRuntimeLibrary"/>) and reads the function table, once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void EnsureInitialized()
    {
        if (!s_initialized)
        {
            InitializeSlow();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void InitializeSlow()
    {
        lock (Gate)
        {
            if (s_initialized)
            {
                return;
            }

            var candidates = OnnxRuntimeLibrary.GetProbePaths();
            var library = OnnxRuntimeLibrary.LoadFirst(OnnxRuntimeLibrary.OrtDylibPathOverride, candidates, out string path);
            var table = ReadApiTable(library, path, out string version);
            Bind(table);
            LoadedLibraryPath = path;
            VersionString = version;

            nint allocator;
            Check(GetAllocatorWithDefaultOptions(&allocator));
            DefaultAllocator = allocator;
            nint memoryInfo;
            Check(CreateCpuMemoryInfo(1 /* OrtArenaAllocator */, 0 /* OrtMemTypeDefault */, &memoryInfo));
            CpuMemoryInfo = memoryInfo;
            s_initialized = true;
        }
    }

    /// <summary>Reads OrtApiBase from a loaded library and returns the OrtApi table for <see cref="ApiVersion"/>.</summary>
    internal static nint* ReadApiTable(nint library, string path, out string version)
    {
        if (!NativeLibrary.TryGetExport(library, "OrtGetApiBase", out nint getApiBaseExport))
        {
            throw new OnnxRuntimeLoadException(
                $"'{path}' was loaded but does not export OrtGetApiBase: it is not an ONNX Runtime library. " +
                $"Check {OnnxRuntimeLibrary.OverrideVariable} or the file next to the application.",
                [path]);
        }

        var getApiBase = (delegate* unmanaged<nint*>)getApiBaseExport;
        nint* apiBase = getApiBase();
        if (apiBase == null)
        {
            throw new OnnxRuntimeLoadException($"OrtGetApiBase() in '{path}' returned NULL.", [path]);
        }

        var getApi = (delegate* unmanaged<uint, nint*>)apiBase[0];
        var getVersionString = (delegate* unmanaged<byte*>)apiBase[1];
        version = Marshal.PtrToStringUTF8((nint)getVersionString()) ?? "unknown";
        nint* table = getApi(ApiVersion);
        if (table == null)
        {
            throw new OnnxRuntimeLoadException(
                $"ONNX Runtime at '{path}' is version {version}, which does not provide C API version {ApiVersion} " +
                $"(ONNX Runtime {OnnxRuntimeLibrary.ExpectedVersion} or newer is required). " +
                $"Point {OnnxRuntimeLibrary.OverrideVariable} at an ONNX Runtime {OnnxRuntimeLibrary.ExpectedVersion} library or rebuild to provision it.",
                [path]);
        }

        return table;
    }

    private static void Bind(nint* t)
    {
        GetErrorCode = (delegate* unmanaged<nint, OrtErrorCode>)t[1];
        GetErrorMessage = (delegate* unmanaged<nint, byte*>)t[2];
        CreateEnv = (delegate* unmanaged<OrtLoggingLevel, byte*, nint*, nint>)t[3];
        CreateSession = (delegate* unmanaged<nint, void*, nint, nint*, nint>)t[7];
        CreateSessionFromArray = (delegate* unmanaged<nint, void*, nuint, nint, nint*, nint>)t[8];
        Run = (delegate* unmanaged<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint>)t[9];
        CreateSessionOptions = (delegate* unmanaged<nint*, nint>)t[10];
        SetSessionExecutionMode = (delegate* unmanaged<nint, ExecutionMode, nint>)t[13];
        EnableMemPattern = (delegate* unmanaged<nint, nint>)t[16];
        DisableMemPattern = (delegate* unmanaged<nint, nint>)t[17];
        EnableCpuMemArena = (delegate* unmanaged<nint, nint>)t[18];
        DisableCpuMemArena = (delegate* unmanaged<nint, nint>)t[19];
        SetSessionLogId = (delegate* unmanaged<nint, byte*, nint>)t[20];
        SetSessionLogSeverityLevel = (delegate* unmanaged<nint, int, nint>)t[22];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged<nint, GraphOptimizationLevel, nint>)t[23];
        SetIntraOpNumThreads = (delegate* unmanaged<nint, int, nint>)t[24];
        SetInterOpNumThreads = (delegate* unmanaged<nint, int, nint>)t[25];
        SessionGetInputCount = (delegate* unmanaged<nint, nuint*, nint>)t[30];
        SessionGetOutputCount = (delegate* unmanaged<nint, nuint*, nint>)t[31];
        SessionGetInputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)t[33];
        SessionGetOutputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)t[34];
        SessionGetInputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)t[36];
        SessionGetOutputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)t[37];
        CreateRunOptions = (delegate* unmanaged<nint*, nint>)t[39];
        RunOptionsSetRunTag = (delegate* unmanaged<nint, byte*, nint>)t[42];
        RunOptionsSetTerminate = (delegate* unmanaged<nint, nint>)t[46];
        RunOptionsUnsetTerminate = (delegate* unmanaged<nint, nint>)t[47];
        CreateTensorAsOrtValue = (delegate* unmanaged<nint, long*, nuint, TensorElementType, nint*, nint>)t[48];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged<nint, void*, nuint, long*, nuint, TensorElementType, nint*, nint>)t[49];
        IsTensor = (delegate* unmanaged<nint, int*, nint>)t[50];
        GetTensorMutableData = (delegate* unmanaged<nint, void**, nint>)t[51];
        CastTypeInfoToTensorInfo = (delegate* unmanaged<nint, nint*, nint>)t[55];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged<nint, OnnxValueType*, nint>)t[56];
        GetTensorElementType = (delegate* unmanaged<nint, TensorElementType*, nint>)t[60];
        GetDimensionsCount = (delegate* unmanaged<nint, nuint*, nint>)t[61];
        GetDimensions = (delegate* unmanaged<nint, long*, nuint, nint>)t[62];
        GetSymbolicDimensions = (delegate* unmanaged<nint, byte**, nuint, nint>)t[63];
        GetTensorShapeElementCount = (delegate* unmanaged<nint, nuint*, nint>)t[64];
        GetTensorTypeAndShape = (delegate* unmanaged<nint, nint*, nint>)t[65];
        GetValueType = (delegate* unmanaged<nint, OnnxValueType*, nint>)t[67];
        CreateCpuMemoryInfo = (delegate* unmanaged<int, int, nint*, nint>)t[69];
        AllocatorFree = (delegate* unmanaged<nint, void*, nint>)t[76];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged<nint*, nint>)t[78];
        ReleaseEnv = (delegate* unmanaged<nint, void>)t[92];
        ReleaseStatus = (delegate* unmanaged<nint, void>)t[93];
        ReleaseMemoryInfo = (delegate* unmanaged<nint, void>)t[94];
        ReleaseSession = (delegate* unmanaged<nint, void>)t[95];
        ReleaseValue = (delegate* unmanaged<nint, void>)t[96];
        ReleaseRunOptions = (delegate* unmanaged<nint, void>)t[97];
        ReleaseTypeInfo = (delegate* unmanaged<nint, void>)t[98];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<nint, void>)t[99];
        ReleaseSessionOptions = (delegate* unmanaged<nint, void>)t[100];
        AddFreeDimensionOverrideByName = (delegate* unmanaged<nint, byte*, long, nint>)t[124];
        AddSessionConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)t[130];
        RunWithBinding = (delegate* unmanaged<nint, nint, nint, nint>)t[133];
        CreateIoBinding = (delegate* unmanaged<nint, nint*, nint>)t[134];
        ReleaseIoBinding = (delegate* unmanaged<nint, void>)t[135];
        BindInput = (delegate* unmanaged<nint, byte*, nint, nint>)t[136];
        BindOutput = (delegate* unmanaged<nint, byte*, nint, nint>)t[137];
        BindOutputToDevice = (delegate* unmanaged<nint, byte*, nint, nint>)t[138];
        GetBoundOutputValues = (delegate* unmanaged<nint, nint, nint**, nuint*, nint>)t[140];
        ClearBoundInputs = (delegate* unmanaged<nint, void>)t[141];
        ClearBoundOutputs = (delegate* unmanaged<nint, void>)t[142];
        AddRunConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)t[165];
    }

    /// <summary>Throws <see cref="OnnxRuntimeException"/> for a non-null status (and releases it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(nint status)
    {
        if (status != 0)
        {
            throw ToException(status, null);
        }
    }

    /// <summary>Throws <see cref="OnnxRuntimeException"/> for a non-null status, prefixing <paramref name="context"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(nint status, string context)
    {
        if (status != 0)
        {
            throw ToException(status, context);
        }
    }

    /// <summary>Converts a non-null status into an exception and releases the status.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static OnnxRuntimeException ToException(nint status, string? context)
    {
        try
        {
            var code = GetErrorCode(status);
            string message = Marshal.PtrToStringUTF8((nint)GetErrorMessage(status)) ?? string.Empty;
            return new OnnxRuntimeException(code, message, context);
        }
        finally
        {
            ReleaseStatus(status);
        }
    }

    /// <summary>Reads the code and message of a status and releases it.</summary>
    internal static (OrtErrorCode Code, string Message) ReadAndRelease(nint status)
    {
        try
        {
            return (GetErrorCode(status), Marshal.PtrToStringUTF8((nint)GetErrorMessage(status)) ?? string.Empty);
        }
        finally
        {
            ReleaseStatus(status);
        }
    }

    /// <summary>Allocates a NUL-terminated UTF-8 copy of <paramref name="value"/> in native memory.</summary>
    internal static byte* AllocUtf8(string value)
    {
        int max = Encoding.UTF8.GetByteCount(value);
        byte* p = (byte*)NativeMemory.Alloc((nuint)max + 1);
        int written = Encoding.UTF8.GetBytes(value, new Span<byte>(p, max));
        p[written] = 0;
        return p;
    }

    /// <summary>Copies a string allocated by ORT's default allocator and frees it.</summary>
    internal static string TakeAllocatorString(byte* value)
    {
        try
        {
            return Marshal.PtrToStringUTF8((nint)value) ?? string.Empty;
        }
        finally
        {
            Check(AllocatorFree(DefaultAllocator, value));
        }
    }
}

/// <summary>A NUL-terminated UTF-8 string in native memory for the duration of one call.</summary>
internal unsafe ref struct NativeUtf8
{
    private byte* _pointer;

    public NativeUtf8(string value)
    {
        _pointer = NativeApi.AllocUtf8(value);
    }

    public readonly byte* Pointer => _pointer;

    public void Dispose()
    {
        if (_pointer != null)
        {
            NativeMemory.Free(_pointer);
            _pointer = null;
        }
    }
}
