using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Optimization;

/// <summary>How the RL learning rate moves over a run's iterations.</summary>
public enum LearningRateSchedule
{
    /// <summary>The configured rate every iteration (after the warm-up, if any).</summary>
    Constant,
    /// <summary>Linear warm-up, then cosine decay to <c>learning-rate × lr-min-ratio</c> at the run's last iteration.</summary>
    Cosine,
}

/// <summary>
/// The learning rate of one RL iteration: the run machine computes it and sends it with the iteration's training groups,
/// so every engine and worker trains the iteration at the same rate, and a hyperparameter change or a resumed run's new
/// target moves the schedule from the next iteration on.
/// </summary>
public static class RlLearningRate
{
    /// <param name="iteration">0-based iteration being trained.</param>
    /// <param name="totalIterations">The run's target (the schedule's end).</param>
    public static double At(PolicyOptimizationOptions o, int iteration, int totalIterations)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iteration);
        if (o.LearningRate == 0) return 0;
        int total = Math.Max(1, totalIterations);
        int warmup = Math.Min(o.LrWarmupIterations, total);
        return o.LrSchedule switch
        {
            LearningRateSchedule.Cosine => new WarmupCosineSchedule(o.LearningRate, warmup, total, o.LrMinRatio).At(iteration),
            _ => iteration < warmup ? o.LearningRate * (iteration + 1) / warmup : o.LearningRate,
        };
    }
}
