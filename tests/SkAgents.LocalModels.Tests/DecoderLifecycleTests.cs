using System.Diagnostics;
using SkAgents.LocalModels.GenAI;
using SkAgents.LocalModels.Generation;
using SkAgents.OnnxRuntime;
using static SkAgents.LocalModels.Tests.DecoderTestModels;

namespace SkAgents.LocalModels.Tests;

public class DecoderLifecycleTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(36)] // deeper than Phi-3/Phi-4-mini (32 layers): every KV name and value still fits the stack
    public void Shared_buffer_decode_steps_allocate_no_managed_memory(int layers)
    {
        using var temp = new DecoderTempFolder();
        var folder = SkAgents.ModelFactory.Models.GqaDecoderFactory.Write(temp.Sub("m"), new SkAgents.ModelFactory.Models.TinyDecoderOptions { Layers = layers });
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        using var sequence = model.StartSequence(256);
        var sampler = new TokenSampler(model.VocabularySize, new GenerationSettings());
        Span<int> token = [sampler.Next(sequence.Forward(Bytes("warm up"), CancellationToken.None))];
        for (int i = 0; i < 20; i++)
        {
            token[0] = sampler.Next(sequence.Forward(token, CancellationToken.None));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            token[0] = sampler.Next(sequence.Forward(token, CancellationToken.None));
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Shared_buffer_decode_with_a_cancellable_token_allocates_at_most_a_little()
    {
        var folder = Letters(gqa: true);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        using var sequence = model.StartSequence(256);
        using var cts = new CancellationTokenSource();
        Span<int> token = [1];
        sequence.Forward(Bytes("warm up"), cts.Token);
        for (int i = 0; i < 20; i++)
        {
            sequence.Forward(token, cts.Token);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            sequence.Forward(token, cts.Token);
        }

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before <= 1024);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Cancellation_between_steps_stops_generation_and_keeps_the_sequence_usable(bool gqa)
    {
        var folder = Letters(gqa);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        using var sequence = model.StartSequence(128);
        int[] prompt = Bytes("cancel me");
        var generator = new TokenGenerator(sequence, prompt, new GenerationSettings(), Eos(folder), model.VocabularySize);
        using var cts = new CancellationTokenSource();
        var tokens = new List<int>();
        Assert.Throws<OperationCanceledException>(() =>
        {
            while (generator.TryNext(out int token, cts.Token))
            {
                tokens.Add(token);
                if (tokens.Count == 3)
                {
                    cts.Cancel();
                }
            }
        });
        Assert.Equal(3, tokens.Count);
        Assert.Equal(prompt.Length + 2, sequence.Length);

        // The sequence is intact: continuing gives the designed tokens.
        var logits = sequence.Forward([tokens[^1]], CancellationToken.None);
        Assert.Equal(folder.Script.NextToken([.. prompt, .. tokens]), System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits));
    }

    [Fact]
    public void Cancellation_during_a_run_terminates_it_and_keeps_the_sequence_usable()
    {
        var folder = Letters(gqa: true);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        int[] prompt = [.. Enumerable.Range(0, 3000).Select(i => 'a' + (i % 26))];
        // Time a warm prefill (the first run also pays for one-time allocations), then cancel part-way through;
        // the delay adapts: too late (the run finished) halves it, too early (before ORT started) lengthens it.
        TimeSpan uncanceled = default;
        for (int i = 0; i < 2; i++)
        {
            using var probe = model.StartSequence(4000);
            var watch = Stopwatch.StartNew();
            probe.Forward(prompt, CancellationToken.None);
            uncanceled = watch.Elapsed;
        }

        bool canceledInRun = false;
        var delay = TimeSpan.FromTicks(uncanceled.Ticks / 3);
        for (int attempt = 0; attempt < 12 && !canceledInRun; attempt++)
        {
            using var sequence = model.StartSequence(4000);
            using var cts = new CancellationTokenSource();
            // A dedicated thread, not a timer: the thread pool may be busy with other tests and fire too late.
            var wait = delay;
            var canceller = new Thread(() => { Thread.Sleep(wait); cts.Cancel(); }) { IsBackground = true };
            canceller.Start();
            try
            {
                sequence.Forward(prompt, cts.Token);
                delay = TimeSpan.FromTicks(delay.Ticks / 2);
            }
            catch (OperationCanceledException ex)
            {
                canceledInRun = ex.InnerException is OnnxRuntimeException;
                if (!canceledInRun)
                {
                    delay = TimeSpan.FromTicks(delay.Ticks * 3 / 2);
                }

                Assert.Equal(0, sequence.Length);
                var logits = sequence.Forward(Bytes("ok"), CancellationToken.None);
                Assert.Equal(folder.Script.NextToken(Bytes("ok")), System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits));
            }

            canceller.Join();
        }

        Assert.True(canceledInRun, $"No run was terminated mid-way (an uncanceled prefill took {uncanceled.TotalMilliseconds:F1} ms).");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Disposing_the_model_before_its_sequences_is_safe(bool gqa)
    {
        var folder = Letters(gqa);
        var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        var first = model.StartSequence(32);
        var second = model.StartSequence(32);
        first.Forward(Bytes("abc"), CancellationToken.None);
        model.Dispose();
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => first.Forward([1], CancellationToken.None));
        Assert.Throws<ObjectDisposedException>(() => model.StartSequence(8));
        first.Dispose();
        second.Dispose();
        second.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Disposing_sequences_before_the_model_is_safe(bool gqa)
    {
        var folder = Letters(gqa);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        var sequence = model.StartSequence(32);
        sequence.Forward(Bytes("abc"), CancellationToken.None);
        sequence.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sequence.Forward([1], CancellationToken.None));
        using var again = model.StartSequence(32);
        Assert.Equal(folder.Script.NextToken(Bytes("abc")), System.Numerics.Tensors.TensorPrimitives.IndexOfMax(again.Forward(Bytes("abc"), CancellationToken.None)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_context_reaches_the_logits_through_the_cache(bool gqa)
    {
        // Same length, same last token, different earlier tokens: the designed token is the same, the exact logits are not.
        var folder = Letters(gqa);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        using var a = model.StartSequence(32);
        using var b = model.StartSequence(32);
        a.Forward(Bytes("first context"), CancellationToken.None);
        b.Forward(Bytes("other context"), CancellationToken.None);
        var la = a.Forward([120], CancellationToken.None).ToArray();
        var lb = b.Forward([120], CancellationToken.None).ToArray();
        Assert.Equal(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(la), System.Numerics.Tensors.TensorPrimitives.IndexOfMax(lb));
        float largest = 0;
        for (int i = 0; i < la.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(la[i] - lb[i]));
        }

        Assert.True(largest > 1e-3f, $"The logits barely depend on the context ({largest}).");
    }

    [Fact]
    public void The_shared_prompt_logits_buffer_is_reused_and_grown_without_changing_results()
    {
        var folder = Letters(gqa: true);
        using var fresh = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        float[] Prefill(OnnxDecoderModel model, string text)
        {
            using var sequence = model.StartSequence(256);
            return sequence.Forward(Bytes(text), CancellationToken.None).ToArray();
        }

        var expectedShort = Prefill(fresh, "short");
        using var fresh2 = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        var expectedLong = Prefill(fresh2, "a much longer prompt than the first one");

        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        // Short, then long (the buffer grows), then short again (a larger buffer holding stale values is reused).
        Assert.Equal(expectedShort, Prefill(model, "short"));
        Assert.Equal(expectedLong, Prefill(model, "a much longer prompt than the first one"));
        Assert.Equal(expectedShort, Prefill(model, "short"));
    }
}
