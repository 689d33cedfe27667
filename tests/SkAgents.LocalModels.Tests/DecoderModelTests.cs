using SkAgents.LocalModels.GenAI;
using SkAgents.LocalModels.Generation;
using SkAgents.ModelFactory.Models;
using static SkAgents.LocalModels.Tests.DecoderTestModels;

namespace SkAgents.LocalModels.Tests;

public class DecoderModelTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Load_reads_config_and_detects_inputs_and_cache_mode(bool gqa)
    {
        var folder = Letters(gqa);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        Assert.Equal(folder.Vocabulary.ModelVocabularySize, model.VocabularySize);
        Assert.Equal(4096, model.ContextLength);
        Assert.Equal(4096, model.DefaultMaxLength);
        Assert.Equal(gqa ? KvCacheMode.SharedBuffer : KvCacheMode.Growing, model.KvCacheMode);
        Assert.Equal(!gqa, model.HasPositionIds);
        Assert.True(model.HasAttentionMask);
        Assert.Equal(2, model.NumLayers);
        Assert.Equal(2, model.NumKeyValueHeads);
        Assert.Equal(gqa ? 16 : 8, model.HeadSize);
        Assert.Equal(2L * 2 * 2 * model.HeadSize * 100 * 4, model.KvCacheBytes(100));
        Assert.Equal(folder.Vocabulary.EosTokenIds, model.EosTokenIds);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Greedy_generation_follows_the_designed_letters(bool gqa)
    {
        var folder = Letters(gqa);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        int[] prompt = Bytes("Hello there");
        var (tokens, reason) = Generate(model, prompt, new GenerationSettings { MaxNewTokens = 40 }, Eos(folder));
        Assert.Equal(GenerationStopReason.MaxNewTokens, reason);
        var expected = Enumerable.Range(prompt.Length, 40).Select(p => 'a' + (p % 26)).ToList();
        Assert.Equal(expected, tokens);
        Assert.Equal(expected, folder.ExpectedGreedy(prompt, 40));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Scripted_sequence_ends_with_eos(bool gqa)
    {
        var vocabulary = TinyVocabulary.For(TinyChatStyle.Qwen);
        int[] prompt = Bytes("Question?");
        int[] answer = Bytes("Answer!");
        var options = new TinyDecoderOptions { Script = DecoderScript.Sequence(answer, prompt.Length, vocabulary.Id("<|im_end|>")) };
        var folder = Write(gqa, "sequence", options);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        var (tokens, reason) = Generate(model, prompt, new GenerationSettings { MaxNewTokens = 100 }, Eos(folder));
        Assert.Equal(GenerationStopReason.EndOfSequence, reason);
        Assert.Equal([.. answer, vocabulary.Id("<|im_end|>")], tokens);
    }

    [Theory]
    [InlineData(false, TinyChatStyle.Qwen)]
    [InlineData(true, TinyChatStyle.Qwen)]
    [InlineData(false, TinyChatStyle.Phi3)]
    [InlineData(true, TinyChatStyle.Phi4Mini)]
    public void Replies_are_chosen_by_anchor_count_and_offset(bool gqa, TinyChatStyle style)
    {
        var vocabulary = TinyVocabulary.For(style);
        var script = DecoderScript.ForChat(vocabulary).Reply(0, "first reply").Reply(3, "second reply");
        var folder = Write(gqa, "replies", new TinyDecoderOptions { Style = style, Script = script });
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        string anchor = vocabulary.AddedTokens.First(t => t.Id == vocabulary.AnchorTokenId).Content;
        string generationPrompt = style == TinyChatStyle.Qwen ? anchor + "assistant\n" : anchor;
        string end = vocabulary.AddedTokens.First(t => t.Id == vocabulary.TurnEndTokenId).Content;

        int[] first = vocabulary.Encode("preamble " + generationPrompt);
        int[] second = vocabulary.Encode(generationPrompt + "x" + end + generationPrompt + "y" + end + generationPrompt);
        Assert.Equal(1, script.CountAnchors(first));
        Assert.Equal(3, script.CountAnchors(second));

        var (tokens1, _) = Generate(model, first, new GenerationSettings { MaxNewTokens = 50 }, Eos(folder));
        var (tokens2, _) = Generate(model, second, new GenerationSettings { MaxNewTokens = 50 }, Eos(folder));
        Assert.Equal("first reply" + end, vocabulary.Decode(tokens1));
        Assert.Equal("second reply" + end, vocabulary.Decode(tokens2));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Step_by_step_logits_equal_a_full_recompute(bool gqa)
    {
        var folder = Letters(gqa);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        var tokens = new List<int>(Bytes("The KV cache must match."));
        using var sequence = model.StartSequence(128);
        var logits = sequence.Forward(tokens.ToArray(), CancellationToken.None).ToArray();
        for (int step = 0; step < 20; step++)
        {
            using (var fresh = model.StartSequence(128))
            {
                var full = fresh.Forward(tokens.ToArray(), CancellationToken.None);
                AssertClose(full, logits, 1e-4f);
            }

            int next = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
            Assert.Equal(folder.Script.NextToken(tokens), next);
            tokens.Add(next);
            logits = sequence.Forward([next], CancellationToken.None).ToArray();
            Assert.Equal(tokens.Count, sequence.Length);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Chunked_prefill_and_multi_token_appends_equal_one_pass(bool gqa)
    {
        var folder = Letters(gqa);
        int[] prompt = Bytes("A longer prompt fed in chunks of three tokens.");
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        var chunkedOptions = SingleThread();
        chunkedOptions.PrefillChunkSize = 3;
        using var chunkedModel = OnnxDecoderModel.Load(folder.Directory, chunkedOptions);
        using var whole = model.StartSequence(256);
        using var chunked = chunkedModel.StartSequence(256);
        using var appended = model.StartSequence(256);
        var expected = whole.Forward(prompt, CancellationToken.None).ToArray();
        AssertClose(expected, chunked.Forward(prompt, CancellationToken.None), 1e-4f);
        appended.Forward(prompt.AsSpan(0, 10), CancellationToken.None);
        AssertClose(expected, appended.Forward(prompt.AsSpan(10), CancellationToken.None), 1e-4f);
        Assert.Equal(prompt.Length, chunked.Length);
        Assert.Equal(prompt.Length, appended.Length);
    }

    [Fact]
    public void Gqa_model_in_growing_mode_matches_shared_mode()
    {
        var folder = Letters(gqa: true);
        using var shared = OnnxDecoderModel.Load(folder.Directory, SingleThread(KvCacheMode.SharedBuffer));
        using var growing = OnnxDecoderModel.Load(folder.Directory, SingleThread(KvCacheMode.Growing));
        Assert.Equal(KvCacheMode.Growing, growing.KvCacheMode);
        using var a = shared.StartSequence(64);
        using var b = growing.StartSequence(64);
        int[] prompt = Bytes("same answer");
        AssertClose(a.Forward(prompt, CancellationToken.None), b.Forward(prompt, CancellationToken.None), 1e-4f);
        for (int i = 0; i < 10; i++)
        {
            AssertClose(a.Forward([i + 40], CancellationToken.None), b.Forward([i + 40], CancellationToken.None), 1e-4f);
        }
    }

    [Fact]
    public void Shared_buffer_mode_on_a_concat_export_fails_with_advice()
    {
        var folder = Letters(gqa: false);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread(KvCacheMode.SharedBuffer));
        using var sequence = model.StartSequence(32);
        var ex = Assert.Throws<InvalidOperationException>(() => sequence.Forward(Bytes("abc"), CancellationToken.None));
        Assert.Contains("past_present_share_buffer", ex.Message);
        Assert.Equal(0, sequence.Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Max_length_stops_generation_and_forward_refuses_to_overflow(bool gqa)
    {
        var folder = Letters(gqa);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        int[] prompt = Bytes("12345");
        var (tokens, reason) = Generate(model, prompt, new GenerationSettings { MaxLength = 9 }, Eos(folder));
        Assert.Equal(GenerationStopReason.MaxLength, reason);
        Assert.Equal(9 - prompt.Length + 1, tokens.Count);

        using var sequence = model.StartSequence(6);
        sequence.Forward(prompt, CancellationToken.None);
        sequence.Forward([1], CancellationToken.None);
        Assert.Throws<InvalidOperationException>(() => sequence.Forward([2], CancellationToken.None));
        Assert.Equal(6, sequence.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.StartSequence(model.ContextLength + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.StartSequence(0));
    }

    [Fact]
    public void Forward_rejects_empty_input_and_unknown_token_ids()
    {
        using var model = OnnxDecoderModel.Load(Letters(gqa: true).Directory, SingleThread());
        using var sequence = model.StartSequence(16);
        Assert.Throws<ArgumentException>(() => sequence.Forward([], CancellationToken.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => sequence.Forward([model.VocabularySize], CancellationToken.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => sequence.Forward([-1], CancellationToken.None));
        Assert.Equal(0, sequence.Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sampling_with_a_seed_is_reproducible(bool gqa)
    {
        var folder = Letters(gqa);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        int[] prompt = Bytes("sample");
        GenerationSettings Settings(long seed) => new() { DoSample = true, Temperature = 8f, TopK = 0, Seed = seed, MaxNewTokens = 30 };
        var (a, _) = Generate(model, prompt, Settings(7), Eos(folder));
        var (b, _) = Generate(model, prompt, Settings(7), Eos(folder));
        var (c, _) = Generate(model, prompt, Settings(8), Eos(folder));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Concurrent_sequences_on_one_model_are_independent(bool gqa)
    {
        var folder = Letters(gqa);
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        var failures = 0;
        Parallel.For(0, 6, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i =>
        {
            int[] prompt = Bytes(new string('x', 3 + i));
            var (tokens, _) = Generate(model, prompt, new GenerationSettings { MaxNewTokens = 25 }, Eos(folder));
            if (!tokens.SequenceEqual(folder.ExpectedGreedy(prompt, 25)))
            {
                Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void Default_max_length_is_capped_and_configurable()
    {
        using var temp = new DecoderTempFolder();
        var folder = GqaDecoderFactory.Write(temp.Sub("long"), new TinyDecoderOptions { ContextLength = 8192, MaxLength = 8192 });
        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        Assert.Equal(8192, model.ContextLength);
        Assert.Equal(OnnxDecoderModel.DefaultMaxLengthCap, model.DefaultMaxLength);
        var options = SingleThread();
        options.DefaultMaxLength = 100;
        using var small = OnnxDecoderModel.Load(folder.Directory, options);
        Assert.Equal(100, small.DefaultMaxLength);
        using var sequence = small.StartSequence();
        Assert.Equal(100, sequence.MaxLength);
    }

    internal static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            float diff = Math.Abs(expected[i] - actual[i]);
            if (!(diff <= worst))
            {
                worst = diff;
                at = i;
            }
        }

        Assert.True(worst <= tolerance, $"Largest difference {worst} at {at} exceeds {tolerance}.");
    }
}
