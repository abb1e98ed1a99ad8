using Kimi.Actors.Rl.Sampling;

namespace Kimi.Actors.Rl.Tests.Sampling;

public class PromptSamplerTests
{
    private static readonly SamplerOptions Prioritized = new() { Strategy = SamplingStrategy.Prioritized };

    [Fact]
    public void Prioritized_single_draws_follow_one_minus_success_rate()
    {
        const int n = 20;
        var sampler = new PromptSampler(new int[n], Prioritized);
        for (int i = 0; i < n; i++)
            sampler.Restore(i, attempts: 20, successes: i); // s_i = i/20, weight (20 − i)/20

        var expected = Enumerable.Range(0, n).Select(i => (20.0 - i) / 210).ToArray();
        for (int i = 0; i < n; i++)
            Assert.Equal(expected[i], sampler.Probability(i), 12);

        var counts = new long[n];
        var rng = new Random(1234);
        for (int draw = 0; draw < 100_000; draw++)
            counts[sampler.Draw(1, rng)[0]]++;
        ChiSquare.AssertFits(counts, expected);
    }

    [Fact]
    public void Other_options_keep_every_count_and_the_curriculum_level_reached()
    {
        var curriculum = new SamplerOptions { Strategy = SamplingStrategy.Curriculum, Curriculum = CurriculumSchedule.ByIteration(new LevelThreshold(2, 1)) };
        var sampler = new PromptSampler([1, 1, 2, 3], curriculum);
        sampler.Restore(0, 10, 9);
        sampler.Restore(2, 4, 1);
        sampler.OnIterationStart(1);
        Assert.Equal(2, sampler.MaxEligibleDifficulty);

        // Prioritised within the same curriculum: weights 1 - s, the level stays at 2 (difficulty 3 still out).
        var prioritized = sampler.WithOptions(curriculum with { Strategy = SamplingStrategy.CurriculumPrioritized });
        Assert.Equal(((long)10, (long)9), prioritized.Counts(0));
        Assert.Equal(((long)4, (long)1), prioritized.Counts(2));
        Assert.Equal(2, prioritized.MaxEligibleDifficulty);
        double total = 0.1 + 1.0 + 0.75;
        Assert.Equal(0.1 / total, prioritized.Probability(0), 12);
        Assert.Equal(0.75 / total, prioritized.Probability(2), 12);
        Assert.Equal(0, prioritized.Probability(3));

        // Uniform: every prompt, equally.
        var uniform = sampler.WithOptions(new SamplerOptions());
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(0.25, uniform.Probability(i), 12));
        Assert.Equal(((long)10, (long)9), uniform.Counts(0));
    }

    [Fact]
    public void Floor_keeps_mastered_prompts_reachable_and_zero_floor_excludes_them()
    {
        foreach (double floor in new[] { 0.0, 0.1 })
        {
            var sampler = new PromptSampler(new int[3], Prioritized with { Floor = floor });
            sampler.Restore(0, 10, 10); // mastered
            sampler.Restore(1, 10, 5);
            double total = floor + 0.5 + 1.0;
            Assert.Equal(floor / total, sampler.Probability(0), 12);
            Assert.Equal(0.5 / total, sampler.Probability(1), 12);
            Assert.Equal(1.0 / total, sampler.Probability(2), 12);
        }

        var strict = new PromptSampler(new int[3], Prioritized);
        strict.Restore(0, 10, 10);
        var rng = new Random(5);
        for (int k = 0; k < 2000; k++)
            Assert.NotEqual(0, strict.Draw(1, rng)[0]);
    }

    [Fact]
    public void Draws_are_distinct_and_leave_the_weights_unchanged()
    {
        const int n = 1000;
        var sampler = new PromptSampler(new int[n], Prioritized);
        var rng = new Random(3);
        for (int i = 0; i < n; i++)
            sampler.Restore(i, 8, rng.Next(9));
        var before = Enumerable.Range(0, n).Select(sampler.Probability).ToArray();

        for (int round = 0; round < 20; round++)
        {
            var drawn = sampler.Draw(600, rng);
            Assert.Equal(600, drawn.Length);
            Assert.Equal(600, drawn.Distinct().Count());
        }
        Assert.Equal(before, Enumerable.Range(0, n).Select(sampler.Probability).ToArray());
    }

    [Fact]
    public void Draw_returns_every_positive_weight_prompt_when_fewer_than_asked()
    {
        var sampler = new PromptSampler(new int[6], Prioritized);
        foreach (int i in new[] { 0, 2, 3 })
            sampler.Restore(i, 4, 4); // weight 0

        var drawn = sampler.Draw(5, new Random(1));
        Assert.Equal([1, 4, 5], drawn.Order());
        Assert.Empty(sampler.Draw(0, new Random(1)));
    }

    [Fact]
    public void Without_replacement_pairs_follow_successive_renormalised_weights()
    {
        // P(first a, then b) = w_a · w_b / (1 − w_a): the second pick is weighted among those left.
        var sampler = new PromptSampler(new int[3], Prioritized);
        sampler.Restore(0, 10, 5); // 0.5
        sampler.Restore(1, 10, 7); // 0.3
        sampler.Restore(2, 10, 8); // 0.2
        double[] w = [0.5, 0.3, 0.2];
        var pairs = new List<(int A, int B)>();
        var expected = new List<double>();
        for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
        {
            if (a == b)
                continue;
            pairs.Add((a, b));
            expected.Add(w[a] * w[b] / (1 - w[a]));
        }

        var counts = new long[pairs.Count];
        var rng = new Random(99);
        for (int k = 0; k < 60_000; k++)
        {
            var d = sampler.Draw(2, rng);
            counts[pairs.IndexOf((d[0], d[1]))]++;
        }
        ChiSquare.AssertFits(counts, expected);
    }

    [Fact]
    public void Record_adds_counts_and_reweights_in_place()
    {
        var sampler = new PromptSampler(new int[2], Prioritized);
        Assert.Equal(0.5, sampler.Probability(0));

        sampler.Record(0, attempts: 4, successes: 1);
        sampler.Record(0, attempts: 4, successes: 3);
        Assert.Equal((8L, 4L), sampler.Counts(0));
        Assert.Equal(0.5, sampler.SuccessRate(0));
        Assert.Equal(0.0, sampler.SuccessRate(1));
        Assert.Equal(0.5 / 1.5, sampler.Probability(0), 12);

        sampler.Restore(0, attempts: 2, successes: 2);
        Assert.Equal((2L, 2L), sampler.Counts(0));
        Assert.Equal(0.0, sampler.Probability(0));
        Assert.Equal(1.0, sampler.Probability(1));
    }

    [Fact]
    public void Invalid_counts_and_indices_are_rejected()
    {
        var sampler = new PromptSampler(new int[2], Prioritized);
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Record(0, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Record(0, -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Record(2, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Restore(0, 1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Draw(-1, new Random()));
        Assert.Throws<ArgumentException>(() => new PromptSampler([], Prioritized));
        Assert.Throws<ArgumentOutOfRangeException>(() => Prioritized with { Floor = 1.5 });
    }

    [Fact]
    public void Uniform_ignores_success_rates()
    {
        var sampler = new PromptSampler(new int[4], new SamplerOptions());
        sampler.Record(0, 10, 10);
        sampler.Record(1, 10, 0);
        for (int i = 0; i < 4; i++)
            Assert.Equal(0.25, sampler.Probability(i));
        Assert.Equal(SamplingStrategy.Uniform, sampler.Strategy);
    }

    [Fact]
    public void Weakest_lists_attempted_prompts_lowest_success_rate_first()
    {
        var sampler = new PromptSampler(new int[7], Prioritized);
        sampler.Restore(0, 10, 9);
        sampler.Restore(1, 10, 2);
        sampler.Restore(2, 4, 1);  // 0.25
        sampler.Restore(3, 8, 2);  // 0.25, more evidence: weaker
        sampler.Restore(4, 10, 0);
        // prompts 5 and 6 never attempted: left out

        Assert.Equal(
            [(4, 0.0, 10L), (1, 0.2, 10L), (3, 0.25, 8L), (2, 0.25, 4L)],
            sampler.Weakest(4).ToArray());
        Assert.Equal(5, sampler.Weakest(100).Count());
        Assert.Empty(sampler.Weakest(0));
    }
}
