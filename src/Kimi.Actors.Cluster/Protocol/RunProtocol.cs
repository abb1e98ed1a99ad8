using Akka.Actor;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;

namespace Kimi.Actors.Cluster.Protocol;

/// <summary>What a run's status reply says it is doing (the console and scripts read these words).</summary>
public enum RunStatusKind
{
    /// <summary>No run with this id in the journal.</summary>
    New,
    Active,
    Paused,
    /// <summary>Started before, not finished, and not running now (stopped, killed, or its node went away).</summary>
    Stopped,
    Completed,
    Failed,
}

/// <summary>Commands, replies and progress of the Run entity (the k1.5 master of one training run).</summary>
public static class RunProtocol
{
    // ---- commands ----

    /// <summary>
    /// Starts a run from its effective configuration (the whole <c>kimi { }</c> tree as HOCON text, which is also what
    /// the journal keeps, so a resumed run binds exactly the same options).
    /// </summary>
    public sealed record StartRun(RunId RunId, string ConfigHocon) : IWithRunId;

    /// <summary>
    /// Continues a run from its last committed iteration: for <paramref name="AdditionalIterations"/> more, or (null) up
    /// to the target it already had (after a crash or kill).
    /// </summary>
    public sealed record ContinueRun(RunId RunId, int? AdditionalIterations) : IWithRunId;

    /// <summary>Progress of the run goes to <paramref name="Subscriber"/> (as <see cref="RunReported"/>) until it terminates.</summary>
    public sealed record SubscribeRun(RunId RunId, IActorRef Subscriber) : IWithRunId;

    public sealed record GetRunStatus(RunId RunId) : IWithRunId;

    /// <summary>Pause after the iteration in flight commits; <see cref="ResumeRun"/> continues.</summary>
    public sealed record PauseRun(RunId RunId) : IWithRunId;

    public sealed record ResumeRun(RunId RunId) : IWithRunId;

    /// <summary>Finish after the iteration in flight commits (with the final evaluation).</summary>
    public sealed record StopRun(RunId RunId) : IWithRunId;

    /// <summary>Changes one <c>kimi.*</c> key from the next iteration on; validated like start-up configuration.</summary>
    public sealed record SetHyperparameter(RunId RunId, string Key, string Value) : IWithRunId;

    // ---- replies ----

    public sealed record RunAccepted(RunId RunId, int StartIteration, int TargetIterations) : IWithRunId;

    /// <param name="Allowed">For a refused change: what the key accepts (or which keys exist); null otherwise.</param>
    public sealed record RunRejected(RunId RunId, string Reason, string? Allowed = null) : IWithRunId;

    /// <param name="Phase">What the session is doing now (warm-up, iterating, evaluating, ...), null when not running.</param>
    public sealed record RunStatus(RunId RunId, RunStatusKind State, RunPhase? Phase, int Iteration, long WeightVersion, int TargetIterations,
        double? LastAccuracy) : IWithRunId;

    /// <param name="AppliesFromIteration">The first iteration that runs with the new value.</param>
    public sealed record HyperparameterAccepted(RunId RunId, string Key, string Value, int AppliesFromIteration) : IWithRunId;

    // ---- progress, to subscribers ----

    /// <summary>One piece of a run's progress (SFT step, evaluation, iteration, checkpoint, finished, failed).</summary>
    public sealed record RunReported(RunId RunId, IRunReport Report) : IKimiMessage;
}
