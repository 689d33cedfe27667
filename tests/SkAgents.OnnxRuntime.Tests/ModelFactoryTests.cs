using SkAgents.ModelFactory;

namespace SkAgents.OnnxRuntime.Tests;

public class ModelFactoryTests
{
    [Fact]
    public void Varints_and_field_tags_follow_the_protobuf_wire_format()
    {
        var w = new ProtoWriter();
        w.Int64(1, 300);          // tag 0x08, varint 300 = AC 02
        w.Int32(2, -1);           // negative int32: sign-extended to 10 bytes
        w.Float(2, 1.0f);         // tag (2<<3)|5 = 0x15, little-endian 0x3F800000
        w.String(8, "ab");        // tag (8<<3)|2 = 0x42
        byte[] expected =
        [
            0x08, 0xAC, 0x02,
            0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
            0x15, 0x00, 0x00, 0x80, 0x3F,
            0x42, 0x02, (byte)'a', (byte)'b',
        ];
        Assert.Equal(expected, w.WrittenSpan.ToArray());
    }

    [Fact]
    public void Model_starts_with_ir_version_and_producer()
    {
        var model = new OnnxModelBuilder { ProducerName = "p" };
        model.Graph.Input("X", OnnxDataType.Float, 1);
        model.Graph.Identity("X", "Y");
        model.Graph.Output("Y", OnnxDataType.Float, 1);
        byte[] bytes = model.ToBytes();
        Assert.Equal([0x08, 10, 0x12, 1, (byte)'p'], bytes[..5]);
    }

    [Fact]
    public void Tensor_factory_checks_dims_and_encodes_raw_little_endian()
    {
        var t = OnnxTensor.Create("t", new short[] { 1, -2 }, 2);
        Assert.Equal(OnnxDataType.Int16, t.DataType);
        Assert.Equal([1, 0, 0xFE, 0xFF], t.RawData.ToArray());
        Assert.Equal(OnnxDataType.Float16, OnnxTensor.Scalar("h", (Half)1).DataType);
        Assert.Empty(OnnxTensor.Scalar("s", 3L).Dims);
        Assert.Throws<ArgumentException>(() => OnnxTensor.Create("bad", new float[3], 2, 2));
    }

    [Fact]
    public void Duplicate_names_are_rejected_and_generated_names_are_unique()
    {
        var g = new OnnxGraphBuilder();
        g.Input("X", OnnxDataType.Float, 2);
        Assert.Throws<InvalidOperationException>(() => g.Input("X", OnnxDataType.Float, 2));
        string a = g.Relu("X");
        string b = g.Relu("X");
        Assert.NotEqual(a, b);
        Assert.Equal(2, g.Nodes.Count);
        Assert.Equal("Relu", g.Nodes[0].OpType);
    }

    [Fact]
    public void Contrib_domain_opset_and_metadata_are_written_and_accepted_by_ort()
    {
        var model = new OnnxModelBuilder("gelu").Opset(21).Opset("com.microsoft", 1).Metadata("purpose", "test");
        var g = model.Graph;
        g.Input("X", OnnxDataType.Float, "n");
        g.Op("FastGelu", ["X"], "Y", domain: "com.microsoft");
        g.Output("Y", OnnxDataType.Float, "n");
        Assert.Equal(2, model.Opsets.Count);

        using var session = InferenceSession.FromBytes(model.ToBytes());
        using var x = OrtValue.CreateTensor(new float[] { 0, 10 }, [2]);
        using var outputs = session.Run(["X"], [x], ["Y"]);
        var y = outputs[0].ToArray<float>();
        Assert.Equal(0f, y[0]);
        Assert.Equal(10f, y[1], 3);
    }

    [Fact]
    public void Softmax_concat_reshape_and_layer_norm_helpers_build_a_working_graph()
    {
        var model = new OnnxModelBuilder("helpers");
        var g = model.Graph;
        g.Input("A", OnnxDataType.Float, 1, 2);
        g.Input("B", OnnxDataType.Float, 1, 2);
        string cat = g.Concat(["A", "B"], 1);                 // [1,4]
        string flat = g.Reshape(cat, [2, 2]);                 // [2,2]
        g.Softmax(flat, -1, "S");
        g.Initializer("gamma", new float[] { 1, 1 }, 2);
        g.LayerNormalization(flat, "gamma", output: "L");
        g.Output("S", OnnxDataType.Float, 2, 2);
        g.Output("L", OnnxDataType.Float, 2, 2);

        using var session = InferenceSession.FromBytes(model.ToBytes());
        using var a = OrtValue.CreateTensor(new float[] { 0, 0 }, [1, 2]);
        using var b = OrtValue.CreateTensor(new float[] { 1, 3 }, [1, 2]);
        using var outputs = session.Run(["A", "B"], [a, b], ["S", "L"]);
        var s = outputs["S"].ToArray<float>();
        Assert.Equal(0.5f, s[0], 6);
        Assert.Equal(0.5f, s[1], 6);
        Assert.Equal(1f / (1f + MathF.Exp(2)), s[2], 6);
        var l = outputs["L"].ToArray<float>();
        Assert.Equal(0f, l[0], 6);
        Assert.Equal(-1f, l[2], 3);
        Assert.Equal(1f, l[3], 3);
    }

    [Fact]
    public void Loop_with_a_graph_attribute_runs()
    {
        // sum = sum + 1 for trip_count iterations: checks graph attributes (subgraph bodies).
        var body = new OnnxGraphBuilder("body");
        body.Input("i", OnnxDataType.Int64);
        body.Input("cond_in", OnnxDataType.Bool);
        body.Input("sum_in", OnnxDataType.Float, 1);
        body.Identity("cond_in", "cond_out");
        body.Add("sum_in", body.Constant(OnnxTensor.Create("", new float[] { 1 }, 1)), "sum_out");
        body.Output("cond_out", OnnxDataType.Bool);
        body.Output("sum_out", OnnxDataType.Float, 1);

        var model = new OnnxModelBuilder("loop");
        var g = model.Graph;
        g.Input("trip", OnnxDataType.Int64);
        g.Input("start", OnnxDataType.Float, 1);
        g.Initializer(OnnxTensor.Scalar("cond", true));
        g.Node("Loop", ["trip", "cond", "start"], ["total"]).Attr("body", body);
        g.Output("total", OnnxDataType.Float, 1);

        using var session = InferenceSession.FromBytes(model.ToBytes());
        using var trip = OrtValue.CreateTensor(new long[] { 7 }, []);
        using var start = OrtValue.CreateTensor(new float[] { 0.5f }, [1]);
        using var outputs = session.Run(["trip", "start"], [trip, start], ["total"]);
        Assert.Equal([7.5f], outputs[0].ToArray<float>());
    }
}
