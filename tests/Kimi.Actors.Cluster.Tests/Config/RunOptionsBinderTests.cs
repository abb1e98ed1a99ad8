using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Cluster.Tests.Configuration;

public class RunOptionsBinderTests
{
    private static RunOptions Bind(string overrides) =>
        RunOptionsBinder.Bind(ConfigurationFactory.ParseString(overrides)
            .WithFallback(ConfigurationFactory.ParseString(KimiConfigLoader.ReadEmbedded("hocon/kimi.conf"))));

    [Fact]
    public void Partial_rollouts_repeat_detection_and_segment_selection_bind_from_hocon()
    {
        // The method is on by default (hocon/kimi.conf): a token budget of 32 x 8 x 32 tokens and repeat detection.
        var defaults = Bind("");
        Assert.Equal(8192, defaults.Rollout.TokenBudget);
        Assert.True(defaults.Rollout.Repeat.Enabled);
        Assert.Equal(SegmentSelection.All, defaults.Optimization.Segments);
        var off = Bind("kimi.rollout { token-budget = 0, repeat.enabled = off }");
        Assert.Null(off.Rollout.TokenBudget);
        Assert.False(off.Rollout.Repeat.Enabled);

        var set = Bind("""
            kimi.rollout { token-budget = 20000, repeat { enabled = on, max-period = 8, min-span = 40, penalty = 0.5 } }
            kimi.optimization.segments = current-policy
            """);
        Assert.Equal(20000, set.Rollout.TokenBudget);
        Assert.Equal(new RepeatOptions { Enabled = true, MaxPeriod = 8, MinSpan = 40, Penalty = 0.5 }, set.Rollout.Repeat);
        Assert.Equal(SegmentSelection.CurrentPolicy, set.Optimization.Segments);
        var settings = Kimi.Actors.Rl.Runs.IterationState.RolloutSettingsOf(set);
        Assert.Equal((20000L, 8, 40), (settings.TokenBudget!.Value, settings.RepeatDetector!.MaxPeriod, settings.RepeatDetector.MinSpan));
    }

    private static RunOptions Preset(string name) => RunOptionsBinder.Bind(KimiConfigLoader.Load(name, [], []));

    [Fact]
    public void The_method_is_on_by_default_and_the_presets_say_what_they_keep_or_add()
    {
        var defaults = Bind("");
        Assert.Equal(new LengthPenaltyOptions { Weight = 0.5, WarmupIterations = 20 }, defaults.LengthPenalty);
        Assert.Equal(Kimi.Actors.Rl.Sampling.SamplingStrategy.CurriculumPrioritized, defaults.Sampling.Strategy);
        Assert.NotNull(defaults.Sampling.Curriculum);   // used, not ignored: the strategy is a curriculum one
        Assert.False(defaults.Optimization.ResetOptimizerEachIteration);
        Assert.Equal((Kimi.Actors.Rl.Optimization.LearningRateSchedule.Cosine, 4e-5, 0),
            (defaults.Optimization.LrSchedule, defaults.Optimization.LearningRate, defaults.Optimization.LrWarmupIterations));

        // The smoke presets keep the method off, explicitly, until they are measured with it, and the constant rate
        // their learning tests were measured with.
        foreach (var name in new[] { "smoke", "code-smoke", "vision-smoke" })
        {
            var smoke = Preset(name);
            Assert.Equal((0.0, Kimi.Actors.Rl.Sampling.SamplingStrategy.Prioritized, (long?)null, false),
                (smoke.LengthPenalty.Weight, smoke.Sampling.Strategy, smoke.Rollout.TokenBudget, smoke.Rollout.Repeat.Enabled));
            Assert.Equal((Kimi.Actors.Rl.Optimization.LearningRateSchedule.Constant, 3e-5),
                (smoke.Optimization.LrSchedule, smoke.Optimization.LearningRate));
        }

        // k15-full adds what the defaults leave off: the optimizer reset, the report's weight, a warm-up of the cosine rate.
        var full = Preset("k15-full");
        Assert.True(full.Optimization.ResetOptimizerEachIteration);
        Assert.Equal(1.0, full.LengthPenalty.Weight);
        Assert.Equal((Kimi.Actors.Rl.Optimization.LearningRateSchedule.Cosine, 5), (full.Optimization.LrSchedule, full.Optimization.LrWarmupIterations));
    }

    [Theory]
    [InlineData("kimi.rollout.token-budget = 100", "kimi.rollout.token-budget")]           // < 32 prompts x 8 samples
    [InlineData("kimi.rollout.token-budget = -1", "kimi.rollout.token-budget")]
    [InlineData("kimi.rollout.repeat { enabled = on, max-period = 16, min-span = 20 }", "kimi.rollout.repeat.min-span")]
    [InlineData("kimi.rollout.repeat.penalty = -1", "kimi.rollout.repeat.penalty")]
    [InlineData("kimi.optimization.segments = newest", "kimi.optimization.segments")]
    [InlineData("kimi.rollout.token-budgets = 5", "kimi.rollout.token-budgets")]
    public void Invalid_values_are_refused_naming_the_key(string hocon, string key)
    {
        var e = Assert.Throws<ConfigException>(() => Bind(hocon));
        Assert.Contains(key, e.Message);
    }
}
