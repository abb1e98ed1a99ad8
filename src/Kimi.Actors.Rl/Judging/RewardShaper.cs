using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Shaping;

namespace Kimi.Actors.Rl.Judging;

/// <summary>
/// Turns the k judged samples of a prompt into a training group: shaped reward = verdict reward +
/// w(iteration) · length reward (k1.5 length penalty, zero during its warm-up), minus the repeat penalty for a
/// response stopped as a degenerate loop.
/// </summary>
public static class RewardShaper
{
    public static TrainingGroup Shape(GroupKey group, int[] promptTokens, IReadOnlyList<JudgedTrajectory> samples,
        LengthPenaltySchedule lengthPenalty, int iteration, double repeatPenalty = 0)
    {
        if (samples.Count == 0) throw new ArgumentException($"group {group}: a group needs at least one sample");
        var lengths = samples.Select(s => s.Trajectory.Length).ToArray();
        var correct = samples.Select(s => s.Correct).ToArray();
        var lengthRewards = LengthPenalty.Compute(lengths, correct);
        double w = lengthPenalty.WeightAt(iteration);
        var shaped = samples.Select((s, j) => s.Reward + w * lengthRewards[j]
            - (s.Trajectory.StopReason == StopReason.Repeat ? repeatPenalty : 0)).ToArray();
        return new TrainingGroup(group, promptTokens, samples, shaped, lengthRewards);
    }
}
