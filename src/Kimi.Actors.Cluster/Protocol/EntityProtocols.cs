using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;

namespace Kimi.Actors.Cluster.Protocol;

/// <summary>
/// The RolloutGenerator entity of a run's slot: it owns one supervised GPU worker and forwards worker requests to it,
/// so the worker's reply goes straight back to the requester (the Run).
/// </summary>
public static class GeneratorProtocol
{
    /// <summary>Creates (or re-attaches to) the slot's worker; the entity reports availability to the sender.</summary>
    public sealed record AttachGenerator(RunId RunId, GeneratorSlot Slot) : IWithGeneratorSlot;

    /// <summary>A worker request (LoadPolicy, GenerateBatch, EvaluateHeldOut) for this slot's worker.</summary>
    public sealed record ToGenerator(RunId RunId, GeneratorSlot Slot, WorkerProtocol.IWorkerRequest Request) : IWithGeneratorSlot;

    public sealed record DetachGenerator(RunId RunId, GeneratorSlot Slot) : IWithGeneratorSlot;

    public sealed record GeneratorAvailable(RunId RunId, GeneratorSlot Slot, int Incarnation, long? PolicyVersion, string? RestartReason) : IWithRunId;

    public sealed record GeneratorUnavailable(RunId RunId, GeneratorSlot Slot, string Reason, IReadOnlyList<string> PendingRequests) : IWithRunId;
}

/// <summary>The Trainer entity of a run: owns the supervised GPU worker that holds the trainable policy.</summary>
public static class TrainerProtocol
{
    public sealed record AttachTrainer(RunId RunId) : IWithTrainerRun;

    /// <summary>A worker request (InitPolicy, RestoreCheckpoint, RunWarmupSft, TrainIteration, SaveCheckpoint) for the trainer.</summary>
    public sealed record ToTrainer(RunId RunId, WorkerProtocol.IWorkerRequest Request) : IWithTrainerRun;

    /// <summary>Published versions below <paramref name="Below"/> are no longer used by any generator: the trainer's node drops them.</summary>
    public sealed record ReleaseWeights(RunId RunId, long Below) : IWithTrainerRun;

    /// <summary>The run's session ended: the worker stops and every published version of the run is released.</summary>
    public sealed record DetachTrainer(RunId RunId) : IWithTrainerRun;

    public sealed record TrainerAvailable(RunId RunId, int Incarnation, long? PolicyVersion, string? RestartReason) : IWithRunId;

    public sealed record TrainerUnavailable(RunId RunId, string Reason, IReadOnlyList<string> PendingRequests) : IWithRunId;
}

/// <summary>RewardJudge entities: verifiers (and later sandboxes and model judges) behind a slot.</summary>
public static class JudgeProtocol
{
    public sealed record JudgeItem(Trajectory Trajectory, PromptSpec Prompt);

    public sealed record JudgeTrajectories(JudgeSlot Slot, RunId RunId, RequestId RequestId, IReadOnlyList<JudgeItem> Items, TokenizerSpec Tokenizer)
        : IWithJudgeSlot;

    /// <param name="Seconds">Time inside the verifiers, measured by the judge.</param>
    public sealed record TrajectoriesJudged(RunId RunId, RequestId RequestId, IReadOnlyList<JudgedTrajectory> Judged, double Seconds) : IWithRunId;
}
