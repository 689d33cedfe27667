using SkAgents.ModelFactory;

namespace SkAgents.OnnxRuntime.Tests;

public class SessionTests
{
    private static readonly string[] X = ["X"];
    private static readonly string[] Y = ["Y"];

    [Fact]
    public void Affine_model_gives_exact_outputs()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        float[] x = [1, 0, 0, 0, 0, 1, 2, -1];
        using var input = OrtValue.CreateTensor(x, [2, 4]);
        using var outputs = session.Run(X, [input], Y);

        var y = outputs[0];
        Assert.Equal(TensorElementType.Float, y.ElementType);
        Assert.Equal([2L, 3L], y.Shape.ToArray());
        // Row 0 = W[0] + B = [1.5, 1, 5]; row 1 = W[1] + 2 W[2] - W[3] + B = [8, 10, 12] + B = [8.5, 9, 14]
        Assert.Equal([1.5f, 1f, 5f, 8.5f, 9f, 14f], y.ToArray<float>());
        Assert.Equal(TestModels.ExpectedAffine(x), y.ToArray<float>());
    }

    [Fact]
    public void Metadata_reports_names_types_and_symbolic_dimensions()
    {
        using var session = new InferenceSession(TestModels.EmbeddingModel);
        Assert.Equal(["ids", "scale"], session.InputNames);
        Assert.Equal(["Y"], session.OutputNames);

        var ids = session.InputMetadata[0];
        Assert.Equal(TensorElementType.Int64, ids.ElementType);
        Assert.Equal(OnnxValueType.Tensor, ids.ValueType);
        Assert.Equal([-1L, -1L], ids.Shape);
        Assert.Equal(["batch", "seq"], ids.SymbolicDimensions);

        var scale = session.InputMetadata[1];
        Assert.Equal(TensorElementType.Float, scale.ElementType);
        Assert.Equal([1L], scale.Shape);
        Assert.Equal([string.Empty], scale.SymbolicDimensions);

        var y = session.OutputMetadata[0];
        Assert.Equal([-1L, -1L, 2L], y.Shape);
        Assert.Equal(["batch", "seq", string.Empty], y.SymbolicDimensions);
        Assert.Equal("Y: Float[batch,seq,2]", y.ToString());
        Assert.Equal(1, session.GetInputIndex("scale"));
        Assert.Equal(-1, session.GetInputIndex("nope"));
        Assert.Equal(0, session.GetOutputIndex("Y"));
    }

    [Fact]
    public void Int64_and_float_inputs_are_fed_together()
    {
        using var session = new InferenceSession(TestModels.EmbeddingModel);
        using var ids = OrtValue.CreateTensor(new long[] { 4, 0, 2, 1, 3, 3 }, [2, 3]);
        using var scale = OrtValue.CreateTensor(new float[] { 0.5f }, [1]);
        using var outputs = session.Run(["ids", "scale"], [ids, scale], Y);

        Assert.Equal([2L, 3L, 2L], outputs["Y"].Shape.ToArray());
        Assert.Equal([2f, 20f, 0f, 0f, 1f, 10f, 0.5f, 5f, 1.5f, 15f, 1.5f, 15f], outputs["Y"].ToArray<float>());
    }

    [Fact]
    public void Tensors_over_caller_memory_are_not_copied()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        var x = new float[4];
        using var input = OrtValue.CreateTensor(x, [1, 4]);
        Assert.Equal(input.DataPointer, input.DataPointer);

        x[0] = 1;
        using (var first = session.Run(X, [input], Y))
        {
            Assert.Equal([1.5f, 1f, 5f], first[0].ToArray<float>());
        }

        // Mutate the managed array only: the OrtValue sees the change because it wraps the same memory.
        x[0] = 0;
        x[3] = 1;
        using (var second = session.Run(X, [input], Y))
        {
            Assert.Equal([10.5f, 10f, 14f], second[0].ToArray<float>());
        }

        // And writes through the span land in the array.
        input.GetTensorSpan<float>()[1] = 2;
        Assert.Equal(2f, x[1]);
    }

    [Fact]
    public void Tensor_over_a_slice_of_memory_uses_that_slice()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        var buffer = new float[] { 99, 99, 0, 1, 0, 0, 99 };
        using var input = OrtValue.CreateTensor(buffer.AsMemory(2, 4), [1, 4]);
        using var outputs = session.Run(X, [input], Y);
        Assert.Equal([4.5f, 4f, 8f], outputs[0].ToArray<float>());
    }

    [Fact]
    public void Preallocated_outputs_over_caller_memory_are_written_in_place()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        var x = new float[] { 1, 1, 1, 1 };
        var y = new float[3];
        using var input = OrtValue.CreateTensor(x, [1, 4]);
        using var output = OrtValue.CreateTensor(y, [1, 3]);

        session.Run(X, [input], Y, [output]);
        Assert.Equal(TestModels.ExpectedAffine(x), y);

        x[2] = -1;
        session.Run(X, [input], Y, [output]);
        Assert.Equal(TestModels.ExpectedAffine(x), y);
        Assert.Equal(y, output.ToArray<float>());
    }

    [Fact]
    public void Preallocated_ort_allocated_outputs_are_written_in_place()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        using var input = OrtValue.CreateTensor(new float[] { 0, 0, 1, 0, 0, 0, 0, 1 }, [2, 4]);
        using var output = OrtValue.Allocate<float>([2, 3]);
        nint before = output.DataPointer;
        Assert.All(output.ToArray<float>(), v => Assert.Equal(0f, v));

        session.Run(X, [input], Y, [output]);
        Assert.Equal(before, output.DataPointer);
        Assert.Equal([7.5f, 7f, 11f, 10.5f, 10f, 14f], output.GetTensorSpan<float>().ToArray());
    }

    [Fact]
    public void Preallocated_output_of_the_wrong_shape_is_rejected_by_ort()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        using var input = OrtValue.CreateTensor(new float[4], [1, 4]);
        using var output = OrtValue.Allocate<float>([1, 5]);
        var ex = Assert.Throws<OnnxRuntimeException>(() => session.Run(X, [input], Y, [output]));
        Assert.NotEqual(OrtErrorCode.Ok, ex.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(ex.NativeMessage));
    }

    [Fact]
    public void Dictionary_run_returns_every_output_and_model_loads_from_memory()
    {
        byte[] bytes = TestModels.Affine().ToBytes();
        using var session = InferenceSession.FromBytes(bytes);
        Assert.Null(session.ModelPath);
        using var input = OrtValue.CreateTensor(new float[] { 2, 0, 0, 0 }, [1, 4]);
        using var outputs = session.Run(new Dictionary<string, OrtValue> { ["X"] = input });
        Assert.Equal(["Y"], outputs.Names);
        Assert.Equal([2.5f, 3f, 8f], outputs["Y"].ToArray<float>());
        Assert.Throws<KeyNotFoundException>(() => outputs["Z"]);
    }

    [Fact]
    public void Every_attribute_kind_written_by_the_factory_is_understood_by_ort()
    {
        using var session = new InferenceSession(TestModels.AttributesModel);
        using var x = OrtValue.CreateTensor(new float[] { -4, 0, 1, 2, 3, -9 }, [2, 3]);
        using var outputs = session.Run(X, [x], ["T", "P"]);

        // Transpose -> [[-4,2],[0,3],[1,-9]] + [1,2] -> [[-3,4],[1,5],[2,-7]]; LeakyRelu(0.5); Flatten(axis 0)
        Assert.Equal([-1.5f, 4f, 1f, 5f, 2f, -3.5f], outputs["T"].ToArray<float>());
        Assert.Equal([1L, 6L], outputs["T"].Shape.ToArray());
        // Pad [1,2,3] by 1 on each side in reflect mode
        Assert.Equal([2f, 1f, 2f, 3f, 2f], outputs["P"].ToArray<float>());
    }

    [Fact]
    public void Float16_uint8_int32_and_int64_initializers_round_trip()
    {
        using var session = new InferenceSession(TestModels.InitializerTypesModel);
        using var x = OrtValue.CreateTensor(new float[] { 42 }, [1]);
        using var outputs = session.Run(X, [x], Y);
        Assert.Equal([0.5f, -2.25f, 7f, 255f, -3f, 100000f, -5f, 1099511627776f, 42f], outputs[0].ToArray<float>());
    }

    [Fact]
    public void Session_options_are_applied()
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.DisableAll,
            ExecutionMode = ExecutionMode.Parallel,
            AllowIntraOpSpinning = false,
            AllowInterOpSpinning = false,
            EnableCpuMemArena = false,
            EnableMemoryPattern = false,
            LogId = "options-test",
            LogSeverityLevel = OrtLoggingLevel.Error,
        };
        options.AddConfigEntry("session.use_env_allocators", "0");
        options.FreeDimensionOverrides["batch"] = 2;

        using var session = new InferenceSession(TestModels.AffineModel, options);
        Assert.Equal([2L, 4L], session.InputMetadata[0].Shape);

        float[] x = [1, 2, 3, 4, 5, 6, 7, 8];
        using var input = OrtValue.CreateTensor(x, [2, 4]);
        using var outputs = session.Run(X, [input], Y);
        Assert.Equal(TestModels.ExpectedAffine(x), outputs[0].ToArray<float>());

        // With the override, batch is fixed: another batch size is an error.
        using var wrong = OrtValue.CreateTensor(new float[4], [1, 4]);
        Assert.Throws<OnnxRuntimeException>(() => session.Run(X, [wrong], Y).Dispose());
    }

    [Fact]
    public void Invalid_session_option_values_surface_as_onnx_runtime_exceptions()
    {
        var options = new SessionOptions();
        options.AddConfigEntry(new string('k', 5000), "1");
        var ex = Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(TestModels.AffineModel, options).Dispose());
        Assert.Equal(OrtErrorCode.InvalidArgument, ex.ErrorCode);
        Assert.Contains("AddSessionConfigEntry", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new InferenceSession(TestModels.AffineModel, new SessionOptions { IntraOpNumThreads = -1 }));
    }

    [Fact]
    public void IoBinding_runs_with_bound_inputs_and_outputs()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        var x = new float[] { 1, 0, 0, 0 };
        var y = new float[3];
        using var input = OrtValue.CreateTensor(x, [1, 4]);
        using var output = OrtValue.CreateTensor(y, [1, 3]);
        using var binding = session.CreateIoBinding();
        binding.BindInput("X", input);
        binding.BindOutput("Y", output);

        session.RunWithBinding(binding);
        Assert.Equal([1.5f, 1f, 5f], y);

        x[0] = 0;
        x[1] = 1;
        session.RunWithBinding(binding);
        Assert.Equal([4.5f, 4f, 8f], y);

        binding.BindOutputToCpu("Y");
        session.RunWithBinding(binding);
        using var values = binding.GetOutputValues();
        Assert.Single(values);
        Assert.Equal([4.5f, 4f, 8f], values[0].ToArray<float>());
        Assert.Equal([1L, 3L], values[0].Shape.ToArray());

        binding.ClearBoundInputs();
        Assert.Throws<OnnxRuntimeException>(() => session.RunWithBinding(binding));
    }

    [Fact]
    public void IoBinding_keeps_bound_values_alive_after_the_caller_disposed_them()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        long pins = Native.OrtDiagnostics.LivePins;
        using var binding = session.CreateIoBinding();
        var input = OrtValue.CreateTensor(new float[] { 0, 0, 0, 1 }, [1, 4]);
        binding.BindInput("X", input);
        binding.BindOutputToCpu("Y");
        input.Dispose(); // the binding still holds it: memory stays pinned
        Assert.Equal(pins + 1, Native.OrtDiagnostics.LivePins);

        session.RunWithBinding(binding);
        using (var values = binding.GetOutputValues())
        {
            Assert.Equal([10.5f, 10f, 14f], values[0].ToArray<float>());
        }

        binding.Dispose();
        Assert.Equal(pins, Native.OrtDiagnostics.LivePins);
    }
}
