namespace SkAgents.ModelFactory;

/// <summary>
/// Builds a ModelProto around one <see cref="OnnxGraphBuilder"/> and writes it as a .onnx file.
/// Defaults: ir_version 10, opset ai.onnx 21 (add "com.microsoft" with <see cref="Opset(string, long)"/> for ORT contrib ops).
/// </summary>
/// <example>
/// <code>
/// var model = new OnnxModelBuilder("affine");
/// var g = model.Graph;
/// g.Input("X", OnnxDataType.Float, "batch", 2);
/// g.Initializer("W", new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
/// g.Initializer("B", new float[] { 1, 1, 1 }, 3);
/// g.Add(g.MatMul("X", "W"), "B", "Y");
/// g.Output("Y", OnnxDataType.Float, "batch", 3);
/// model.Save(path);
/// </code>
/// </example>
public sealed class OnnxModelBuilder : IProtoMessage
{
    private readonly Dictionary<string, long> _opsets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Creates a model builder.</summary>
    /// <param name="graphName">Name of the main graph.</param>
    public OnnxModelBuilder(string graphName = "main")
    {
        Graph = new OnnxGraphBuilder(graphName);
    }

    /// <summary>The main graph.</summary>
    public OnnxGraphBuilder Graph { get; }

    /// <summary>ONNX IR version (default 10).</summary>
    public long IrVersion { get; set; } = 10;

    /// <summary>producer_name.</summary>
    public string ProducerName { get; set; } = "SkAgents.ModelFactory";

    /// <summary>producer_version.</summary>
    public string ProducerVersion { get; set; } = "1.0";

    /// <summary>model domain.</summary>
    public string? Domain { get; set; }

    /// <summary>model_version.</summary>
    public long ModelVersion { get; set; } = 1;

    /// <summary>doc_string.</summary>
    public string? DocString { get; set; }

    /// <summary>Opsets by domain ("" = ai.onnx). If none is set, ai.onnx 21 is written.</summary>
    public IReadOnlyDictionary<string, long> Opsets => _opsets;

    /// <summary>Sets the opset version of a domain.</summary>
    /// <param name="domain">"" for ai.onnx, "com.microsoft" for ORT contrib ops.</param>
    /// <param name="version">Version.</param>
    /// <returns>This builder.</returns>
    public OnnxModelBuilder Opset(string domain, long version)
    {
        ArgumentNullException.ThrowIfNull(domain);
        _opsets[domain] = version;
        return this;
    }

    /// <summary>Sets the ai.onnx opset version.</summary>
    /// <param name="version">Version.</param>
    /// <returns>This builder.</returns>
    public OnnxModelBuilder Opset(long version) => Opset(string.Empty, version);

    /// <summary>Adds a metadata_props entry.</summary>
    /// <param name="key">Key.</param>
    /// <param name="value">Value.</param>
    /// <returns>This builder.</returns>
    public OnnxModelBuilder Metadata(string key, string value)
    {
        _metadata[key] = value;
        return this;
    }

    /// <summary>Serializes the ModelProto.</summary>
    /// <returns>The bytes of a .onnx file.</returns>
    public byte[] ToBytes()
    {
        var writer = new ProtoWriter();
        ((IProtoMessage)this).WriteTo(writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the model to a file (creating its folder).</summary>
    /// <param name="path">Target path.</param>
    /// <returns>The full path written.</returns>
    public string Save(string path)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        File.WriteAllBytes(full, ToBytes());
        return full;
    }

    void IProtoMessage.WriteTo(ProtoWriter writer)
    {
        writer.Int64(1, IrVersion); // ir_version
        writer.String(2, ProducerName); // producer_name
        writer.String(3, ProducerVersion); // producer_version
        if (Domain is not null)
        {
            writer.String(4, Domain); // domain
        }

        writer.Int64(5, ModelVersion); // model_version
        if (DocString is not null)
        {
            writer.String(6, DocString); // doc_string
        }

        writer.Message(7, Graph); // graph
        var opsets = _opsets.Count == 0 ? new Dictionary<string, long> { [string.Empty] = 21 } : _opsets;
        foreach (var opset in opsets)
        {
            writer.Message(8, new OpsetId(opset.Key, opset.Value)); // opset_import
        }

        foreach (var entry in _metadata)
        {
            writer.Message(14, new StringEntry(entry.Key, entry.Value)); // metadata_props
        }
    }

    private sealed class OpsetId(string domain, long version) : IProtoMessage
    {
        public void WriteTo(ProtoWriter writer)
        {
            writer.String(1, domain); // domain
            writer.Int64(2, version); // version
        }
    }

    private sealed class StringEntry(string key, string value) : IProtoMessage
    {
        public void WriteTo(ProtoWriter writer)
        {
            writer.String(1, key); // key
            writer.String(2, value); // value
        }
    }
}
