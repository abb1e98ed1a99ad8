using Kimi.Actors.Rl.Sampling;

namespace Kimi.Actors.Rl.Tests.Sampling;

public class CurriculumTests
{
    // 30 prompts: difficulty 1, 2, 3 in turn.
    private static readonly int[] ThreeLevels = Enumerable.Range(0, 30).Select(i => 1 + i % 3).ToArray();

    [Fact]
    public void Iteration_thresholds_gate_draws_and_never_go_back()
    {
        var sampler = new PromptSampler(ThreeLevels, new SamplerOptions
        {
            Strategy = SamplingStrategy.Curriculum,
            Curriculum = CurriculumSchedule.ByIteration(new(2, 10), new(3, 25)),
        });
        var rng = new Random(8);
        for (int iteration = 0; iteration <= 30; iteration++)
        {
            sampler.OnIterationStart(iteration);
            int expectedMax = iteration < 10 ? 1 : iteration < 25 ? 2 : 3;
            Assert.Equal(expectedMax, sampler.MaxEligibleDifficulty);
            AssertGated(sampler, rng);
            Assert.Equal(10 * expectedMax, Enumerable.Range(0, 30).Count(i => sampler.Probability(i) > 0));
        }

        sampler.OnIterationStart(3);
        Assert.Equal(3, sampler.MaxEligibleDifficulty);
    }

    [Fact]
    public void Iteration_thresholds_can_jump_several_levels_at_once()
    {
        var sampler = new PromptSampler(ThreeLevels, new SamplerOptions
        {
            Strategy = SamplingStrategy.Curriculum,
            Curriculum = CurriculumSchedule.ByIteration(new(2, 10), new(3, 25)),
        });
        Assert.Equal(1, sampler.MaxEligibleDifficulty);
        sampler.OnIterationStart(40);
        Assert.Equal(3, sampler.MaxEligibleDifficulty);
        Assert.All(Enumerable.Range(0, 30), i => Assert.Equal(1.0 / 30, sampler.Probability(i), 12));
    }

    [Fact]
    public void Success_rate_mode_advances_one_level_when_the_top_level_passes_the_bar()
    {
        int[] difficulties = [1, 1, 5, 5, 9, 9]; // gaps between labels are fine
        var sampler = new PromptSampler(difficulties, new SamplerOptions
        {
            Strategy = SamplingStrategy.Curriculum,
            Curriculum = CurriculumSchedule.BySuccessRate(successBar: 0.8, minAttempts: 20),
        });
        var rng = new Random(2);
        Assert.Equal(1, sampler.MaxEligibleDifficulty);

        sampler.Record(0, 10, 10);
        sampler.OnIterationStart(1);
        Assert.Equal(1, sampler.MaxEligibleDifficulty); // rate 1.0 but only 10 attempts pooled

        sampler.Record(1, 10, 5);
        sampler.OnIterationStart(2);
        Assert.Equal(1, sampler.MaxEligibleDifficulty); // 15/20 = 0.75 < 0.8

        sampler.Record(1, 10, 9);
        sampler.OnIterationStart(3);
        Assert.Equal(5, sampler.MaxEligibleDifficulty); // 24/30 = 0.8 passes
        AssertGated(sampler, rng);

        sampler.OnIterationStart(4);
        Assert.Equal(5, sampler.MaxEligibleDifficulty); // level 5 has no attempts yet; one level at a time

        sampler.Record(2, 25, 25); // pooled over attempted prompts only: prompt 3 never tried
        sampler.OnIterationStart(5);
        Assert.Equal(9, sampler.MaxEligibleDifficulty);
        sampler.Record(4, 50, 50);
        sampler.OnIterationStart(6);
        Assert.Equal(9, sampler.MaxEligibleDifficulty); // top of the set
        Assert.Equal(1.0 / 6, sampler.Probability(5), 12);
    }

    [Fact]
    public void Restored_level_admits_everything_up_to_it()
    {
        var sampler = new PromptSampler(ThreeLevels, new SamplerOptions
        {
            Strategy = SamplingStrategy.Curriculum,
            Curriculum = CurriculumSchedule.BySuccessRate(0.5, 1),
        });
        sampler.AdvanceCurriculumTo(2);
        Assert.Equal(2, sampler.MaxEligibleDifficulty);
        Assert.Equal(20, Enumerable.Range(0, 30).Count(i => sampler.Probability(i) > 0));
        sampler.AdvanceCurriculumTo(1);
        Assert.Equal(2, sampler.MaxEligibleDifficulty);
    }

    [Fact]
    public void Curriculum_and_priority_combine()
    {
        // Level 1: prompts 0..9 with s = i/10; level 2: prompts 10..19, already attempted but gated.
        int[] difficulties = Enumerable.Range(0, 20).Select(i => i < 10 ? 1 : 2).ToArray();
        var sampler = new PromptSampler(difficulties, new SamplerOptions
        {
            Strategy = SamplingStrategy.CurriculumPrioritized,
            Curriculum = CurriculumSchedule.ByIteration(new LevelThreshold(2, 5)),
        });
        for (int i = 0; i < 20; i++)
            sampler.Restore(i, 10, i % 10);

        var expected = Enumerable.Range(0, 10).Select(i => (10.0 - i) / 55).ToArray();
        var counts = new long[10];
        var rng = new Random(42);
        for (int k = 0; k < 50_000; k++)
        {
            int drawn = sampler.Draw(1, rng)[0];
            Assert.True(drawn < 10, $"gated prompt {drawn} drawn");
            counts[drawn]++;
        }
        ChiSquare.AssertFits(counts, expected);

        sampler.OnIterationStart(5);
        for (int i = 0; i < 20; i++)
            Assert.Equal((10.0 - i % 10) / 110, sampler.Probability(i), 12);
    }

    [Fact]
    public void Curriculum_strategy_requires_a_schedule_and_others_ignore_it()
    {
        Assert.Throws<ArgumentException>(() =>
            new PromptSampler(ThreeLevels, new SamplerOptions { Strategy = SamplingStrategy.Curriculum }));

        var prioritized = new PromptSampler(ThreeLevels, new SamplerOptions
        {
            Strategy = SamplingStrategy.Prioritized,
            Curriculum = CurriculumSchedule.ByIteration(new LevelThreshold(2, 10)),
        });
        Assert.Equal(3, prioritized.MaxEligibleDifficulty);
        Assert.Equal(1.0 / 30, prioritized.Probability(2), 12);
    }

    [Fact]
    public void Schedules_validate_their_arguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CurriculumSchedule.BySuccessRate(1.2, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => CurriculumSchedule.BySuccessRate(0.5, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CurriculumSchedule.ByIteration(new LevelThreshold(2, -1)));
        Assert.Equal(3, CurriculumSchedule.ByIteration(new(2, 10), new(3, 25)).ThresholdDifficultyAt(25));
        Assert.Null(CurriculumSchedule.ByIteration(new LevelThreshold(2, 10)).ThresholdDifficultyAt(9));
    }

    private static void AssertGated(PromptSampler sampler, Random rng)
    {
        for (int k = 0; k < 20; k++)
        {
            foreach (int i in sampler.Draw(8, rng))
                Assert.True(sampler.Difficulty(i) <= sampler.MaxEligibleDifficulty,
                    $"prompt {i} (difficulty {sampler.Difficulty(i)}) above {sampler.MaxEligibleDifficulty}");
        }
    }
}
