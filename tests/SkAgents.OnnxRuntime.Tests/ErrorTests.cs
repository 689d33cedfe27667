namespace SkAgents.OnnxRuntime.Tests;

public class ErrorTests
{
    private static readonly string[] Y = ["Y"];

    [Fact]
    public void Wrong_input_name_gives_ort_error_naming_the_input()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        using var input = OrtValue.CreateTensor(new float[4], [1, 4]);
        var ex = Assert.Throws<OnnxRuntimeException>(() => session.Run(["Xx"], [input], Y).Dispose());
        Assert.Equal(OrtErrorCode.InvalidArgument, ex.ErrorCode);
        Assert.Contains("Xx", ex.NativeMessage, StringComparison.Ordinal); // ORT's own message names it
        Assert.Contains("'Xx' is not an input of the model (inputs: X)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_shape_gives_ort_error_naming_the_input()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        using var input = OrtValue.CreateTensor(new float[6], [2, 3]);
        var ex = Assert.Throws<OnnxRuntimeException>(() => session.Run(["X"], [input], Y).Dispose());
        Assert.Equal(OrtErrorCode.InvalidArgument, ex.ErrorCode);
        Assert.Contains("X", ex.NativeMessage, StringComparison.Ordinal);
        Assert.Contains("input 'X' has shape [2,3] but the model expects X: Float[batch,4]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_element_type_gives_ort_error_naming_the_input()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        using var input = OrtValue.CreateTensor(new long[4], [1, 4]);
        var ex = Assert.Throws<OnnxRuntimeException>(() => session.Run(["X"], [input], Y).Dispose());
        Assert.Equal(OrtErrorCode.InvalidArgument, ex.ErrorCode);
        Assert.Contains("input 'X' has element type Int64 but the model expects Float", ex.Message, StringComparison.Ordinal);
        Assert.Contains("tensor(int64)", ex.NativeMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_input_and_unknown_output_are_reported()
    {
        using var session = new InferenceSession(TestModels.EmbeddingModel);
        using var ids = OrtValue.CreateTensor(new long[] { 1 }, [1, 1]);
        var missing = Assert.Throws<OnnxRuntimeException>(() => session.Run(["ids"], [ids], Y).Dispose());
        Assert.Contains("input 'scale' was not provided", missing.Message, StringComparison.Ordinal);

        using var scale = OrtValue.CreateTensor(new float[] { 1 }, [1]);
        var unknown = Assert.Throws<OnnxRuntimeException>(() => session.Run(["ids", "scale"], [ids, scale], ["Z"]).Dispose());
        Assert.Contains("Z", unknown.NativeMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_model_file_gives_a_clear_error()
    {
        string path = Path.Combine(TestModels.Dir, "does-not-exist.onnx");
        var ex = Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(path));
        Assert.Equal(OrtErrorCode.NoSuchFile, ex.ErrorCode);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith($"Loading ONNX model '{path}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_model_file_gives_a_clear_error()
    {
        string path = Path.Combine(TestModels.Dir, "corrupt.onnx");
        File.WriteAllBytes(path, [0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 1, 2, 3, 0xDE, 0xAD, 0xBE, 0xEF]);
        var ex = Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(path));
        Assert.Equal(OrtErrorCode.InvalidProtobuf, ex.ErrorCode);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_graph_gives_a_clear_error()
    {
        var model = new ModelFactory.OnnxModelBuilder();
        var g = model.Graph;
        g.Input("X", ModelFactory.OnnxDataType.Float, 2);
        g.Op("NoSuchOperator", ["X"], "Y");
        g.Output("Y", ModelFactory.OnnxDataType.Float, 2);
        var ex = Assert.Throws<OnnxRuntimeException>(() => InferenceSession.FromBytes(model.ToBytes()));
        Assert.NotEqual(OrtErrorCode.Ok, ex.ErrorCode);
        Assert.Contains("NoSuchOperator", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Argument_errors_are_caught_before_calling_ort()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        using var input = OrtValue.CreateTensor(new float[4], [1, 4]);
        Assert.Throws<ArgumentException>(() => session.Run(["X", "X2"], [input], Y).Dispose());
        Assert.Throws<ArgumentException>(() => session.Run(["X"], [input], Y, []));
        Assert.Throws<ArgumentException>(() => OrtValue.CreateTensor(new float[3], [1, 4]));
        Assert.Throws<ArgumentException>(() => OrtValue.CreateTensor(new float[3], [-1, 3]));
        Assert.Throws<InvalidOperationException>(() => input.GetTensorSpan<long>());
    }
}
