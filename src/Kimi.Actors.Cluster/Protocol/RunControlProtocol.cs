using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Training;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Protocol;

/// <summary>
/// What a researcher asks a Run entity from the console (besides <see cref="RunProtocol"/>'s status, pause, resume, stop
/// and set): the details of its state, one hyperparameter with what it allows, the history of changes, the weakest
/// prompts by the Prompt entities' journal, and pinning its newest checkpoint. A run the journal does not hold answers
/// <see cref="RunRejected"/>.
/// </summary>
public static class RunControlProtocol
{
    public sealed record GetRunDetails(RunId RunId) : IWithRunId;

    /// <summary>A change accepted but not in force yet: it applies from <paramref name="FromIteration"/>.</summary>
    public sealed record PendingChange(string Name, string Key, string Value, int FromIteration);

    /// <param name="Hyperparameters">Name → value in force now (<see cref="Tunables"/>).</param>
    /// <param name="LastMetrics">The last committed iteration's metrics; null before the first.</param>
    /// <param name="WorkerRestarts">Worker restarts in the current session (trainer and generators).</param>
    /// <param name="Failure">Why the run failed, when it did.</param>
    public sealed record RunDetails(RunStatus Status, IReadOnlyDictionary<string, string> Hyperparameters, IReadOnlyList<PendingChange> Pending,
        IterationMetrics? LastMetrics, int WorkerRestarts, string? Failure, DateTime? StartedAtUtc) : IKimiMessage;

    /// <param name="Key">A tunable's name (<c>tau</c>) or a changeable key (<c>kimi.rollout.temperature</c>).</param>
    public sealed record GetHyperparameter(RunId RunId, string Key) : IWithRunId;

    /// <param name="Value">In force now.</param>
    /// <param name="Allowed">What a change to it must satisfy, in the run as it stands.</param>
    /// <param name="Pending">A change accepted that is not in force yet.</param>
    public sealed record HyperparameterValue(RunId RunId, string Name, string Key, string Value, string Allowed, string? Description,
        PendingChange? Pending) : IKimiMessage;

    /// <param name="Key">One hyperparameter (name or key); null: every change.</param>
    public sealed record GetHyperparameterHistory(RunId RunId, string? Key) : IWithRunId;

    /// <summary>One accepted change: from which value to which, from which iteration on, and when it was made.</summary>
    /// <param name="AtUtc">Null for changes journaled before changes were timed.</param>
    public sealed record HyperparameterChangeEntry(string Name, string Key, string From, string To, int FromIteration, DateTime? AtUtc);

    public sealed record HyperparameterHistory(RunId RunId, IReadOnlyList<HyperparameterChangeEntry> Changes) : IKimiMessage;

    /// <summary>The <paramref name="Count"/> attempted prompts with the lowest success rate, optionally of one tag or domain.</summary>
    public sealed record GetWeakestPrompts(RunId RunId, int Count, string? Tag, string? Domain) : IWithRunId;

    public sealed record PromptSuccess(string Id, string Domain, int Difficulty, IReadOnlyList<string> Tags, long Attempts, long Successes,
        double SuccessRate);

    /// <param name="Prompts">Weakest first: lowest success rate, then most attempts, then id.</param>
    /// <param name="Attempted">Prompts of the filter with at least one judged attempt in the journal.</param>
    /// <param name="Matching">Prompts of the prompt set the filter selects.</param>
    public sealed record WeakestPrompts(RunId RunId, IReadOnlyList<PromptSuccess> Prompts, int Attempted, int Matching) : IKimiMessage;

    /// <summary>Keep the run's newest durable checkpoint (the last committed iteration's) from being pruned, and say where it is.</summary>
    public sealed record PinCheckpoint(RunId RunId) : IWithRunId;

    /// <param name="Pinned">False when its folder is not visible from the Run's node (then <paramref name="Note"/> says so).</param>
    public sealed record CheckpointPinned(RunId RunId, int Iteration, long WeightVersion, string Directory, string Sha256, bool Pinned,
        string Note) : IKimiMessage;
}
