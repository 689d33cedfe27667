using SkAgents.OnnxRuntime.Native;

namespace SkAgents.OnnxRuntime;

/// <summary>
/// Binds inputs and outputs of a session once and runs it repeatedly (OrtIoBinding). Bound values are kept
/// alive (and their memory pinned) until they are re-bound, cleared, or the binding is disposed.
/// Create with <see cref="InferenceSession.CreateIoBinding"/>; run with <see cref="InferenceSession.RunWithBinding"/>.
/// </summary>
public sealed unsafe class IoBinding : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ValueHandle> _inputs;
    private readonly Dictionary<string, ValueHandle> _outputs;
    private readonly IoBindingHandle _handle;
    private volatile bool _disposed;

    internal IoBinding(InferenceSession session, IoBindingHandle handle)
    {
        Session = session;
        _handle = handle;
        _inputs = handle.Inputs;
        _outputs = handle.Outputs;
    }

    /// <summary>The session this binding belongs to.</summary>
    public InferenceSession Session { get; }

    /// <summary>Whether the binding has been disposed.</summary>
    public bool IsDisposed => _disposed;

    internal IoBindingHandle Handle => _handle;

    /// <summary>Binds an input value.</summary>
    /// <param name="name">Input name.</param>
    /// <param name="value">The value.</param>
    public void BindInput(string name, OrtValue value) => Bind(name, value, _inputs, input: true);

    /// <summary>Binds a pre-allocated output value; ORT writes into it.</summary>
    /// <param name="name">Output name.</param>
    /// <param name="value">The value.</param>
    public void BindOutput(string name, OrtValue value) => Bind(name, value, _outputs, input: false);

    /// <summary>Binds an output that ORT allocates in CPU memory on each run (BindOutputToDevice).</summary>
    /// <param name="name">Output name.</param>
    public void BindOutputToCpu(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        using var n = new NativeUtf8(name);
        lock (_gate)
        {
            bool added = false;
            _handle.DangerousAddRef(ref added);
            try
            {
                NativeApi.Check(NativeApi.BindOutputToDevice(_handle.DangerousGetHandle(), n.Pointer, NativeApi.CpuMemoryInfo), $"BindOutputToDevice('{name}')");
            }
            finally
            {
                _handle.DangerousRelease();
            }

            if (_outputs.Remove(name, out var previous))
            {
                previous.DangerousRelease();
            }
        }
    }

    /// <summary>Removes all bound inputs.</summary>
    public void ClearBoundInputs() => Clear(_inputs, input: true);

    /// <summary>Removes all bound outputs.</summary>
    public void ClearBoundOutputs() => Clear(_outputs, input: false);

    /// <summary>The output values of the last run, in binding order; the caller owns (disposes) them.</summary>
    /// <returns>The values (named "0", "1", ... in binding order).</returns>
    public OrtValueList GetOutputValues()
    {
        nint* values = null;
        nuint count = 0;
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            NativeApi.Check(NativeApi.GetBoundOutputValues(_handle.DangerousGetHandle(), NativeApi.DefaultAllocator, &values, &count), "GetBoundOutputValues");
        }
        finally
        {
            _handle.DangerousRelease();
        }

        var result = new OrtValue[(int)count];
        var names = new string[result.Length];
        try
        {
            for (int i = 0; i < result.Length; i++)
            {
                result[i] = OrtValue.FromOwnedHandle(values[i]);
                names[i] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        finally
        {
            if (values != null)
            {
                NativeApi.Check(NativeApi.AllocatorFree(NativeApi.DefaultAllocator, values));
            }
        }

        return new OrtValueList(names, result);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            // The handle releases the native binding first, then the values it referenced.
            _disposed = true;
            _handle.Dispose();
        }
    }

    private static void ReleaseAll(Dictionary<string, ValueHandle> bound)
    {
        foreach (var value in bound.Values)
        {
            value.DangerousRelease();
        }

        bound.Clear();
    }

    private void Bind(string name, OrtValue value, Dictionary<string, ValueHandle> bound, bool input)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var n = new NativeUtf8(name);
        lock (_gate)
        {
            bool valueAdded = false;
            value.LiveHandle.DangerousAddRef(ref valueAdded);
            bool added = false;
            try
            {
                _handle.DangerousAddRef(ref added);
                nint h = _handle.DangerousGetHandle();
                nint v = value.Handle.DangerousGetHandle();
                NativeApi.Check(
                    input ? NativeApi.BindInput(h, n.Pointer, v) : NativeApi.BindOutput(h, n.Pointer, v),
                    input ? $"BindInput('{name}')" : $"BindOutput('{name}')");
            }
            catch
            {
                value.Handle.DangerousRelease();
                throw;
            }
            finally
            {
                if (added)
                {
                    _handle.DangerousRelease();
                }
            }

            if (bound.Remove(name, out var previous))
            {
                previous.DangerousRelease();
            }

            bound[name] = value.Handle;
        }
    }

    private void Clear(Dictionary<string, ValueHandle> bound, bool input)
    {
        lock (_gate)
        {
            bool added = false;
            _handle.DangerousAddRef(ref added);
            try
            {
                if (input)
                {
                    NativeApi.ClearBoundInputs(_handle.DangerousGetHandle());
                }
                else
                {
                    NativeApi.ClearBoundOutputs(_handle.DangerousGetHandle());
                }
            }
            finally
            {
                _handle.DangerousRelease();
            }

            ReleaseAll(bound);
        }
    }
}
