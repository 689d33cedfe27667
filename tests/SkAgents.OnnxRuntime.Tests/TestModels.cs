using SkAgents.ModelFactory;

namespace SkAgents.OnnxRuntime.Tests;

/// <summary>Models written by the factory into a per-process temp folder.</summary>
internal static class TestModels
{
    public static readonly float[] AffineW = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; // [4,3]
    public static readonly float[] AffineB = [0.5f, -1, 2];

    private static readonly Lazy<string> Folder = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), "skagents-ort-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, true);
            }
            catch (IOException)
            {
            }
        };
        return dir;
    });

    private static readonly Lazy<string> AffinePath = new(() => Affine().Save(Path.Combine(Folder.Value, "affine.onnx")));
    private static readonly Lazy<string> EmbeddingPath = new(() => Embedding().Save(Path.Combine(Folder.Value, "embedding.onnx")));
    private static readonly Lazy<string> SlowPath = new(() => SlowChain(400, 512).Save(Path.Combine(Folder.Value, "slow.onnx")));
    private static readonly Lazy<string> AttributesPath = new(() => Attributes().Save(Path.Combine(Folder.Value, "attributes.onnx")));
    private static readonly Lazy<string> InitializerTypesPath = new(() => InitializerTypes().Save(Path.Combine(Folder.Value, "initializer-types.onnx")));

    public static string Dir => Folder.Value;

    /// <summary>Y[batch,3] = X[batch,4] @ W + B.</summary>
    public static string AffineModel => AffinePath.Value;

    /// <summary>Y[batch,seq,2] = Gather(table, ids) * scale; ids int64, scale float [1].</summary>
    public static string EmbeddingModel => EmbeddingPath.Value;

    /// <summary>400 chained 512x512 MatMuls: runs for many seconds.</summary>
    public static string SlowModel => SlowPath.Value;

    /// <summary>Uses tensor, ints, float, int, floats and string attributes.</summary>
    public static string AttributesModel => AttributesPath.Value;

    /// <summary>float16, uint8, int32 and int64 initializers cast to float and concatenated.</summary>
    public static string InitializerTypesModel => InitializerTypesPath.Value;

    public static float[] ExpectedAffine(float[] x)
    {
        int batch = x.Length / 4;
        var y = new float[batch * 3];
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < 3; j++)
            {
                float sum = AffineB[j];
                for (int k = 0; k < 4; k++)
                {
                    sum += x[(b * 4) + k] * AffineW[(k * 3) + j];
                }

                y[(b * 3) + j] = sum;
            }
        }

        return y;
    }

    public static OnnxModelBuilder Affine(long irVersion = 10, long opset = 21)
    {
        var model = new OnnxModelBuilder("affine") { IrVersion = irVersion }.Opset(opset);
        var g = model.Graph;
        g.Input("X", OnnxDataType.Float, "batch", 4);
        g.Initializer("W", AffineW, 4, 3);
        g.Initializer("B", AffineB, 3);
        g.Add(g.MatMul("X", "W"), "B", "Y");
        g.Output("Y", OnnxDataType.Float, "batch", 3);
        return model;
    }

    public static OnnxModelBuilder Embedding(long irVersion = 10, long opset = 21)
    {
        var model = new OnnxModelBuilder("embedding") { IrVersion = irVersion }.Opset(opset);
        var g = model.Graph;
        g.Input("ids", OnnxDataType.Int64, "batch", "seq");
        g.Input("scale", OnnxDataType.Float, 1);
        g.Initializer("table", new float[] { 0, 0, 1, 10, 2, 20, 3, 30, 4, 40 }, 5, 2);
        g.Mul(g.Gather("table", "ids"), "scale", "Y");
        g.Output("Y", OnnxDataType.Float, "batch", "seq", 2);
        return model;
    }

    public static OnnxModelBuilder SlowChain(int steps, int size, long irVersion = 10, long opset = 21)
    {
        var model = new OnnxModelBuilder("slow") { IrVersion = irVersion }.Opset(opset);
        var g = model.Graph;
        g.Input("X", OnnxDataType.Float, size, size);
        var w = new float[size * size];
        for (int i = 0; i < size; i++)
        {
            w[(i * size) + i] = 1; // identity: values stay finite
        }

        g.Initializer("W", w, size, size);
        string current = "X";
        for (int i = 0; i < steps; i++)
        {
            current = g.MatMul(current, "W", i == steps - 1 ? "Y" : null);
        }

        g.Output("Y", OnnxDataType.Float, size, size);
        return model;
    }

    public static OnnxModelBuilder Attributes(long irVersion = 10, long opset = 21)
    {
        var model = new OnnxModelBuilder("attributes") { IrVersion = irVersion }.Opset(opset);
        var g = model.Graph;
        g.Input("X", OnnxDataType.Float, 2, 3);

        // tensor attribute (Constant.value) + ints attribute (Transpose.perm)
        string offset = g.Constant(OnnxTensor.Create("", new float[] { 1, 2 }, 1, 2));
        string transposed = g.Transpose("X", [1, 0]); // [3,2]
        string shifted = g.Add(transposed, offset); // [3,2]

        // float attribute (LeakyRelu.alpha)
        string leaky = g.Op("LeakyRelu", [shifted]).Attr("alpha", 0.5f).Output;

        // int attribute (Flatten.axis), output [1,6]
        string flat = g.Op("Flatten", [leaky]).Attr("axis", 0L).Output;
        g.Identity(flat, "T");
        g.Output("T", OnnxDataType.Float, 1, 6);

        // floats attribute (Constant.value_floats) + string attribute (Pad.mode)
        string seq = g.Op("Constant", []).Attr(OnnxAttribute.Floats("value_floats", 1, 2, 3)).Output;
        string pads = g.Initializer("pads", new long[] { 1, 1 }, 2);
        g.Op("Pad", [seq, pads], "P").Attr("mode", "reflect");
        g.Output("P", OnnxDataType.Float, 5);
        return model;
    }

    public static OnnxModelBuilder InitializerTypes(long irVersion = 10, long opset = 21)
    {
        var model = new OnnxModelBuilder("types") { IrVersion = irVersion }.Opset(opset);
        var g = model.Graph;
        g.Input("X", OnnxDataType.Float, 1);
        string h = g.Cast(g.Initializer("h", new Half[] { (Half)0.5f, (Half)(-2.25f) }, 2), OnnxDataType.Float);
        string u = g.Cast(g.Initializer("u", new byte[] { 7, 255 }, 2), OnnxDataType.Float);
        string i = g.Cast(g.Initializer("i", new int[] { -3, 100000 }, 2), OnnxDataType.Float);
        string l = g.Cast(g.Initializer("l", new long[] { -5, 1L << 40 }, 2), OnnxDataType.Float);
        g.Concat([h, u, i, l, "X"], 0, "Y");
        g.Output("Y", OnnxDataType.Float, 9);
        return model;
    }
}
