using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Runs;

/// <summary>What happens to a run: a reply from a worker, judge or prompt, a control request, a timer. The machine's input.</summary>
public interface IRunInput;

/// <summary>A reply to one request the run sent.</summary>
public interface IRunReply : IRunInput
{
    RequestId Request { get; }
}

/// <param name="RestartReason">Why the previous incarnation ended; null for the first start.</param>
public sealed record TrainerAvailable(int Incarnation, string? RestartReason = null) : IRunInput;

public sealed record TrainerUnavailable(string Reason) : IRunInput;

public sealed record GeneratorAvailable(GeneratorSlot Slot, int Incarnation, string? RestartReason = null) : IRunInput;

/// <summary>A generator's worker is past its restart budget: its work moves to the others.</summary>
public sealed record GeneratorUnavailable(GeneratorSlot Slot, string Reason) : IRunInput;

/// <summary>Per-prompt counts read back from the Prompt journal (a continued run rebuilds its sampler from them).</summary>
public sealed record PromptCountsLoaded(IReadOnlyDictionary<PromptId, PromptCounts> Counts) : IRunInput;

/// <summary>A worker holds <paramref name="Version"/> (after InitPolicy or LoadWeights).</summary>
public sealed record PolicyReady(RequestId Request, long Version, long Parameters, string Device) : IRunReply;

public sealed record SftStepDone(RequestId Request, SftStepStats Step) : IRunReply;

public sealed record SftDone(RequestId Request, WeightsPublished Weights, double Seconds) : IRunReply;

/// <summary>The trainer reloaded a durable checkpoint and published it as <paramref name="Weights"/>.</summary>
public sealed record PolicyRestored(RequestId Request, WeightsPublished Weights, long Parameters, string Device) : IRunReply;

/// <summary>
/// The trainer could not restore a durable checkpoint: its weights file is missing, unreadable, or its SHA-256 differs
/// from the one journaled when it was committed. A continued run falls back to an older one.
/// </summary>
public sealed record CheckpointUnusable(RequestId Request, string Problem) : IRunReply;

/// <param name="Seconds">Time inside model generation, measured by the worker.</param>
/// <param name="Decoding">How the generator's steps ran: cuda-graph or eager.</param>
public sealed record BatchGenerated(RequestId Request, IReadOnlyList<Trajectory> Trajectories, long NewTokens, double Seconds, string Decoding = "") : IRunReply;

/// <param name="Seconds">Time inside the verifiers, measured by the judge.</param>
public sealed record TrajectoriesJudged(RequestId Request, IReadOnlyList<JudgedTrajectory> Judged, double Seconds) : IRunReply;

/// <summary>A Prompt entity recorded a group's verdicts (what was new, duplicates not counted again).</summary>
public sealed record GroupRecorded(GroupKey Group, int NewAttempts, int NewSuccesses) : IRunInput;

/// <param name="Consumed">The trajectories the trainer trained on, as it reports them.</param>
/// <param name="Seconds">Time inside the training step, measured by the worker.</param>
public sealed record IterationTrained(RequestId Request, TrainStepStats Stats, WeightsPublished Weights, IReadOnlyList<TrainedGroup> Consumed,
    double Seconds) : IRunReply;

public sealed record CheckpointSaved(RequestId Request, long Version, CheckpointRef Checkpoint) : IRunReply;

public sealed record HeldOutEvaluated(RequestId Request, HeldOutEvaluation Evaluation, double Seconds) : IRunReply;

/// <summary>A worker refused a request (bad input, wrong state); not retried: the run fails with the reason.</summary>
public sealed record WorkRejected(RequestId Request, string Reason) : IRunReply;

/// <summary>Pause at the next iteration boundary.</summary>
public sealed record PauseRequested : IRunInput;

public sealed record ResumeRequested : IRunInput;

/// <summary>Finish (with the final evaluation) at the next iteration boundary.</summary>
public sealed record StopRequested : IRunInput;

/// <summary>Validated new options (a hyperparameter change); they take effect at the next iteration boundary.</summary>
public sealed record OptionsChanged(RunOptions Options) : IRunInput;

/// <summary>The resend timer fired: unanswered judging and recording requests (both idempotent) are sent again.</summary>
public sealed record ResendDue : IRunInput;

/// <summary>Something outside the machine failed (a journal read, a shell-side check): the run fails with the reason.</summary>
public sealed record RunAborted(string Reason) : IRunInput;
