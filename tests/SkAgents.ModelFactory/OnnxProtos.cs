using System.Runtime.InteropServices;

namespace SkAgents.ModelFactory;

/// <summary>ONNX TensorProto.DataType (same numbers as ONNX Runtime's element types).</summary>
public enum OnnxDataType
{
    /// <summary>Undefined.</summary>
    Undefined = 0,

    /// <summary>float32.</summary>
    Float = 1,

    /// <summary>uint8.</summary>
    UInt8 = 2,

    /// <summary>int8.</summary>
    Int8 = 3,

    /// <summary>uint16.</summary>
    UInt16 = 4,

    /// <summary>int16.</summary>
    Int16 = 5,

    /// <summary>int32.</summary>
    Int32 = 6,

    /// <summary>int64.</summary>
    Int64 = 7,

    /// <summary>string.</summary>
    String = 8,

    /// <summary>bool.</summary>
    Bool = 9,

    /// <summary>float16.</summary>
    Float16 = 10,

    /// <summary>float64.</summary>
    Double = 11,

    /// <summary>uint32.</summary>
    UInt32 = 12,

    /// <summary>uint64.</summary>
    UInt64 = 13,

    /// <summary>bfloat16.</summary>
    BFloat16 = 16,
}

/// <summary>One dimension of a tensor shape: a fixed value, a symbolic name (dim_param), or unknown.</summary>
public readonly record struct OnnxDim
{
    private OnnxDim(long? value, string? param)
    {
        Value = value;
        Param = param;
    }

    /// <summary>A dimension with neither value nor name.</summary>
    public static OnnxDim Unknown => default;

    /// <summary>The fixed size (dim_value), if any.</summary>
    public long? Value { get; }

    /// <summary>The symbolic name (dim_param), if any.</summary>
    public string? Param { get; }

    /// <summary>A fixed dimension.</summary>
    /// <param name="value">Size.</param>
    public static implicit operator OnnxDim(long value) => new(value, null);

    /// <summary>A fixed dimension.</summary>
    /// <param name="value">Size.</param>
    public static implicit operator OnnxDim(int value) => new(value, null);

    /// <summary>A symbolic dimension.</summary>
    /// <param name="param">Name.</param>
    public static implicit operator OnnxDim(string param) => new(null, param);

    /// <summary>A fixed dimension.</summary>
    /// <param name="value">Size.</param>
    /// <returns>The dimension.</returns>
    public static OnnxDim FromInt64(long value) => new(value, null);

    /// <summary>A symbolic dimension.</summary>
    /// <param name="param">Name.</param>
    /// <returns>The dimension.</returns>
    public static OnnxDim FromString(string param) => new(null, param);
}

/// <summary>A TensorProto with its data in raw_data (little-endian).</summary>
public sealed class OnnxTensor : IProtoMessage
{
    private readonly byte[] _rawData;

    private OnnxTensor(string name, OnnxDataType dataType, long[] dims, byte[] rawData)
    {
        Name = name;
        DataType = dataType;
        Dims = dims;
        _rawData = rawData;
    }

    /// <summary>Tensor name (the initializer name; may be empty for attribute tensors).</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public OnnxDataType DataType { get; }

    /// <summary>Dimensions (empty for a scalar).</summary>
    public IReadOnlyList<long> Dims { get; }

    /// <summary>The raw little-endian bytes.</summary>
    public ReadOnlyMemory<byte> RawData => _rawData;

    /// <summary>Creates a tensor from values (float, double, Half, long, int, short, sbyte, byte, bool, ...).</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="name">Tensor name.</param>
    /// <param name="values">Values in row-major order.</param>
    /// <param name="dims">Dimensions; their product must equal the number of values.</param>
    /// <returns>The tensor.</returns>
    public static OnnxTensor Create<T>(string name, ReadOnlySpan<T> values, params long[] dims)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dims);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("raw_data is little-endian; big-endian hosts are not supported.");
        }

        long count = 1;
        foreach (long d in dims)
        {
            count *= d;
        }

        if (count != values.Length)
        {
            throw new ArgumentException($"Tensor '{name}': dims [{string.Join(",", dims)}] need {count} values, got {values.Length}.", nameof(values));
        }

        return new OnnxTensor(name, DataTypeOf<T>(), (long[])dims.Clone(), MemoryMarshal.AsBytes(values).ToArray());
    }

    /// <summary>Creates a tensor from an array.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="name">Tensor name.</param>
    /// <param name="values">Values in row-major order.</param>
    /// <param name="dims">Dimensions.</param>
    /// <returns>The tensor.</returns>
    public static OnnxTensor Create<T>(string name, T[] values, params long[] dims)
        where T : unmanaged => Create(name, new ReadOnlySpan<T>(values), dims);

    /// <summary>Creates a scalar (rank 0) tensor.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="name">Tensor name.</param>
    /// <param name="value">The value.</param>
    /// <returns>The tensor.</returns>
    public static OnnxTensor Scalar<T>(string name, T value)
        where T : unmanaged => Create(name, new ReadOnlySpan<T>(in value), []);

    /// <summary>Creates a tensor from already-encoded little-endian bytes.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="dataType">Element type.</param>
    /// <param name="rawData">Raw bytes.</param>
    /// <param name="dims">Dimensions.</param>
    /// <returns>The tensor.</returns>
    public static OnnxTensor FromRaw(string name, OnnxDataType dataType, ReadOnlySpan<byte> rawData, params long[] dims) =>
        new(name, dataType, (long[])dims.Clone(), rawData.ToArray());

    /// <summary>A copy with another name.</summary>
    /// <param name="name">The new name.</param>
    /// <returns>The renamed tensor.</returns>
    public OnnxTensor WithName(string name) => new(name, DataType, (long[])Dims, _rawData);

    /// <summary>The ONNX data type for <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">A CLR element type.</typeparam>
    /// <returns>The data type.</returns>
    public static OnnxDataType DataTypeOf<T>()
        where T : unmanaged
    {
        return typeof(T) switch
        {
            var t when t == typeof(float) => OnnxDataType.Float,
            var t when t == typeof(long) => OnnxDataType.Int64,
            var t when t == typeof(int) => OnnxDataType.Int32,
            var t when t == typeof(byte) => OnnxDataType.UInt8,
            var t when t == typeof(sbyte) => OnnxDataType.Int8,
            var t when t == typeof(Half) => OnnxDataType.Float16,
            var t when t == typeof(double) => OnnxDataType.Double,
            var t when t == typeof(bool) => OnnxDataType.Bool,
            var t when t == typeof(short) => OnnxDataType.Int16,
            var t when t == typeof(ushort) => OnnxDataType.UInt16,
            var t when t == typeof(uint) => OnnxDataType.UInt32,
            var t when t == typeof(ulong) => OnnxDataType.UInt64,
            _ => throw new NotSupportedException($"{typeof(T)} has no ONNX data type."),
        };
    }

    void IProtoMessage.WriteTo(ProtoWriter writer)
    {
        foreach (long d in Dims)
        {
            writer.Int64(1, d); // dims
        }

        writer.Int32(2, (int)DataType); // data_type
        if (Name.Length > 0)
        {
            writer.String(8, Name); // name
        }

        writer.Bytes(9, _rawData); // raw_data
    }
}

/// <summary>An AttributeProto.</summary>
public sealed class OnnxAttribute : IProtoMessage
{
    private readonly object _value;

    private OnnxAttribute(string name, OnnxAttributeType type, object value)
    {
        Name = name;
        Type = type;
        _value = value;
    }

    /// <summary>Attribute name.</summary>
    public string Name { get; }

    /// <summary>Attribute type.</summary>
    public OnnxAttributeType Type { get; }

    /// <summary>A float attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute Float(string name, float value) => new(name, OnnxAttributeType.Float, value);

    /// <summary>An int attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute Int(string name, long value) => new(name, OnnxAttributeType.Int, value);

    /// <summary>A string attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute String(string name, string value) => new(name, OnnxAttributeType.String, value);

    /// <summary>A tensor attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute Tensor(string name, OnnxTensor value) => new(name, OnnxAttributeType.Tensor, value);

    /// <summary>A graph attribute (e.g. a Loop or If body).</summary>
    /// <param name="name">Name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute Graph(string name, OnnxGraphBuilder value) => new(name, OnnxAttributeType.Graph, value);

    /// <summary>A floats attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="values">Values.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute Floats(string name, params float[] values) => new(name, OnnxAttributeType.Floats, values.Clone());

    /// <summary>An ints attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="values">Values.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, OnnxAttributeType.Ints, values.Clone());

    /// <summary>A strings attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="values">Values.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute Strings(string name, params string[] values) => new(name, OnnxAttributeType.Strings, values.Clone());

    void IProtoMessage.WriteTo(ProtoWriter writer)
    {
        writer.String(1, Name); // name
        switch (_value)
        {
            case float f:
                writer.Float(2, f); // f
                break;
            case long i:
                writer.Int64(3, i); // i
                break;
            case string s:
                writer.String(4, s); // s (bytes)
                break;
            case OnnxTensor t:
                writer.Message(5, t); // t
                break;
            case OnnxGraphBuilder g:
                writer.Message(6, g); // g
                break;
            case float[] floats:
                foreach (float f in floats)
                {
                    writer.Float(7, f); // floats
                }

                break;
            case long[] ints:
                foreach (long i in ints)
                {
                    writer.Int64(8, i); // ints
                }

                break;
            case string[] strings:
                foreach (string s in strings)
                {
                    writer.String(9, s); // strings
                }

                break;
        }

        writer.Int32(20, (int)Type); // type
    }
}

/// <summary>AttributeProto.AttributeType.</summary>
public enum OnnxAttributeType
{
    /// <summary>Undefined.</summary>
    Undefined = 0,

    /// <summary>float.</summary>
    Float = 1,

    /// <summary>int64.</summary>
    Int = 2,

    /// <summary>string.</summary>
    String = 3,

    /// <summary>tensor.</summary>
    Tensor = 4,

    /// <summary>graph.</summary>
    Graph = 5,

    /// <summary>floats.</summary>
    Floats = 6,

    /// <summary>ints.</summary>
    Ints = 7,

    /// <summary>strings.</summary>
    Strings = 8,
}

/// <summary>A NodeProto; add attributes fluently.</summary>
public sealed class OnnxNode : IProtoMessage
{
    private readonly List<OnnxAttribute> _attributes = [];

    internal OnnxNode(string opType, string[] inputs, string[] outputs, string name, string domain)
    {
        OpType = opType;
        Inputs = inputs;
        Outputs = outputs;
        Name = name;
        Domain = domain;
    }

    /// <summary>Operator type, e.g. "MatMul".</summary>
    public string OpType { get; }

    /// <summary>Input names ("" for an omitted optional input).</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Output names.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>Node name.</summary>
    public string Name { get; }

    /// <summary>Operator domain ("" = ai.onnx, "com.microsoft" for ORT contrib ops).</summary>
    public string Domain { get; }

    /// <summary>The first output name.</summary>
    public string Output => Outputs[0];

    /// <summary>Attributes.</summary>
    public IReadOnlyList<OnnxAttribute> Attributes => _attributes;

    /// <summary>Adds an attribute.</summary>
    /// <param name="attribute">The attribute.</param>
    /// <returns>This node.</returns>
    public OnnxNode Attr(OnnxAttribute attribute)
    {
        _attributes.Add(attribute);
        return this;
    }

    /// <summary>Adds an int attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="value">Value.</param>
    /// <returns>This node.</returns>
    public OnnxNode Attr(string name, long value) => Attr(OnnxAttribute.Int(name, value));

    /// <summary>Adds a float attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="value">Value.</param>
    /// <returns>This node.</returns>
    public OnnxNode Attr(string name, float value) => Attr(OnnxAttribute.Float(name, value));

    /// <summary>Adds a string attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="value">Value.</param>
    /// <returns>This node.</returns>
    public OnnxNode Attr(string name, string value) => Attr(OnnxAttribute.String(name, value));

    /// <summary>Adds a tensor attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="value">Value.</param>
    /// <returns>This node.</returns>
    public OnnxNode Attr(string name, OnnxTensor value) => Attr(OnnxAttribute.Tensor(name, value));

    /// <summary>Adds a graph attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="value">Value.</param>
    /// <returns>This node.</returns>
    public OnnxNode Attr(string name, OnnxGraphBuilder value) => Attr(OnnxAttribute.Graph(name, value));

    /// <summary>Adds an ints attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="values">Values.</param>
    /// <returns>This node.</returns>
    public OnnxNode Attr(string name, long[] values) => Attr(OnnxAttribute.Ints(name, values));

    /// <summary>Adds a floats attribute.</summary>
    /// <param name="name">Name.</param>
    /// <param name="values">Values.</param>
    /// <returns>This node.</returns>
    public OnnxNode Attr(string name, float[] values) => Attr(OnnxAttribute.Floats(name, values));

    void IProtoMessage.WriteTo(ProtoWriter writer)
    {
        foreach (string input in Inputs)
        {
            writer.String(1, input); // input
        }

        foreach (string output in Outputs)
        {
            writer.String(2, output); // output
        }

        writer.String(3, Name); // name
        writer.String(4, OpType); // op_type
        foreach (var attribute in _attributes)
        {
            writer.Message(5, attribute); // attribute
        }

        if (Domain.Length > 0)
        {
            writer.String(7, Domain); // domain
        }
    }
}

/// <summary>A ValueInfoProto for a tensor: name, element type and shape.</summary>
public sealed class OnnxValueInfo : IProtoMessage
{
    internal OnnxValueInfo(string name, OnnxDataType elementType, OnnxDim[]? shape)
    {
        Name = name;
        ElementType = elementType;
        Shape = shape;
    }

    /// <summary>Value name.</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public OnnxDataType ElementType { get; }

    /// <summary>Shape, or null for unknown rank.</summary>
    public IReadOnlyList<OnnxDim>? Shape { get; }

    void IProtoMessage.WriteTo(ProtoWriter writer)
    {
        writer.String(1, Name); // name
        writer.Message(2, new TypeProto(this)); // type
    }

    private sealed class TypeProto(OnnxValueInfo info) : IProtoMessage
    {
        public void WriteTo(ProtoWriter writer) => writer.Message(1, new TensorTypeProto(info)); // tensor_type
    }

    private sealed class TensorTypeProto(OnnxValueInfo info) : IProtoMessage
    {
        public void WriteTo(ProtoWriter writer)
        {
            writer.Int32(1, (int)info.ElementType); // elem_type
            if (info.Shape is not null)
            {
                writer.Message(2, new ShapeProto(info.Shape)); // shape
            }
        }
    }

    private sealed class ShapeProto(IReadOnlyList<OnnxDim> dims) : IProtoMessage
    {
        public void WriteTo(ProtoWriter writer)
        {
            foreach (var dim in dims)
            {
                writer.Message(1, new DimensionProto(dim)); // dim
            }
        }
    }

    private sealed class DimensionProto(OnnxDim dim) : IProtoMessage
    {
        public void WriteTo(ProtoWriter writer)
        {
            if (dim.Value is { } value)
            {
                writer.Int64(1, value); // dim_value
            }
            else if (dim.Param is { } param)
            {
                writer.String(2, param); // dim_param
            }
        }
    }
}
