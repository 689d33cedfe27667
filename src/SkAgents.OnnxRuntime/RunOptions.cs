using SkAgents.OnnxRuntime.Native;

namespace SkAgents.OnnxRuntime;

/// <summary>
/// Options for one or more <see cref="InferenceSession"/> runs (OrtRunOptions). Reusable; <see cref="Terminate"/>
/// makes runs using it stop as soon as possible. The session wires a run's CancellationToken to Terminate.
/// </summary>
public sealed class RunOptions : IDisposable
{
    private readonly RunOptionsHandle _handle;
    private volatile bool _terminateRequested;
    private volatile bool _disposed;

    /// <summary>Creates run options.</summary>
    public unsafe RunOptions()
    {
        NativeApi.EnsureInitialized();
        nint raw;
        NativeApi.Check(NativeApi.CreateRunOptions(&raw), "CreateRunOptions");
        _handle = new RunOptionsHandle(raw);
    }

    /// <summary>Whether <see cref="Terminate"/> was called and not reset.</summary>
    public bool IsTerminateRequested => _terminateRequested;

    /// <summary>Whether the options have been disposed.</summary>
    public bool IsDisposed => _disposed;

    internal RunOptionsHandle Handle => _handle;

    /// <summary>Sets the run tag (shown in ORT's logs).</summary>
    /// <param name="tag">The tag.</param>
    public unsafe void SetTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        using var t = new NativeUtf8(tag);
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            NativeApi.Check(NativeApi.RunOptionsSetRunTag(_handle.DangerousGetHandle(), t.Pointer), "RunOptionsSetRunTag");
        }
        finally
        {
            _handle.DangerousRelease();
        }
    }

    /// <summary>Adds a run config entry (AddRunConfigEntry).</summary>
    /// <param name="key">Config key.</param>
    /// <param name="value">Config value.</param>
    public unsafe void AddConfigEntry(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        using var k = new NativeUtf8(key);
        using var v = new NativeUtf8(value);
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            NativeApi.Check(NativeApi.AddRunConfigEntry(_handle.DangerousGetHandle(), k.Pointer, v.Pointer), $"AddRunConfigEntry('{key}')");
        }
        finally
        {
            _handle.DangerousRelease();
        }
    }

    /// <summary>Asks every run using these options to stop (RunOptionsSetTerminate). No-op after disposal.</summary>
    public unsafe void Terminate()
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            _terminateRequested = true;
            NativeApi.Check(NativeApi.RunOptionsSetTerminate(_handle.DangerousGetHandle()), "RunOptionsSetTerminate");
        }
        finally
        {
            _handle.DangerousRelease();
        }
    }

    /// <summary>Clears a previous <see cref="Terminate"/> so the options can be used again (RunOptionsUnsetTerminate).</summary>
    public unsafe void ResetTerminate()
    {
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            NativeApi.Check(NativeApi.RunOptionsUnsetTerminate(_handle.DangerousGetHandle()), "RunOptionsUnsetTerminate");
            _terminateRequested = false;
        }
        finally
        {
            _handle.DangerousRelease();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        _handle.Dispose();
    }
}
