namespace SkAgents.OnnxRuntime.Tests;

public class ConcurrencyTests
{
    private static readonly string[] X = ["X"];
    private static readonly string[] Y = ["Y"];

    [Fact]
    public void Concurrent_runs_on_one_session_give_correct_results()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        var failures = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, thread =>
        {
            var x = new float[8];
            var y = new float[6];
            using var input = OrtValue.CreateTensor(x, [2, 4]);
            using var output = OrtValue.CreateTensor(y, [2, 3]);
            for (int i = 0; i < 200; i++)
            {
                for (int k = 0; k < x.Length; k++)
                {
                    x[k] = (thread * 1000) + (i * 10) + k;
                }

                if (i % 2 == 0)
                {
                    session.Run(X, [input], Y, [output]);
                    if (!TestModels.ExpectedAffine(x).AsSpan().SequenceEqual(y))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                else
                {
                    using var outputs = session.Run(X, [input], Y);
                    if (!TestModels.ExpectedAffine(x).AsSpan().SequenceEqual(outputs[0].GetTensorSpan<float>()))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }
        });
        Assert.Equal(0, failures);
    }
}

public class AllocationTests
{
    private static readonly string[] X = ["X"];
    private static readonly string[] Y = ["Y"];

    [Fact]
    public void Steady_state_run_with_preallocated_outputs_allocates_nothing()
    {
        using var session = new InferenceSession(TestModels.AffineModel, new SessionOptions { IntraOpNumThreads = 1 });
        var x = new float[] { 1, 2, 3, 4 };
        var y = new float[3];
        using var input = OrtValue.CreateTensor(x, [1, 4]);
        using var output = OrtValue.CreateTensor(y, [1, 3]);
        var inputs = new[] { input };
        var outputs = new[] { output };
        using var cts = new CancellationTokenSource();

        for (int i = 0; i < 20; i++)
        {
            session.Run(X, inputs, Y, outputs);
            session.Run(X, inputs, Y, outputs, cancellationToken: cts.Token);
        }

        long plain = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
        {
            x[0] = i;
            session.Run(X, inputs, Y, outputs);
            _ = output.GetTensorSpan<float>()[0];
        }

        plain = GC.GetAllocatedBytesForCurrentThread() - plain;

        long cancellable = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
        {
            session.Run(X, inputs, Y, outputs, cancellationToken: cts.Token);
        }

        cancellable = GC.GetAllocatedBytesForCurrentThread() - cancellable;

        Assert.Equal(0, plain);
        Assert.Equal(0, cancellable);
        Assert.Equal(TestModels.ExpectedAffine(x), y);
    }
}
