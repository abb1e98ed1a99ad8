using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Shaping;

namespace Kimi.Actors.Rl.Tests.Shaping;

/// <summary>Shaped reward = verdict + w(iteration)·λ − repeat penalty, with the numbers worked out by hand.</summary>
public class RewardShaperTests
{
    private static readonly GroupKey Key = new(new PromptId("p"), 3);

    private static JudgedTrajectory Sample(int j, int length, bool correct, StopReason stop = StopReason.Stop) =>
        new(new Trajectory(Key.Sample(j), new int[length], new float[length], stop, [new Segment(0, length, 0)]), correct ? 1 : 0, correct, "test");

    // Lengths 4, 6, 8, 10: λ = 0.5 − (len − 4) / 6 = 0.5, 1/6, −1/6, −0.5. Correct, wrong, correct, wrong (a loop).
    private static readonly JudgedTrajectory[] Group =
    [
        Sample(0, 4, true), Sample(1, 6, false), Sample(2, 8, true), Sample(3, 10, false, StopReason.Repeat),
    ];

    [Fact]
    public void After_the_warm_up_the_length_reward_and_the_repeat_penalty_are_added_to_the_verdict()
    {
        var shaped = RewardShaper.Shape(Key, [1, 2], Group, new LengthPenaltySchedule(0.5, warmupIterations: 3), iteration: 3, repeatPenalty: 0.3);
        // A wrong response never gains from being short: min(0, 1/6) = 0.
        Assert.Equal([0.5, 0, -1 / 6.0, -0.5], shaped.LengthRewards, new Tolerance());
        Assert.Equal([1 + 0.25, 0 + 0, 1 - 0.5 / 6, 0 - 0.25 - 0.3], shaped.ShapedRewards, new Tolerance());
        Assert.Equal((Key, 4), (shaped.Group, shaped.K));
        Assert.Equal([1, 2], shaped.PromptTokens);
    }

    [Fact]
    public void During_the_warm_up_only_the_verdict_and_the_repeat_penalty_count()
    {
        var shaped = RewardShaper.Shape(Key, [1], Group, new LengthPenaltySchedule(0.5, warmupIterations: 3), iteration: 2, repeatPenalty: 0.3);
        Assert.Equal([1, 0, 1, -0.3], shaped.ShapedRewards, new Tolerance());
        // The length rewards are still reported (the metrics show what the penalty would be).
        Assert.Equal([0.5, 0, -1 / 6.0, -0.5], shaped.LengthRewards, new Tolerance());
    }

    [Fact]
    public void Only_a_response_stopped_as_a_loop_pays_the_repeat_penalty_and_equal_lengths_earn_no_length_reward()
    {
        JudgedTrajectory[] same = [Sample(0, 5, true), Sample(1, 5, false, StopReason.MaxLength), Sample(2, 5, false, StopReason.Repeat)];
        var shaped = RewardShaper.Shape(Key, [1], same, new LengthPenaltySchedule(1.0, 0), iteration: 0, repeatPenalty: 0.25);
        Assert.Equal([1, 0, -0.25], shaped.ShapedRewards, new Tolerance());
        Assert.Equal([0, 0, 0], shaped.LengthRewards);
    }

    [Fact]
    public void An_empty_group_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => RewardShaper.Shape(Key, [1], [], new LengthPenaltySchedule(0, 0), 0));
        Assert.Contains(Key.ToString(), e.Message);
    }

    private sealed class Tolerance : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-12;
        public int GetHashCode(double x) => 0;
    }
}
