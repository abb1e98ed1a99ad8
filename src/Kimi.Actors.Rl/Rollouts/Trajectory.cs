using Kimi.Actors.Model.Generation;

namespace Kimi.Actors.Rl.Rollouts;

/// <summary>A stretch of a response generated in one go under one policy version.</summary>
public sealed record Segment(int Start, int Length, long PolicyVersion);

/// <summary>
/// One sampled response to one prompt. Token arrays are small (a few hundred ints at most), so trajectories
/// travel as plain data; weights never do.
/// </summary>
public sealed record Trajectory(
    string TrajectoryId,
    string PromptId,
    int Iteration,
    int Sample,
    int[] ResponseTokens,
    float[] RolloutLogProbs,
    StopReason StopReason,
    IReadOnlyList<Segment> Segments)
{
    public int Length => ResponseTokens.Length;
    public bool Finished => StopReason is StopReason.Stop or StopReason.MaxLength or StopReason.Repeat;
}

/// <summary>A trajectory with its verdict: reward is 1 for a verified answer, else 0, with the verifier's reason.</summary>
public sealed record JudgedTrajectory(Trajectory Trajectory, double Reward, bool Correct, string Reason);

/// <summary>All k judged samples of one prompt with their shaped rewards, ready for a training step.</summary>
public sealed record TrainingGroup(string PromptId, int[] PromptTokens, IReadOnlyList<JudgedTrajectory> Samples, double[] ShapedRewards, double[] LengthRewards)
{
    public int K => Samples.Count;
    public double SuccessRate => Samples.Count == 0 ? 0 : Samples.Count(s => s.Correct) / (double)Samples.Count;
}
