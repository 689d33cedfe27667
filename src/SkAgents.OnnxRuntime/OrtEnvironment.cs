using SkAgents.OnnxRuntime.Native;

namespace SkAgents.OnnxRuntime;

/// <summary>
/// The process-wide ONNX Runtime environment (OrtEnv): created lazily and thread-safely on first use,
/// never released (ORT requires the environment to outlive every session; sessions also hold a reference).
/// Call <see cref="Configure"/> before the first session to choose the log level and log id.
/// </summary>
public sealed class OrtEnvironment
{
    private static readonly Lock Gate = new();
    private static volatile OrtEnvironment? s_instance;
    private static OrtLoggingLevel s_level = OrtLoggingLevel.Warning;
    private static string s_logId = "SkAgents";

    private OrtEnvironment(EnvHandle handle, OrtLoggingLevel level, string logId)
    {
        Handle = handle;
        LoggingLevel = level;
        LogId = logId;
    }

    /// <summary>The environment, created on first access.</summary>
    public static OrtEnvironment Instance => s_instance ?? CreateInstance();

    /// <summary>Whether the environment has been created.</summary>
    public static bool IsCreated => s_instance is not null;

    /// <summary>The log severity threshold of ORT's default logger.</summary>
    public OrtLoggingLevel LoggingLevel { get; }

    /// <summary>The log id prefixed to ORT's log lines.</summary>
    public string LogId { get; }

    internal EnvHandle Handle { get; }

    /// <summary>Sets the logging level and log id used when the environment is created.</summary>
    /// <param name="loggingLevel">Log severity threshold.</param>
    /// <param name="logId">Log id.</param>
    /// <exception cref="InvalidOperationException">The environment already exists with different settings.</exception>
    public static void Configure(OrtLoggingLevel loggingLevel, string logId)
    {
        ArgumentException.ThrowIfNullOrEmpty(logId);
        lock (Gate)
        {
            if (s_instance is { } existing)
            {
                if (existing.LoggingLevel != loggingLevel || existing.LogId != logId)
                {
                    throw new InvalidOperationException(
                        $"The ONNX Runtime environment was already created (level {existing.LoggingLevel}, log id '{existing.LogId}'); configure it before the first session.");
                }

                return;
            }

            s_level = loggingLevel;
            s_logId = logId;
        }
    }

    private static unsafe OrtEnvironment CreateInstance()
    {
        lock (Gate)
        {
            if (s_instance is { } existing)
            {
                return existing;
            }

            NativeApi.EnsureInitialized();
            nint env;
            using (var logId = new NativeUtf8(s_logId))
            {
                NativeApi.Check(NativeApi.CreateEnv(s_level, logId.Pointer, &env), "Creating the ONNX Runtime environment");
            }

            var handle = new EnvHandle(env);
            var instance = new OrtEnvironment(handle, s_level, s_logId);
            s_instance = instance;
            return instance;
        }
    }
}
