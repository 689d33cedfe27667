namespace SkAgents.OnnxRuntime;

/// <summary>Name, type and shape of a model input or output.</summary>
public sealed class NodeMetadata
{
    internal NodeMetadata(string name, OnnxValueType valueType, TensorElementType elementType, long[] shape, string[] symbolicDimensions)
    {
        Name = name;
        ValueType = valueType;
        ElementType = elementType;
        Shape = shape;
        SymbolicDimensions = symbolicDimensions;
    }

    /// <summary>The input or output name.</summary>
    public string Name { get; }

    /// <summary>The kind of value.</summary>
    public OnnxValueType ValueType { get; }

    /// <summary>Element type for tensors, otherwise <see cref="TensorElementType.Undefined"/>.</summary>
    public TensorElementType ElementType { get; }

    /// <summary>Dimensions; symbolic or unknown dimensions are -1.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Per dimension, the symbolic name (e.g. "batch") or an empty string for fixed/unnamed dimensions.</summary>
    public IReadOnlyList<string> SymbolicDimensions { get; }

    /// <summary>Whether the value is a tensor.</summary>
    public bool IsTensor => ValueType == OnnxValueType.Tensor;

    /// <inheritdoc />
    public override string ToString()
    {
        var dims = new string[Shape.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = Shape[i] >= 0 ? Shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture)
                : SymbolicDimensions[i].Length > 0 ? SymbolicDimensions[i] : "?";
        }

        return $"{Name}: {(IsTensor ? ElementType.ToString() : ValueType.ToString())}[{string.Join(",", dims)}]";
    }
}
