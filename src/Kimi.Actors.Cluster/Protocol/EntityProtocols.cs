using Kimi.Actors.Rl.Rollouts;

namespace Kimi.Actors.Cluster.Protocol;

/// <summary>
/// The RolloutGenerator entity of a run's slot: it owns one supervised GPU worker and forwards worker requests to it,
/// so the worker's reply goes straight back to the requester (the Run).
/// </summary>
public static class GeneratorProtocol
{
    /// <summary>Creates (or re-attaches to) the slot's worker; the entity reports availability to the sender.</summary>
    public sealed record AttachGenerator(string RunId, int Slot) : IWithGeneratorSlot;

    /// <summary>A worker request (LoadPolicy, GenerateBatch, EvaluateHeldOut) for this slot's worker.</summary>
    public sealed record ToGenerator(string RunId, int Slot, WorkerProtocol.IWorkerRequest Request) : IWithGeneratorSlot;

    public sealed record DetachGenerator(string RunId, int Slot) : IWithGeneratorSlot;

    public sealed record GeneratorAvailable(string RunId, int Slot, int Incarnation, long? PolicyVersion, string? RestartReason) : IWithRunId;

    public sealed record GeneratorUnavailable(string RunId, int Slot, string Reason, IReadOnlyList<string> PendingRequests) : IWithRunId;
}

/// <summary>The Trainer entity of a run: owns the supervised GPU worker that holds the trainable policy.</summary>
public static class TrainerProtocol
{
    public sealed record AttachTrainer(string RunId) : IWithTrainerRun;

    /// <summary>A worker request (InitPolicy, LoadPolicy, RunWarmupSft, TrainIteration, SaveCheckpoint) for the trainer.</summary>
    public sealed record ToTrainer(string RunId, WorkerProtocol.IWorkerRequest Request) : IWithTrainerRun;

    public sealed record DetachTrainer(string RunId) : IWithTrainerRun;

    public sealed record TrainerAvailable(string RunId, int Incarnation, long? PolicyVersion, string? RestartReason) : IWithRunId;

    public sealed record TrainerUnavailable(string RunId, string Reason, IReadOnlyList<string> PendingRequests) : IWithRunId;
}

/// <summary>RewardJudge entities: verifiers (and later sandboxes and model judges) behind a slot.</summary>
public static class JudgeProtocol
{
    public sealed record JudgeItem(Trajectory Trajectory, PromptSpec Prompt);

    public sealed record JudgeTrajectories(int Slot, string RunId, string RequestId, IReadOnlyList<JudgeItem> Items) : IWithJudgeSlot;

    /// <param name="Seconds">Time inside the verifiers, measured by the judge.</param>
    public sealed record TrajectoriesJudged(string RunId, string RequestId, IReadOnlyList<JudgedTrajectory> Judged, double Seconds) : IWithRunId;
}
