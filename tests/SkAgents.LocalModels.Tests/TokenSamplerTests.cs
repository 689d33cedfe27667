using SkAgents.LocalModels.Generation;

namespace SkAgents.LocalModels.Tests;

public class TokenSamplerTests
{
    private static float[] Logits(params double[] probabilities) => probabilities.Select(p => (float)Math.Log(p)).ToArray();

    [Fact]
    public void Greedy_picks_the_largest_logit()
    {
        var sampler = new TokenSampler(4, new GenerationSettings());
        Assert.Equal(2, sampler.Next(new float[] { 0.1f, -3f, 5f, 4.9f }));
    }

    [Theory]
    [InlineData(0f, 50)]
    [InlineData(1f, 1)]
    public void Zero_temperature_or_top_k_1_is_greedy_even_when_sampling(float temperature, int topK)
    {
        var settings = new GenerationSettings { DoSample = true, Temperature = temperature, TopK = topK, Seed = 1 };
        Assert.True(settings.IsGreedy);
        var sampler = new TokenSampler(3, settings);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(1, sampler.Next(new float[] { 1f, 2f, 0f }));
        }
    }

    [Fact]
    public void Seeded_sampling_is_reproducible()
    {
        static int[] Draw(long seed)
        {
            var sampler = new TokenSampler(5, new GenerationSettings { DoSample = true, TopK = 0, Seed = seed });
            return Enumerable.Range(0, 50).Select(_ => sampler.Next(Logits(0.2, 0.2, 0.2, 0.2, 0.2))).ToArray();
        }

        Assert.Equal(Draw(42), Draw(42));
        Assert.NotEqual(Draw(42), Draw(43));
    }

    [Fact]
    public void Sampling_follows_the_softmax_distribution()
    {
        var sampler = new TokenSampler(3, new GenerationSettings { DoSample = true, TopK = 0, Seed = 7 });
        var counts = new int[3];
        const int Draws = 20000;
        for (var i = 0; i < Draws; i++)
        {
            counts[sampler.Next(Logits(0.6, 0.3, 0.1))]++;
        }

        Assert.InRange(counts[0] / (double)Draws, 0.57, 0.63);
        Assert.InRange(counts[1] / (double)Draws, 0.27, 0.33);
        Assert.InRange(counts[2] / (double)Draws, 0.08, 0.12);
    }

    [Fact]
    public void Temperature_sharpens_the_distribution()
    {
        var sampler = new TokenSampler(2, new GenerationSettings { DoSample = true, TopK = 0, Temperature = 0.25f, Seed = 3 });
        var first = Enumerable.Range(0, 5000).Count(_ => sampler.Next(Logits(0.6, 0.4)) == 0);
        // p ∝ p^(1/T): 0.6^4 / (0.6^4 + 0.4^4) ≈ 0.835.
        Assert.InRange(first / 5000.0, 0.80, 0.87);
    }

    [Fact]
    public void Top_k_and_top_p_cut_off_unlikely_tokens()
    {
        var topK = new TokenSampler(4, new GenerationSettings { DoSample = true, TopK = 2, Seed = 5 });
        var seenK = Enumerable.Range(0, 2000).Select(_ => topK.Next(Logits(0.1, 0.4, 0.2, 0.3))).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 3 }, seenK);

        var topP = new TokenSampler(4, new GenerationSettings { DoSample = true, TopK = 0, TopP = 0.8f, Seed = 5 });
        var seenP = Enumerable.Range(0, 2000).Select(_ => topP.Next(Logits(0.5, 0.3, 0.15, 0.05))).ToHashSet();
        Assert.Equal(new HashSet<int> { 0, 1 }, seenP);
    }

    [Fact]
    public void Top_k_selection_works_on_large_vocabularies()
    {
        const int Vocabulary = 50_000;
        var logits = new float[Vocabulary];
        var rng = new Random(11);
        for (var i = 0; i < Vocabulary; i++)
        {
            logits[i] = (float)rng.NextDouble();
        }

        var best = Enumerable.Range(0, Vocabulary).OrderByDescending(i => logits[i]).Take(5).ToHashSet();
        var sampler = new TokenSampler(Vocabulary, new GenerationSettings { DoSample = true, TopK = 5, Temperature = 0.01f, Seed = 1 });
        for (var i = 0; i < 50; i++)
        {
            Assert.Contains(sampler.Next((float[])logits.Clone()), best);
        }
    }

    [Fact]
    public void Repetition_penalty_discourages_seen_tokens()
    {
        var plain = new TokenSampler(3, new GenerationSettings());
        plain.Observe([0]);
        Assert.Equal(0, plain.Next(new float[] { 2f, 1.5f, 0f }));

        var penalized = new TokenSampler(3, new GenerationSettings { RepetitionPenalty = 1.5f });
        penalized.Observe([0]);
        Assert.Equal(1, penalized.Next(new float[] { 2f, 1.5f, 0f }));
        // Negative logits are multiplied, so they fall further.
        Assert.Equal(2, penalized.Next(new float[] { -1f, -1.2f, -1.1f }));
    }

    [Fact]
    public void End_tokens_wait_for_the_minimum_length()
    {
        var sampler = new TokenSampler(3, new GenerationSettings { MinNewTokens = 2 }, new HashSet<int> { 0 });
        Assert.Equal(1, sampler.Next(new float[] { 9f, 1f, 0f }));
        Assert.Equal(1, sampler.Next(new float[] { 9f, 1f, 0f }));
        Assert.Equal(0, sampler.Next(new float[] { 9f, 1f, 0f }));
    }

    [Fact]
    public void Wrong_row_length_and_bad_settings_are_rejected()
    {
        var sampler = new TokenSampler(4, new GenerationSettings());
        var error = Assert.Throws<ArgumentException>(() => sampler.Next(new float[3]));
        Assert.Contains("3 values", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(4, new GenerationSettings { TopP = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(4, new GenerationSettings { Temperature = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(4, new GenerationSettings { MaxNewTokens = 0 }));
        // Padded logits rows (vocab_size > tokenizer size) are fine.
        Assert.Equal(1, sampler.Next(new float[] { 0f, 3f, 1f, 2f, 99f }));
    }
}
