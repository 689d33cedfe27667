using System.Buffers;
using System.Runtime.InteropServices;

namespace SkAgents.OnnxRuntime.Native;

/// <summary>Debug counters for leak tests: live ORT handles and live pins of caller memory.</summary>
internal static class OrtDiagnostics
{
    private static long s_liveHandles;
    private static long s_livePins;

    /// <summary>ORT objects created through this binding and not yet released.</summary>
    internal static long LiveHandles => Interlocked.Read(ref s_liveHandles);

    /// <summary>Pinned caller buffers (tensors over <see cref="Memory{T}"/>) not yet unpinned.</summary>
    internal static long LivePins => Interlocked.Read(ref s_livePins);

    internal static void HandleCreated() => Interlocked.Increment(ref s_liveHandles);

    internal static void HandleReleased() => Interlocked.Decrement(ref s_liveHandles);

    internal static void PinCreated() => Interlocked.Increment(ref s_livePins);

    internal static void PinReleased() => Interlocked.Decrement(ref s_livePins);
}

/// <summary>
/// Base of every ORT object handle. Release is idempotent and runs exactly once (SafeHandle semantics),
/// also from the finalizer. The process-wide OrtEnv is never released, so a finalizer never calls into
/// ORT after the environment is gone; objects that depend on another (session on env, binding on session)
/// hold a reference count on it.
/// </summary>
internal abstract class OrtHandle : SafeHandle
{
    protected OrtHandle(nint handle)
        : base(0, ownsHandle: true)
    {
        SetHandle(handle);
        OrtDiagnostics.HandleCreated();
    }

    public override bool IsInvalid => handle == 0;

    protected sealed override bool ReleaseHandle()
    {
        try
        {
            Release(handle);
        }
        finally
        {
            OrtDiagnostics.HandleReleased();
        }

        return true;
    }

    protected abstract void Release(nint value);
}

internal sealed unsafe class EnvHandle(nint handle) : OrtHandle(handle)
{
    protected override void Release(nint value) => NativeApi.ReleaseEnv(value);
}

internal sealed unsafe class SessionOptionsHandle(nint handle) : OrtHandle(handle)
{
    protected override void Release(nint value) => NativeApi.ReleaseSessionOptions(value);
}

internal sealed unsafe class TypeInfoHandle(nint handle) : OrtHandle(handle)
{
    protected override void Release(nint value) => NativeApi.ReleaseTypeInfo(value);
}

internal sealed unsafe class TensorTypeAndShapeInfoHandle(nint handle) : OrtHandle(handle)
{
    protected override void Release(nint value) => NativeApi.ReleaseTensorTypeAndShapeInfo(value);
}

internal sealed unsafe class RunOptionsHandle(nint handle) : OrtHandle(handle)
{
    protected override void Release(nint value) => NativeApi.ReleaseRunOptions(value);
}

/// <summary>An OrtSession. Keeps the environment alive and owns the cached UTF-8 input/output names.</summary>
internal sealed unsafe class SessionHandle : OrtHandle
{
    private readonly EnvHandle _env;
    private nint[] _names = [];

    internal SessionHandle(nint handle, EnvHandle env)
        : base(handle)
    {
        bool added = false;
        env.DangerousAddRef(ref added);
        _env = env;
    }

    /// <summary>Registers native UTF-8 strings freed together with the session.</summary>
    internal void OwnNames(nint[] names) => _names = names;

    protected override void Release(nint value)
    {
        try
        {
            NativeApi.ReleaseSession(value);
        }
        finally
        {
            foreach (nint name in _names)
            {
                NativeMemory.Free((void*)name);
            }

            _names = [];
            _env.DangerousRelease();
        }
    }
}

/// <summary>
/// An OrtIoBinding. Keeps its session alive, and holds a reference on every bound value so that their
/// memory stays pinned until the native binding is released (also when only finalized).
/// </summary>
internal sealed unsafe class IoBindingHandle : OrtHandle
{
    private readonly SessionHandle _session;

    internal Dictionary<string, ValueHandle> Inputs { get; } = new(StringComparer.Ordinal);

    internal Dictionary<string, ValueHandle> Outputs { get; } = new(StringComparer.Ordinal);

    internal IoBindingHandle(nint handle, SessionHandle session)
        : base(handle)
    {
        bool added = false;
        session.DangerousAddRef(ref added);
        _session = session;
    }

    protected override void Release(nint value)
    {
        try
        {
            NativeApi.ReleaseIoBinding(value);
        }
        finally
        {
            foreach (var bound in Inputs.Values)
            {
                bound.DangerousRelease();
            }

            foreach (var bound in Outputs.Values)
            {
                bound.DangerousRelease();
            }

            Inputs.Clear();
            Outputs.Clear();
            _session.DangerousRelease();
        }
    }
}

/// <summary>
/// An OrtValue. When it wraps caller memory, it owns the pin (and optionally an owner object) and
/// releases them only after ORT has released the value, so ORT never sees unpinned memory.
/// </summary>
internal sealed unsafe class ValueHandle : OrtHandle
{
    private MemoryHandle _pin;
    private bool _pinned;
    private IDisposable? _owner;

    internal ValueHandle(nint handle)
        : base(handle)
    {
    }

    internal ValueHandle(nint handle, MemoryHandle pin, IDisposable? owner)
        : base(handle)
    {
        _pin = pin;
        _pinned = true;
        _owner = owner;
        OrtDiagnostics.PinCreated();
    }

    internal ValueHandle(nint handle, IDisposable? owner)
        : base(handle)
    {
        _owner = owner;
    }

    protected override void Release(nint value)
    {
        try
        {
            NativeApi.ReleaseValue(value);
        }
        finally
        {
            if (_pinned)
            {
                _pin.Dispose();
                _pinned = false;
                OrtDiagnostics.PinReleased();
            }

            _owner?.Dispose();
            _owner = null;
        }
    }
}
