using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Cluster.Prompt;

/// <summary>
/// Persisted once per judged group with the samples that were new; tagged <c>run:&lt;id&gt;</c> so the Run can rebuild
/// its sampler from the journal and an audit can list every judged trajectory.
/// </summary>
public sealed record GroupJudged(RunId RunId, PromptId PromptId, int Iteration, int Difficulty, int[] Samples, bool[] Correct)
{
    public int Successes => Correct.Count(c => c);

    public IEnumerable<TrajectoryId> Trajectories => Samples.Select(s => new TrajectoryId(PromptId, Iteration, s));
}

/// <summary>Snapshot of a Prompt entity.</summary>
public sealed record PromptSnapshot(RunId RunId, PromptId PromptId, int Difficulty, long Attempts, long Successes, int LastIteration,
    IReadOnlyDictionary<int, int[]> RecentSamples);
