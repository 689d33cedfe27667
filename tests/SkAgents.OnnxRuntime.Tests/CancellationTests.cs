using System.Diagnostics;

namespace SkAgents.OnnxRuntime.Tests;

public class CancellationTests
{
    private static readonly string[] X = ["X"];
    private static readonly string[] Y = ["Y"];

    [Fact]
    public async Task Long_run_is_terminated_promptly_when_the_token_fires()
    {
        using var session = new InferenceSession(TestModels.SlowModel, new SessionOptions { IntraOpNumThreads = 1 });
        using var input = OrtValue.CreateTensor(new float[512 * 512], [512, 512]);
        using var output = OrtValue.Allocate<float>([512, 512]);
        using var cts = new CancellationTokenSource();

        var started = new TaskCompletionSource();
        var run = Task.Run(() =>
        {
            started.SetResult();
            session.Run(X, [input], Y, [output], cancellationToken: cts.Token);
        });
        await started.Task;
        await Task.Delay(300);
        Assert.False(run.IsCompleted, "the slow model should still be running after 300 ms");

        var clock = Stopwatch.StartNew();
        cts.Cancel();
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        clock.Stop();

        Assert.Equal(cts.Token, ex.CancellationToken);
        var inner = Assert.IsType<OnnxRuntimeException>(ex.InnerException);
        Assert.Contains("terminate", inner.NativeMessage, StringComparison.OrdinalIgnoreCase);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"termination took {clock.Elapsed}");
    }

    [Fact]
    public void Session_and_run_options_are_usable_after_a_cancellation()
    {
        using var session = new InferenceSession(TestModels.SlowModel, new SessionOptions { IntraOpNumThreads = 1 });
        using var input = OrtValue.CreateTensor(new float[512 * 512], [512, 512]);
        using var output = OrtValue.Allocate<float>([512, 512]);
        using var runOptions = new RunOptions();
        runOptions.SetTag("cancel-test");

        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => session.Run(X, [input], Y, [output], runOptions, cts.Token));
        }

        Assert.False(runOptions.IsTerminateRequested);

        // The affine model runs fine with the same (reset) run options and with pooled ones.
        using var affine = new InferenceSession(TestModels.AffineModel);
        using var x = OrtValue.CreateTensor(new float[] { 1, 0, 0, 0 }, [1, 4]);
        using var y = OrtValue.Allocate<float>([1, 3]);
        affine.Run(X, [x], Y, [y], runOptions);
        Assert.Equal([1.5f, 1f, 5f], y.ToArray<float>());
        using var live = new CancellationTokenSource();
        affine.Run(X, [x], Y, [y], cancellationToken: live.Token);
        Assert.Equal([1.5f, 1f, 5f], y.ToArray<float>());
    }

    [Fact]
    public void Already_canceled_token_throws_without_running()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        var buffer = new float[3];
        using var x = OrtValue.CreateTensor(new float[] { 1, 0, 0, 0 }, [1, 4]);
        using var y = OrtValue.CreateTensor(buffer, [1, 3]);
        Assert.Throws<OperationCanceledException>(() => session.Run(X, [x], Y, [y], cancellationToken: new CancellationToken(true)));
        Assert.Equal(new float[3], buffer);
    }

    [Fact]
    public void Manual_terminate_through_run_options_fails_the_run_with_ort_error()
    {
        using var session = new InferenceSession(TestModels.AffineModel);
        using var x = OrtValue.CreateTensor(new float[4], [1, 4]);
        using var runOptions = new RunOptions();
        runOptions.Terminate();
        Assert.True(runOptions.IsTerminateRequested);
        var ex = Assert.Throws<OnnxRuntimeException>(() => session.Run(X, [x], Y, runOptions).Dispose());
        Assert.Contains("terminate", ex.NativeMessage, StringComparison.OrdinalIgnoreCase);

        runOptions.ResetTerminate();
        using var outputs = session.Run(X, [x], Y, runOptions);
        Assert.Equal([0.5f, -1f, 2f], outputs[0].ToArray<float>());
    }
}
