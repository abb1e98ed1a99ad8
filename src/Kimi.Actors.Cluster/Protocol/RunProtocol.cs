using Kimi.Actors.Rl.Rollouts;
using Akka.Actor;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Cluster.Protocol;

/// <summary>Commands, replies, progress and events of the Run entity (the k1.5 master of one training run).</summary>
public static class RunProtocol
{
    // ---- commands ----

    /// <summary>
    /// Starts a run from its effective configuration (the whole <c>kimi { }</c> tree as HOCON text, which is also what
    /// the journal keeps, so a resumed run binds exactly the same options).
    /// </summary>
    public sealed record StartRun(string RunId, string ConfigHocon) : IWithRunId;

    /// <summary>
    /// Continues a run from its last committed iteration: for <paramref name="AdditionalIterations"/> more, or (null) up
    /// to the target it already had (after a crash or kill).
    /// </summary>
    public sealed record ContinueRun(string RunId, int? AdditionalIterations) : IWithRunId;

    /// <summary>Progress messages of the run go to <paramref name="Subscriber"/> until it terminates.</summary>
    public sealed record SubscribeRun(string RunId, IActorRef Subscriber) : IWithRunId;

    public sealed record GetRunStatus(string RunId) : IWithRunId;

    /// <summary>Pause after the iteration in flight commits; <see cref="ResumeRun"/> continues.</summary>
    public sealed record PauseRun(string RunId) : IWithRunId;

    public sealed record ResumeRun(string RunId) : IWithRunId;

    /// <summary>Finish after the iteration in flight commits (with the final evaluation).</summary>
    public sealed record StopRun(string RunId) : IWithRunId;

    /// <summary>Changes one <c>kimi.*</c> key from the next iteration on; validated like start-up configuration.</summary>
    public sealed record SetHyperparameter(string RunId, string Key, string Value) : IWithRunId;

    // ---- replies ----

    public sealed record RunAccepted(string RunId, int StartIteration, int TargetIterations) : IWithRunId;

    public sealed record RunRejected(string RunId, string Reason) : IWithRunId;

    public sealed record RunStatus(string RunId, string State, int Iteration, long WeightVersion, int TargetIterations, double? LastAccuracy)
        : IWithRunId;

    public sealed record HyperparameterAccepted(string RunId, string Key, string Value) : IWithRunId;

    // ---- progress, to subscribers ----

    public sealed record SftStepReported(string RunId, SftStepStats Step) : IWithRunId;

    public sealed record EvaluationReported(string RunId, string Label, int Iteration, HeldOutEvaluation Evaluation) : IWithRunId;

    /// <param name="ActorOverheadFraction">(iteration wall time − time inside generation, judging and training) / wall time.</param>
    public sealed record IterationReported(string RunId, IterationMetrics Metrics, double ActorOverheadFraction) : IWithRunId;

    /// <summary>The run reached its target (or was stopped): the before/after evaluations and what was run.</summary>
    public sealed record RunFinished(string RunId, int StartIteration, int EndIteration, long WeightVersion,
        HeldOutEvaluation? Sft, HeldOutEvaluation Final, string CheckpointDirectory, double MeanActorOverheadFraction,
        long Parameters, string Device, double SftSeconds) : IWithRunId;

    public sealed record RunFailed(string RunId, string Reason) : IWithRunId;

    /// <summary>A durable checkpoint was written: <paramref name="Label"/> is <c>sft</c> or <c>final</c>.</summary>
    public sealed record CheckpointReported(string RunId, string Label, long WeightVersion, string Directory) : IWithRunId;

    // ---- events (persisted; versioned data) ----

    public sealed record RunStarted(string RunId, string ConfigHocon, int TargetIterations, DateTime StartedAtUtc) : IKimiEvent;

    public sealed record TargetExtended(string RunId, int TargetIterations) : IKimiEvent;

    /// <summary>Warm-up SFT is done: version 0 is the SFT policy, checkpointed durably.</summary>
    public sealed record SftFinished(string RunId, long WeightVersion, string CheckpointDirectory, double Seconds) : IKimiEvent;

    public sealed record HeldOutRecorded(string RunId, string Label, int Iteration, HeldOutEvaluation Evaluation) : IKimiEvent;

    /// <summary>
    /// Iteration <paramref name="Iteration"/> is trained, its weights are durable and every generator runs them.
    /// <paramref name="Replay"/> is the replay buffer it left (open groups, responses to resume), so a resumed run
    /// continues them.
    /// </summary>
    public sealed record IterationCommitted(string RunId, int Iteration, long WeightVersion, string CheckpointDirectory,
        IterationMetrics Metrics, double ActorOverheadFraction, ReplaySnapshot Replay) : IKimiEvent;

    public sealed record HyperparameterChanged(string RunId, string Key, string Value) : IKimiEvent;

    public sealed record RunPaused(string RunId) : IKimiEvent;

    public sealed record RunUnpaused(string RunId) : IKimiEvent;

    public sealed record RunCompleted(string RunId, int EndIteration) : IKimiEvent;
}
