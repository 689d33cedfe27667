using System.Globalization;

namespace SkAgents.ModelFactory;

/// <summary>
/// Builds a GraphProto: inputs, outputs, initializers, nodes. Op helpers return the name of their output
/// (generated unless given), so graphs compose: <c>g.Add(g.MatMul("X", "W"), "B", "Y")</c>.
/// Also usable for subgraphs (Loop/If bodies) through <see cref="OnnxNode.Attr(string, OnnxGraphBuilder)"/>.
/// </summary>
public sealed class OnnxGraphBuilder : IProtoMessage
{
    private readonly List<OnnxNode> _nodes = [];
    private readonly List<OnnxValueInfo> _inputs = [];
    private readonly List<OnnxValueInfo> _outputs = [];
    private readonly List<OnnxValueInfo> _valueInfos = [];
    private readonly List<OnnxTensor> _initializers = [];
    private readonly HashSet<string> _usedNames = new(StringComparer.Ordinal);
    private int _counter;

    /// <summary>Creates a graph builder.</summary>
    /// <param name="name">Graph name.</param>
    public OnnxGraphBuilder(string name = "graph")
    {
        Name = name;
    }

    /// <summary>Graph name.</summary>
    public string Name { get; set; }

    /// <summary>Graph doc string.</summary>
    public string? DocString { get; set; }

    /// <summary>Nodes in insertion order (must be topologically sorted, as ONNX requires).</summary>
    public IReadOnlyList<OnnxNode> Nodes => _nodes;

    /// <summary>Graph inputs.</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs => _inputs;

    /// <summary>Graph outputs.</summary>
    public IReadOnlyList<OnnxValueInfo> Outputs => _outputs;

    /// <summary>Initializers.</summary>
    public IReadOnlyList<OnnxTensor> Initializers => _initializers;

    /// <summary>Adds a graph input.</summary>
    /// <param name="name">Name.</param>
    /// <param name="elementType">Element type.</param>
    /// <param name="shape">Dimensions: numbers, symbolic names (strings), or <see cref="OnnxDim.Unknown"/>; none for a scalar.</param>
    /// <returns>The input name.</returns>
    public string Input(string name, OnnxDataType elementType, params OnnxDim[] shape)
    {
        _inputs.Add(new OnnxValueInfo(Reserve(name), elementType, shape));
        return name;
    }

    /// <summary>Adds a graph output.</summary>
    /// <param name="name">Name of a value produced by a node.</param>
    /// <param name="elementType">Element type.</param>
    /// <param name="shape">Dimensions; none for a scalar.</param>
    /// <returns>The output name.</returns>
    public string Output(string name, OnnxDataType elementType, params OnnxDim[] shape)
    {
        _outputs.Add(new OnnxValueInfo(name, elementType, shape));
        return name;
    }

    /// <summary>Adds a graph output of unknown rank.</summary>
    /// <param name="name">Name of a value produced by a node.</param>
    /// <param name="elementType">Element type.</param>
    /// <returns>The output name.</returns>
    public string OutputWithoutShape(string name, OnnxDataType elementType)
    {
        _outputs.Add(new OnnxValueInfo(name, elementType, null));
        return name;
    }

    /// <summary>Declares the type and shape of an intermediate value (value_info).</summary>
    /// <param name="name">Value name.</param>
    /// <param name="elementType">Element type.</param>
    /// <param name="shape">Dimensions.</param>
    /// <returns>This builder.</returns>
    public OnnxGraphBuilder ValueInfo(string name, OnnxDataType elementType, params OnnxDim[] shape)
    {
        _valueInfos.Add(new OnnxValueInfo(name, elementType, shape));
        return this;
    }

    /// <summary>Adds an initializer (a constant weight).</summary>
    /// <param name="tensor">The tensor; its name is the value name.</param>
    /// <returns>The initializer name.</returns>
    public string Initializer(OnnxTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Name.Length == 0)
        {
            throw new ArgumentException("Initializers need a name.", nameof(tensor));
        }

        Reserve(tensor.Name);
        _initializers.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds an initializer from values.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="name">Name.</param>
    /// <param name="values">Values, row-major.</param>
    /// <param name="dims">Dimensions.</param>
    /// <returns>The initializer name.</returns>
    public string Initializer<T>(string name, T[] values, params long[] dims)
        where T : unmanaged => Initializer(OnnxTensor.Create(name, values, dims));

    /// <summary>Adds a node. Prefer the op helpers for common operators.</summary>
    /// <param name="opType">Operator type.</param>
    /// <param name="inputs">Input names ("" for an omitted optional input).</param>
    /// <param name="outputs">Output names.</param>
    /// <param name="domain">Operator domain ("" for ai.onnx, "com.microsoft" for contrib ops).</param>
    /// <param name="name">Node name; generated if null.</param>
    /// <returns>The node, for adding attributes.</returns>
    public OnnxNode Node(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string domain = "", string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        var node = new OnnxNode(opType, [.. inputs], [.. outputs], name ?? Reserve(UniqueName(opType)), domain);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Adds a single-output node whose output name is generated unless given.</summary>
    /// <param name="opType">Operator type.</param>
    /// <param name="inputs">Input names.</param>
    /// <param name="output">Output name, or null to generate one.</param>
    /// <param name="domain">Operator domain.</param>
    /// <returns>The node (its <see cref="OnnxNode.Output"/> is the output name).</returns>
    public OnnxNode Op(string opType, IEnumerable<string> inputs, string? output = null, string domain = "")
    {
        string nodeName = Reserve(UniqueName(opType));
        return Node(opType, inputs, [output ?? Reserve(nodeName + "_out")], domain, nodeName);
    }

    /// <summary>A fresh value name with the given prefix.</summary>
    /// <param name="prefix">Prefix.</param>
    /// <returns>A name not used yet in this graph (reserved when an input, initializer or node uses it).</returns>
    public string UniqueName(string prefix)
    {
        string name;
        do
        {
            name = $"{prefix}_{_counter++}";
        }
        while (_usedNames.Contains(name));

        return name;
    }

    /// <summary>Y = A @ B.</summary>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string MatMul(string a, string b, string? output = null) => Op("MatMul", [a, b], output).Output;

    /// <summary>Y = A + B (broadcasting).</summary>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Add(string a, string b, string? output = null) => Op("Add", [a, b], output).Output;

    /// <summary>Y = A - B (broadcasting).</summary>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Sub(string a, string b, string? output = null) => Op("Sub", [a, b], output).Output;

    /// <summary>Y = A * B (broadcasting).</summary>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Mul(string a, string b, string? output = null) => Op("Mul", [a, b], output).Output;

    /// <summary>Y = A / B (broadcasting).</summary>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Div(string a, string b, string? output = null) => Op("Div", [a, b], output).Output;

    /// <summary>Gathers slices of <paramref name="data"/> along <paramref name="axis"/> (embedding lookup with axis 0).</summary>
    /// <param name="data">Data.</param>
    /// <param name="indices">Indices (int64 or int32).</param>
    /// <param name="axis">Axis.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Gather(string data, string indices, long axis = 0, string? output = null) =>
        Op("Gather", [data, indices], output).Attr("axis", axis).Output;

    /// <summary>Softmax along <paramref name="axis"/>.</summary>
    /// <param name="input">Input.</param>
    /// <param name="axis">Axis (default last).</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Softmax(string input, long axis = -1, string? output = null) =>
        Op("Softmax", [input], output).Attr("axis", axis).Output;

    /// <summary>Concatenates along <paramref name="axis"/>.</summary>
    /// <param name="inputs">Inputs.</param>
    /// <param name="axis">Axis.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Concat(IEnumerable<string> inputs, long axis, string? output = null) =>
        Op("Concat", inputs, output).Attr("axis", axis).Output;

    /// <summary>Reshapes to a constant shape (an int64 initializer is added for it).</summary>
    /// <param name="input">Input.</param>
    /// <param name="shape">Target shape (0 copies a dimension, -1 infers one).</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Reshape(string input, long[] shape, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        string shapeName = Initializer(OnnxTensor.Create(UniqueName("shape"), shape, shape.Length));
        return Op("Reshape", [input, shapeName], output).Output;
    }

    /// <summary>Reshapes to a shape given by another value.</summary>
    /// <param name="input">Input.</param>
    /// <param name="shape">Name of an int64 1-D value.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Reshape(string input, string shape, string? output = null) => Op("Reshape", [input, shape], output).Output;

    /// <summary>Transposes with a permutation.</summary>
    /// <param name="input">Input.</param>
    /// <param name="perm">Permutation.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Transpose(string input, long[] perm, string? output = null) =>
        Op("Transpose", [input], output).Attr("perm", perm).Output;

    /// <summary>Casts to another element type.</summary>
    /// <param name="input">Input.</param>
    /// <param name="to">Target type.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Cast(string input, OnnxDataType to, string? output = null) =>
        Op("Cast", [input], output).Attr("to", (long)to).Output;

    /// <summary>A Constant node holding <paramref name="value"/>.</summary>
    /// <param name="value">The tensor.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Constant(OnnxTensor value, string? output = null) =>
        Op("Constant", [], output).Attr("value", value).Output;

    /// <summary>Identity.</summary>
    /// <param name="input">Input.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Identity(string input, string? output = null) => Op("Identity", [input], output).Output;

    /// <summary>Rectified linear unit.</summary>
    /// <param name="input">Input.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Relu(string input, string? output = null) => Op("Relu", [input], output).Output;

    /// <summary>Hyperbolic tangent.</summary>
    /// <param name="input">Input.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Tanh(string input, string? output = null) => Op("Tanh", [input], output).Output;

    /// <summary>Logistic sigmoid.</summary>
    /// <param name="input">Input.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Sigmoid(string input, string? output = null) => Op("Sigmoid", [input], output).Output;

    /// <summary>Inserts size-1 axes (axes given as an int64 initializer, opset 13+).</summary>
    /// <param name="input">Input.</param>
    /// <param name="axes">Axes.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string Unsqueeze(string input, long[] axes, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(axes);
        string axesName = Initializer(OnnxTensor.Create(UniqueName("axes"), axes, axes.Length));
        return Op("Unsqueeze", [input, axesName], output).Output;
    }

    /// <summary>Layer normalization over the last axes (opset 17+).</summary>
    /// <param name="input">Input.</param>
    /// <param name="scale">Scale (gamma).</param>
    /// <param name="bias">Bias (beta), or null.</param>
    /// <param name="axis">First normalized axis.</param>
    /// <param name="epsilon">Epsilon.</param>
    /// <param name="output">Output name (optional).</param>
    /// <returns>Output name.</returns>
    public string LayerNormalization(string input, string scale, string? bias = null, long axis = -1, float epsilon = 1e-5f, string? output = null) =>
        Op("LayerNormalization", bias is null ? [input, scale] : [input, scale, bias], output).Attr("axis", axis).Attr("epsilon", epsilon).Output;

    void IProtoMessage.WriteTo(ProtoWriter writer)
    {
        foreach (var node in _nodes)
        {
            writer.Message(1, node); // node
        }

        writer.String(2, Name); // name
        foreach (var initializer in _initializers)
        {
            writer.Message(5, initializer); // initializer
        }

        if (DocString is not null)
        {
            writer.String(10, DocString); // doc_string
        }

        foreach (var input in _inputs)
        {
            writer.Message(11, input); // input
        }

        foreach (var output in _outputs)
        {
            writer.Message(12, output); // output
        }

        foreach (var info in _valueInfos)
        {
            writer.Message(13, info); // value_info
        }
    }

    private string Reserve(string name)
    {
        if (!_usedNames.Add(name))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The name '{name}' is already used in graph '{Name}'."));
        }

        return name;
    }
}
