namespace Kimi.Actors.Rl.Training;

/// <summary>What one iteration's training did, for metrics.</summary>
public sealed record TrainStepStats(
    double Loss,
    double MeanLogRatio,
    double MeanAbsLogRatio,
    double GradNorm,
    double ClipFraction,
    /// <summary>Mean |rollout log-prob − trainer reference log-prob| per token: rollout/trainer mismatch.</summary>
    double RolloutMismatch,
    long TrainedTokens,
    int OptimizerSteps,
    double LearningRate,
    TimeSpan Elapsed)
{
    /// <summary>Optimizer steps skipped because the gradient was not finite.</summary>
    public int SkippedSteps { get; init; }

    /// <summary>The τ the loss was computed with (the trainer's record of it, so a change can be checked where it acts).</summary>
    public double Tau { get; init; }

    /// <summary>An iteration that trained nothing (no group was complete).</summary>
    public static readonly TrainStepStats Idle = new(0, 0, 0, 0, 0, 0, 0, 0, 0, TimeSpan.Zero);

    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? TrainedTokens / Elapsed.TotalSeconds : 0;
}
