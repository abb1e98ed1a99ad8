namespace Kimi.Actors.Cluster.Protocol;

/// <summary>Messages and events of the Prompt entity (one per run and prompt; owns its attempt/success counts).</summary>
public static class PromptProtocol
{
    /// <summary>One judged sample of a group. (Iteration, Sample) identifies it: recording it twice counts once.</summary>
    public sealed record SampleVerdict(int Sample, bool Correct, string TrajectoryId);

    /// <summary>Records the verdicts of one prompt's group for one iteration. Replied with <see cref="GroupRecorded"/>.</summary>
    public sealed record RecordJudgedGroup(string RunId, string PromptId, int Iteration, int Difficulty, IReadOnlyList<SampleVerdict> Samples)
        : IWithPromptKey;

    /// <summary>
    /// Reply to <see cref="RecordJudgedGroup"/>: what was new (duplicates are not counted again) and the totals after it.
    /// </summary>
    public sealed record GroupRecorded(string RunId, string PromptId, int Iteration, int NewAttempts, int NewSuccesses, long Attempts, long Successes)
        : IWithRunId;

    public sealed record GetPromptStats(string RunId, string PromptId) : IWithPromptKey;

    public sealed record PromptStats(string RunId, string PromptId, int Difficulty, long Attempts, long Successes, int LastIteration) : IKimiMessage
    {
        public double SuccessRate => Attempts == 0 ? 0 : Successes / (double)Attempts;
    }

    /// <summary>
    /// Persisted once per judged group with the samples that were new; tagged <c>run:&lt;id&gt;</c> so the Run can rebuild
    /// its sampler from the journal.
    /// </summary>
    public sealed record GroupJudged(string RunId, string PromptId, int Iteration, int Difficulty, int[] Samples, bool[] Correct) : IKimiEvent
    {
        public int Successes => Correct.Count(c => c);
    }

    /// <summary>Snapshot of a Prompt entity.</summary>
    public sealed record PromptSnapshot(string RunId, string PromptId, int Difficulty, long Attempts, long Successes, int LastIteration,
        IReadOnlyDictionary<int, int[]> RecentSamples) : IKimiEvent;
}
