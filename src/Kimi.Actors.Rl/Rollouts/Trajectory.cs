using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Tasks.Images;

namespace Kimi.Actors.Rl.Rollouts;

/// <summary>A stretch of a response generated in one go under one policy version.</summary>
public sealed record Segment(int Start, int Length, long PolicyVersion);

/// <summary>
/// One sampled response to one prompt. Token arrays are small (a few hundred ints at most), so trajectories
/// travel as plain data; weights never do.
/// </summary>
public sealed record Trajectory(
    TrajectoryId Id,
    int[] ResponseTokens,
    float[] RolloutLogProbs,
    StopReason StopReason,
    IReadOnlyList<Segment> Segments)
{
    public PromptId PromptId => Id.Prompt;
    public int Iteration => Id.Iteration;
    public int Sample => Id.Sample;
    public int Length => ResponseTokens.Length;
    public bool Finished => StopReason is StopReason.Stop or StopReason.MaxLength or StopReason.Repeat;
}

/// <summary>A trajectory with its verdict: reward is 1 for a verified answer, else 0, with the verifier's reason.</summary>
public sealed record JudgedTrajectory(Trajectory Trajectory, double Reward, bool Correct, string Reason);

/// <summary>
/// All k judged samples of one prompt's group with their shaped rewards, ready for a training step.
/// <paramref name="Group"/> names the group (prompt and the iteration it was drawn at, which may be older than the
/// iteration that trains it when its responses were resumed across iterations). <see cref="Images"/> are the prompt's
/// image references (the trainer reads and decodes them, as the generator did).
/// </summary>
public sealed record TrainingGroup(GroupKey Group, int[] PromptTokens, IReadOnlyList<JudgedTrajectory> Samples, double[] ShapedRewards, double[] LengthRewards)
{
    public IReadOnlyList<PromptImage>? Images { get; init; }

    public PromptId PromptId => Group.Prompt;
    public int K => Samples.Count;
    public double SuccessRate => Samples.Count == 0 ? 0 : Samples.Count(s => s.Correct) / (double)Samples.Count;
}
