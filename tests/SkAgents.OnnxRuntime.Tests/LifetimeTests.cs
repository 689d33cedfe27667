using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SkAgents.OnnxRuntime.Native;

namespace SkAgents.OnnxRuntime.Tests;

// Leak counters are process-wide: keep tests that measure them out of parallel collections.
[Collection(nameof(HandleCounting))]
public class LifetimeTests
{
    private static readonly string[] X = ["X"];
    private static readonly string[] Y = ["Y"];

    [Fact]
    public void Session_disposed_before_its_values_never_crashes()
    {
        var session = new InferenceSession(TestModels.AffineModel);
        var input = OrtValue.CreateTensor(new float[] { 1, 0, 0, 0 }, [1, 4]);
        var outputs = session.Run(X, [input], Y);
        session.Dispose();

        // ORT-allocated outputs outlive the session and stay readable.
        Assert.Equal([1.5f, 1f, 5f], outputs[0].ToArray<float>());
        outputs.Dispose();
        input.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Run(X, [input], Y).Dispose());
    }

    [Fact]
    public void Values_disposed_before_the_session_and_double_dispose_are_harmless()
    {
        var session = new InferenceSession(TestModels.AffineModel);
        var input = OrtValue.CreateTensor(new float[] { 1, 0, 0, 0 }, [1, 4]);
        var outputs = session.Run(X, [input], Y);
        input.Dispose();
        outputs.Dispose();
        outputs.Dispose();
        input.Dispose();
        session.Dispose();
        session.Dispose();

        Assert.True(input.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => input.GetTensorSpan<float>());
        Assert.Throws<ObjectDisposedException>(() => outputs[0].Shape.ToArray());
    }

    [Fact]
    public void Disposed_input_value_is_rejected_by_run()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        var input = OrtValue.CreateTensor(new float[4], [1, 4]);
        input.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Run(X, [input], Y).Dispose());
    }

    [Fact]
    public void Binding_keeps_its_session_alive_until_disposed()
    {
        var session = new InferenceSession(TestModels.AffineModel);
        var binding = session.CreateIoBinding();
        using var input = OrtValue.CreateTensor(new float[] { 0, 1, 0, 0 }, [1, 4]);
        binding.BindInput("X", input);
        binding.BindOutputToCpu("Y");
        session.Dispose(); // the binding holds a reference: the native session is still there
        Assert.Throws<ObjectDisposedException>(() => session.RunWithBinding(binding));
        binding.Dispose();
        binding.Dispose();
    }

    [Fact]
    public void Many_sessions_and_values_created_and_disposed_do_not_leak_handles()
    {
        _ = OrtEnvironment.Instance; // the env handle lives for the whole process
        SettleFinalizers();
        long handles = OrtDiagnostics.LiveHandles;
        long pins = OrtDiagnostics.LivePins;

        for (int i = 0; i < 50; i++)
        {
            using var session = new InferenceSession(TestModels.AffineModel, new SessionOptions { IntraOpNumThreads = 1 });
            for (int j = 0; j < 10; j++)
            {
                using var input = OrtValue.CreateTensor(new float[] { j, 0, 0, 0 }, [1, 4]);
                using var preallocated = OrtValue.Allocate<float>([1, 3]);
                using var runOptions = new RunOptions();
                using var cts = new CancellationTokenSource();
                session.Run(X, [input], Y, [preallocated], runOptions, cts.Token);
                using var outputs = session.Run(X, [input], Y, cancellationToken: cts.Token);
                Assert.Equal(preallocated.ToArray<float>(), outputs[0].ToArray<float>());
                using var binding = session.CreateIoBinding();
                binding.BindInput("X", input);
                binding.BindOutput("Y", preallocated);
                session.RunWithBinding(binding);
            }

            Assert.True(OrtDiagnostics.LiveHandles > handles);
        }

        Assert.Equal(handles, OrtDiagnostics.LiveHandles);
        Assert.Equal(pins, OrtDiagnostics.LivePins);
    }

    [Fact]
    public void Undisposed_values_are_released_by_the_finalizer()
    {
        _ = OrtEnvironment.Instance;
        SettleFinalizers();
        long handles = OrtDiagnostics.LiveHandles;
        long pins = OrtDiagnostics.LivePins;
        CreateAndDrop();
        for (int i = 0; i < 5 && (OrtDiagnostics.LiveHandles != handles || OrtDiagnostics.LivePins != pins); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.Equal(handles, OrtDiagnostics.LiveHandles);
        Assert.Equal(pins, OrtDiagnostics.LivePins);

        [MethodImpl(MethodImplOptions.NoInlining)]
        static void CreateAndDrop()
        {
            var session = new InferenceSession(TestModels.AffineModel);
            var input = OrtValue.CreateTensor(new float[] { 1, 2, 3, 4 }, [1, 4]);
            var outputs = session.Run(X, [input], Y);
            var binding = session.CreateIoBinding();
            binding.BindInput("X", input);
            Assert.Equal(4, outputs[0].ElementCount + 1);
            GC.KeepAlive(binding);
        }
    }

    [Fact]
    public unsafe void Native_buffer_tensor_disposes_its_owner_after_release()
    {
        var owner = new NativeBuffer(4 * sizeof(float));
        var span = new Span<float>((void*)owner.Pointer, 4);
        span.Clear();
        span[3] = 1;
        using (var session = new InferenceSession(TestModels.AffineModel))
        using (var input = OrtValue.CreateTensor(owner.Pointer, 16, TensorElementType.Float, [1, 4], owner))
        using (var outputs = session.Run(X, [input], Y))
        {
            Assert.Equal(owner.Pointer, input.DataPointer);
            Assert.Equal([10.5f, 10f, 14f], outputs[0].ToArray<float>());
            Assert.False(owner.Disposed);
        }

        Assert.True(owner.Disposed);
    }

    // Garbage left by other tests must be finalized before a baseline is taken.
    private static void SettleFinalizers()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    private sealed unsafe class NativeBuffer(int bytes) : IDisposable
    {
        public nint Pointer { get; } = (nint)NativeMemory.Alloc((nuint)bytes);

        public bool Disposed { get; private set; }

        public void Dispose()
        {
            NativeMemory.Free((void*)Pointer);
            Disposed = true;
        }
    }
}

[CollectionDefinition(nameof(HandleCounting), DisableParallelization = true)]
public sealed class HandleCounting
{
}
