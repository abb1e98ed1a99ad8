using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;

namespace Kimi.Actors.Cluster.Protocol;

/// <summary>Messages of the Prompt entity (one per run and prompt; owns its attempt/success counts).</summary>
public static class PromptProtocol
{
    /// <summary>
    /// Records the verdicts (<see cref="SampleVerdict"/>: trajectory id and correctness; a trajectory recorded twice
    /// counts once) of one prompt's group (drawn at <paramref name="Iteration"/>). Replied with <see cref="GroupRecorded"/>.
    /// </summary>
    public sealed record RecordJudgedGroup(RunId RunId, PromptId PromptId, int Iteration, int Difficulty, IReadOnlyList<SampleVerdict> Samples)
        : IWithPromptKey;

    /// <summary>
    /// Reply to <see cref="RecordJudgedGroup"/>: what was new (duplicates are not counted again) and the totals after it.
    /// </summary>
    public sealed record GroupRecorded(RunId RunId, PromptId PromptId, int Iteration, int NewAttempts, int NewSuccesses, long Attempts, long Successes)
        : IWithRunId;

    public sealed record GetPromptStats(RunId RunId, PromptId PromptId) : IWithPromptKey;

    public sealed record PromptStats(RunId RunId, PromptId PromptId, int Difficulty, long Attempts, long Successes, int LastIteration) : IKimiMessage
    {
        public double SuccessRate => Attempts == 0 ? 0 : Successes / (double)Attempts;
    }
}
