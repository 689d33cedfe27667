using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SkAgents.OnnxRuntime.Native;

namespace SkAgents.OnnxRuntime;

/// <summary>
/// An ONNX Runtime value (OrtValue), in practice a dense CPU tensor. Three ways to make one:
/// <list type="bullet">
/// <item><description><see cref="CreateTensor{T}(Memory{T}, ReadOnlySpan{long})"/>: over caller memory, no copy; the memory stays pinned until the value is disposed.</description></item>
/// <item><description><see cref="CreateTensor(nint, long, TensorElementType, ReadOnlySpan{long}, IDisposable?)"/>: over a native buffer, no copy.</description></item>
/// <item><description><see cref="Allocate{T}(ReadOnlySpan{long})"/>: allocated (and zeroed) by ORT; read and write it with <see cref="GetTensorSpan{T}"/>.</description></item>
/// </list>
/// Values returned by <see cref="InferenceSession"/> runs are owned by the caller and must be disposed.
/// Disposal order relative to sessions does not matter.
/// </summary>
public sealed unsafe class OrtValue : IDisposable
{
    private static readonly void* EmptyBuffer = NativeMemory.AlignedAlloc(64, 64);

    private readonly ValueHandle _handle;
    private TensorElementType _elementType;
    private long[]? _shape;
    private long _elementCount = -1;
    private void* _data;
    private bool _dataKnown;
    private volatile bool _disposed;

    private OrtValue(ValueHandle handle, TensorElementType elementType, long[]? shape, long elementCount)
    {
        _handle = handle;
        _elementType = elementType;
        _shape = shape;
        _elementCount = shape is null ? -1 : elementCount;
    }

    /// <summary>Element type of the tensor.</summary>
    public TensorElementType ElementType
    {
        get
        {
            EnsureTensorInfo();
            return _elementType;
        }
    }

    /// <summary>Shape of the tensor.</summary>
    public ReadOnlySpan<long> Shape
    {
        get
        {
            EnsureTensorInfo();
            return _shape;
        }
    }

    /// <summary>Number of elements (product of the shape).</summary>
    public long ElementCount
    {
        get
        {
            EnsureTensorInfo();
            return _elementCount;
        }
    }

    /// <summary>Whether this value is a tensor.</summary>
    public bool IsTensor => ValueType == OnnxValueType.Tensor;

    /// <summary>The kind of value (tensor, sequence, map, ...).</summary>
    public OnnxValueType ValueType
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            OnnxValueType type;
            bool added = false;
            _handle.DangerousAddRef(ref added);
            try
            {
                NativeApi.Check(NativeApi.GetValueType(_handle.DangerousGetHandle(), &type), "GetValueType");
            }
            finally
            {
                _handle.DangerousRelease();
            }

            return type;
        }
    }

    /// <summary>Address of the tensor data (valid until the value is disposed).</summary>
    public nint DataPointer
    {
        get
        {
            EnsureData();
            return (nint)_data;
        }
    }

    /// <summary>Whether the value has been disposed.</summary>
    public bool IsDisposed => _disposed;

    internal ValueHandle Handle => _handle;

    /// <summary>The handle, after checking that this value was not disposed.</summary>
    internal ValueHandle LiveHandle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _handle;
        }
    }

    /// <summary>
    /// Creates a tensor over caller memory without copying. The memory is pinned until this value is
    /// disposed (or finalized); ORT reads and writes it in place, so changes to the buffer are visible to
    /// the next run and pre-allocated outputs are written straight into it.
    /// </summary>
    /// <typeparam name="T">Element type: float, double, Half, long, int, short, sbyte, byte, ulong, uint, ushort or bool.</typeparam>
    /// <param name="data">The buffer; it must hold at least the product of <paramref name="shape"/> elements.</param>
    /// <param name="shape">The tensor shape.</param>
    /// <returns>The value.</returns>
    public static OrtValue CreateTensor<T>(Memory<T> data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        var type = TensorTypes.Of<T>();
        long count = TensorTypes.ElementCount(shape);
        if (count > data.Length)
        {
            throw new ArgumentException(
                $"The shape [{string.Join(",", shape.ToArray())}] needs {count} elements but the buffer holds {data.Length}.", nameof(data));
        }

        NativeApi.EnsureInitialized();
        var pin = data.Pin();
        try
        {
            void* pointer = pin.Pointer == null ? EmptyBuffer : pin.Pointer;
            nint raw;
            fixed (long* dims = shape)
            {
                NativeApi.Check(
                    NativeApi.CreateTensorWithDataAsOrtValue(
                        NativeApi.CpuMemoryInfo, pointer, (nuint)(count * sizeof(T)), dims, (nuint)shape.Length, type, &raw),
                    "CreateTensorWithDataAsOrtValue");
            }

            var value = new OrtValue(new ValueHandle(raw, pin, owner: null), type, shape.ToArray(), count);
            value._data = pointer;
            value._dataKnown = true;
            return value;
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    /// <summary>Creates a tensor over an array without copying (see <see cref="CreateTensor{T}(Memory{T}, ReadOnlySpan{long})"/>).</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="data">The array.</param>
    /// <param name="shape">The tensor shape.</param>
    /// <returns>The value.</returns>
    public static OrtValue CreateTensor<T>(T[] data, ReadOnlySpan<long> shape)
        where T : unmanaged => CreateTensor(data.AsMemory(), shape);

    /// <summary>
    /// Creates a tensor over native memory without copying. The caller keeps the buffer alive and unmoved
    /// until the value is disposed; pass <paramref name="owner"/> to have it disposed together with the value.
    /// </summary>
    /// <param name="data">Address of the first element.</param>
    /// <param name="byteLength">Size of the buffer in bytes.</param>
    /// <param name="elementType">Element type.</param>
    /// <param name="shape">Tensor shape.</param>
    /// <param name="owner">Optional owner of the buffer, disposed after ORT released the value.</param>
    /// <returns>The value.</returns>
    public static OrtValue CreateTensor(nint data, long byteLength, TensorElementType elementType, ReadOnlySpan<long> shape, IDisposable? owner = null)
    {
        long count = TensorTypes.ElementCount(shape);
        long needed = count * TensorTypes.SizeOf(elementType);
        if (byteLength < needed)
        {
            throw new ArgumentException($"The shape needs {needed} bytes but the buffer holds {byteLength}.", nameof(byteLength));
        }

        if (data == 0 && needed > 0)
        {
            throw new ArgumentNullException(nameof(data));
        }

        NativeApi.EnsureInitialized();
        void* pointer = data == 0 ? EmptyBuffer : (void*)data;
        nint raw;
        fixed (long* dims = shape)
        {
            NativeApi.Check(
                NativeApi.CreateTensorWithDataAsOrtValue(
                    NativeApi.CpuMemoryInfo, pointer, (nuint)needed, dims, (nuint)shape.Length, elementType, &raw),
                "CreateTensorWithDataAsOrtValue");
        }

        var value = new OrtValue(new ValueHandle(raw, owner), elementType, shape.ToArray(), count);
        value._data = pointer;
        value._dataKnown = true;
        return value;
    }

    /// <summary>Creates a tensor whose memory ORT allocates (CreateTensorAsOrtValue); the contents are zeroed.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="shape">Tensor shape.</param>
    /// <returns>The value.</returns>
    public static OrtValue Allocate<T>(ReadOnlySpan<long> shape)
        where T : unmanaged => Allocate(TensorTypes.Of<T>(), shape);

    /// <summary>Creates a tensor whose memory ORT allocates (CreateTensorAsOrtValue); the contents are zeroed.</summary>
    /// <param name="elementType">Element type (not <see cref="TensorElementType.String"/>).</param>
    /// <param name="shape">Tensor shape.</param>
    /// <returns>The value.</returns>
    public static OrtValue Allocate(TensorElementType elementType, ReadOnlySpan<long> shape)
    {
        long count = TensorTypes.ElementCount(shape);
        long bytes = count * TensorTypes.SizeOf(elementType);
        NativeApi.EnsureInitialized();
        nint raw;
        fixed (long* dims = shape)
        {
            NativeApi.Check(
                NativeApi.CreateTensorAsOrtValue(NativeApi.DefaultAllocator, dims, (nuint)shape.Length, elementType, &raw),
                "CreateTensorAsOrtValue");
        }

        var value = new OrtValue(new ValueHandle(raw), elementType, shape.ToArray(), count);
        if (bytes > 0)
        {
            NativeMemory.Clear((void*)value.DataPointer, (nuint)bytes);
        }

        return value;
    }

    /// <summary>The tensor data as a span (no copy). Valid until the value is disposed.</summary>
    /// <typeparam name="T">Element type; must match <see cref="ElementType"/>.</typeparam>
    /// <returns>The span.</returns>
    public Span<T> GetTensorSpan<T>()
        where T : unmanaged
    {
        var expected = TensorTypes.Of<T>();
        EnsureTensorInfo();
        if (_elementType != expected)
        {
            ThrowTypeMismatch(expected);
        }

        EnsureData();
        return new Span<T>(_data, checked((int)_elementCount));
    }

    /// <summary>The tensor data as bytes (no copy). Valid until the value is disposed.</summary>
    /// <returns>The span.</returns>
    public Span<byte> GetTensorBytes()
    {
        EnsureTensorInfo();
        EnsureData();
        return new Span<byte>(_data, checked((int)(_elementCount * TensorTypes.SizeOf(_elementType))));
    }

    /// <summary>Copies the tensor data into a new array.</summary>
    /// <typeparam name="T">Element type; must match <see cref="ElementType"/>.</typeparam>
    /// <returns>The array.</returns>
    public T[] ToArray<T>()
        where T : unmanaged => GetTensorSpan<T>().ToArray();

    /// <inheritdoc />
    public void Dispose()
    {
        // The native value may live on while an IoBinding still references it; this object is done either way.
        _disposed = true;
        _handle.Dispose();
    }

    internal static OrtValue FromOwnedHandle(nint raw) => new(new ValueHandle(raw), TensorElementType.Undefined, null, -1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureTensorInfo()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_shape is null)
        {
            LoadTensorInfo();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LoadTensorInfo()
    {
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            nint v = _handle.DangerousGetHandle();
            OnnxValueType kind;
            NativeApi.Check(NativeApi.GetValueType(v, &kind), "GetValueType");
            if (kind != OnnxValueType.Tensor)
            {
                throw new InvalidOperationException($"The value is a {kind}, not a tensor.");
            }

            nint raw;
            NativeApi.Check(NativeApi.GetTensorTypeAndShape(v, &raw), "GetTensorTypeAndShape");
            using var info = new TensorTypeAndShapeInfoHandle(raw);
            TensorElementType type;
            NativeApi.Check(NativeApi.GetTensorElementType(raw, &type), "GetTensorElementType");
            nuint rank;
            NativeApi.Check(NativeApi.GetDimensionsCount(raw, &rank), "GetDimensionsCount");
            var shape = new long[(int)rank];
            fixed (long* dims = shape)
            {
                NativeApi.Check(NativeApi.GetDimensions(raw, dims, rank), "GetDimensions");
            }

            _elementType = type;
            _elementCount = TensorTypes.ElementCount(shape);
            _shape = shape;
        }
        finally
        {
            _handle.DangerousRelease();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureData()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_dataKnown)
        {
            LoadData();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LoadData()
    {
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            void* data;
            NativeApi.Check(NativeApi.GetTensorMutableData(_handle.DangerousGetHandle(), &data), "GetTensorMutableData");
            _data = data;
            _dataKnown = true;
        }
        finally
        {
            _handle.DangerousRelease();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowTypeMismatch(TensorElementType requested) =>
        throw new InvalidOperationException($"The tensor holds {_elementType} elements, not {requested}.");
}

/// <summary>Maps CLR element types to <see cref="TensorElementType"/> and back.</summary>
public static class TensorTypes
{
    /// <summary>The tensor element type for <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">float, double, Half, long, int, short, sbyte, byte, ulong, uint, ushort or bool.</typeparam>
    /// <returns>The element type.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TensorElementType Of<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return TensorElementType.Float;
        }

        if (typeof(T) == typeof(long))
        {
            return TensorElementType.Int64;
        }

        if (typeof(T) == typeof(int))
        {
            return TensorElementType.Int32;
        }

        if (typeof(T) == typeof(Half))
        {
            return TensorElementType.Float16;
        }

        if (typeof(T) == typeof(byte))
        {
            return TensorElementType.UInt8;
        }

        if (typeof(T) == typeof(sbyte))
        {
            return TensorElementType.Int8;
        }

        if (typeof(T) == typeof(double))
        {
            return TensorElementType.Double;
        }

        if (typeof(T) == typeof(bool))
        {
            return TensorElementType.Bool;
        }

        if (typeof(T) == typeof(short))
        {
            return TensorElementType.Int16;
        }

        if (typeof(T) == typeof(ushort))
        {
            return TensorElementType.UInt16;
        }

        if (typeof(T) == typeof(uint))
        {
            return TensorElementType.UInt32;
        }

        if (typeof(T) == typeof(ulong))
        {
            return TensorElementType.UInt64;
        }

        throw new NotSupportedException($"{typeof(T)} has no ONNX tensor element type.");
    }

    /// <summary>Size in bytes of one element.</summary>
    /// <param name="type">The element type.</param>
    /// <returns>The size in bytes.</returns>
    public static int SizeOf(TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Double or TensorElementType.Complex64 => 8,
        TensorElementType.UInt8 or TensorElementType.Int8 or TensorElementType.Bool => 1,
        TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Int16 or TensorElementType.UInt16 => 2,
        TensorElementType.Complex128 => 16,
        _ => throw new NotSupportedException($"Tensors of {type} are not supported by this binding."),
    };

    /// <summary>Product of the dimensions; throws for negative (symbolic) dimensions.</summary>
    /// <param name="shape">The shape.</param>
    /// <returns>The element count.</returns>
    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"A concrete tensor shape cannot contain negative dimensions ([{string.Join(",", shape.ToArray())}]).", nameof(shape));
            }

            count = checked(count * d);
        }

        return count;
    }
}
