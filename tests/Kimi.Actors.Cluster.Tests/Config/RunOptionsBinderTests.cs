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
        var defaults = Bind("");
        Assert.Null(defaults.Rollout.TokenBudget);
        Assert.False(defaults.Rollout.Repeat.Enabled);
        Assert.Equal(SegmentSelection.All, defaults.Optimization.Segments);

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
