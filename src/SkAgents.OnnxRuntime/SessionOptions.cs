using System.Globalization;
using SkAgents.OnnxRuntime.Native;

namespace SkAgents.OnnxRuntime;

/// <summary>
/// Options for creating an <see cref="InferenceSession"/>. A plain managed description: the native
/// OrtSessionOptions is built from it when a session is created and released right after.
/// </summary>
public sealed class SessionOptions
{
    /// <summary>Config key: whether intra-op threads spin while waiting ("1", default) or block ("0").</summary>
    public const string IntraOpAllowSpinningKey = "session.intra_op.allow_spinning";

    /// <summary>Config key: whether inter-op threads spin while waiting ("1", default) or block ("0").</summary>
    public const string InterOpAllowSpinningKey = "session.inter_op.allow_spinning";

    /// <summary>Threads for parallelism inside one operator; 0 lets ORT choose.</summary>
    public int IntraOpNumThreads { get; set; }

    /// <summary>Threads for running independent nodes in parallel (<see cref="ExecutionMode.Parallel"/>); 0 lets ORT choose.</summary>
    public int InterOpNumThreads { get; set; }

    /// <summary>Graph optimization level (default: all).</summary>
    public GraphOptimizationLevel GraphOptimizationLevel { get; set; } = GraphOptimizationLevel.All;

    /// <summary>Execution mode (default: sequential).</summary>
    public ExecutionMode ExecutionMode { get; set; } = ExecutionMode.Sequential;

    /// <summary>Intra-op spinning (<see cref="IntraOpAllowSpinningKey"/>); null keeps ORT's default (spin).</summary>
    public bool? AllowIntraOpSpinning { get; set; }

    /// <summary>Inter-op spinning (<see cref="InterOpAllowSpinningKey"/>); null keeps ORT's default (spin).</summary>
    public bool? AllowInterOpSpinning { get; set; }

    /// <summary>Whether the CPU memory arena is used (default true).</summary>
    public bool EnableCpuMemArena { get; set; } = true;

    /// <summary>Whether memory pattern planning is used (default true).</summary>
    public bool EnableMemoryPattern { get; set; } = true;

    /// <summary>Log id of the session; null keeps ORT's default.</summary>
    public string? LogId { get; set; }

    /// <summary>Log severity of the session; null inherits the environment's.</summary>
    public OrtLoggingLevel? LogSeverityLevel { get; set; }

    /// <summary>Further session config entries (AddSessionConfigEntry), applied after the spinning options.</summary>
    public IDictionary<string, string> ConfigEntries { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Fixed values for symbolic dimensions, by dimension name (AddFreeDimensionOverrideByName).</summary>
    public IDictionary<string, long> FreeDimensionOverrides { get; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Adds a session config entry (fluent).</summary>
    /// <param name="key">Config key, e.g. "session.intra_op.allow_spinning".</param>
    /// <param name="value">Config value.</param>
    /// <returns>This instance.</returns>
    public SessionOptions AddConfigEntry(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        ConfigEntries[key] = value;
        return this;
    }

    internal unsafe SessionOptionsHandle CreateNative()
    {
        nint raw;
        NativeApi.Check(NativeApi.CreateSessionOptions(&raw), "Creating session options");
        var handle = new SessionOptionsHandle(raw);
        try
        {
            nint o = handle.DangerousGetHandle();
            if (IntraOpNumThreads < 0 || InterOpNumThreads < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(IntraOpNumThreads), "Thread counts must be 0 (default) or positive.");
            }

            NativeApi.Check(NativeApi.SetIntraOpNumThreads(o, IntraOpNumThreads), "SetIntraOpNumThreads");
            NativeApi.Check(NativeApi.SetInterOpNumThreads(o, InterOpNumThreads), "SetInterOpNumThreads");
            NativeApi.Check(NativeApi.SetSessionGraphOptimizationLevel(o, GraphOptimizationLevel), "SetSessionGraphOptimizationLevel");
            NativeApi.Check(NativeApi.SetSessionExecutionMode(o, ExecutionMode), "SetSessionExecutionMode");
            NativeApi.Check(EnableCpuMemArena ? NativeApi.EnableCpuMemArena(o) : NativeApi.DisableCpuMemArena(o), "CpuMemArena");
            NativeApi.Check(EnableMemoryPattern ? NativeApi.EnableMemPattern(o) : NativeApi.DisableMemPattern(o), "MemPattern");
            if (LogId is not null)
            {
                using var id = new NativeUtf8(LogId);
                NativeApi.Check(NativeApi.SetSessionLogId(o, id.Pointer), "SetSessionLogId");
            }

            if (LogSeverityLevel is { } level)
            {
                NativeApi.Check(NativeApi.SetSessionLogSeverityLevel(o, (int)level), "SetSessionLogSeverityLevel");
            }

            if (AllowIntraOpSpinning is { } intra)
            {
                AddEntry(o, IntraOpAllowSpinningKey, intra ? "1" : "0");
            }

            if (AllowInterOpSpinning is { } inter)
            {
                AddEntry(o, InterOpAllowSpinningKey, inter ? "1" : "0");
            }

            foreach (var entry in ConfigEntries)
            {
                AddEntry(o, entry.Key, entry.Value);
            }

            foreach (var entry in FreeDimensionOverrides)
            {
                using var name = new NativeUtf8(entry.Key);
                NativeApi.Check(
                    NativeApi.AddFreeDimensionOverrideByName(o, name.Pointer, entry.Value),
                    $"AddFreeDimensionOverrideByName('{entry.Key}', {entry.Value.ToString(CultureInfo.InvariantCulture)})");
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static unsafe void AddEntry(nint options, string key, string value)
    {
        using var k = new NativeUtf8(key);
        using var v = new NativeUtf8(value);
        NativeApi.Check(NativeApi.AddSessionConfigEntry(options, k.Pointer, v.Pointer), $"AddSessionConfigEntry('{key}', '{value}')");
    }
}
