using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Runs;

/// <summary>Progress of a run, for whoever follows it (the host's progress display, metrics files, a console).</summary>
public interface IRunReport;

public sealed record SftStepReported(SftStepStats Step) : IRunReport;

public sealed record EvaluationReported(EvaluationLabel Label, int Iteration, HeldOutEvaluation Evaluation) : IRunReport;

public sealed record IterationReported(IterationMetrics Metrics) : IRunReport;

public enum CheckpointLabel { Sft, Final }

/// <summary>A durable checkpoint a follower may want a copy of.</summary>
public sealed record CheckpointReported(CheckpointLabel Label, long WeightVersion, CheckpointRef Checkpoint) : IRunReport;

/// <summary>The run reached its target (or was stopped): the before/after evaluations and what this session ran.</summary>
public sealed record RunFinished(int StartIteration, int EndIteration, long WeightVersion, HeldOutEvaluation? Sft, HeldOutEvaluation Final,
    CheckpointRef Checkpoint, double MeanOverheadFraction, long Parameters, string Device, double SftSeconds, string Decoding = "") : IRunReport;

public sealed record RunFailed(string Reason) : IRunReport;

/// <summary>Something a follower should know that does not stop the run.</summary>
public sealed record RunWarning(string Message) : IRunReport;

/// <summary>A worker was replaced after a failure (its supervisor restored the policy and re-sent the work in flight).</summary>
/// <param name="Worker"><c>trainer</c> or a generator slot (<c>rollout-N</c>).</param>
public sealed record WorkerRestarted(string Worker, int Incarnation, string Reason) : IRunReport;

/// <summary>
/// A continued run fell back from a damaged newest checkpoint to the newest intact one (<see cref="RolledBack"/>): the
/// iterations from <paramref name="ToIteration"/> on run again.
/// </summary>
public sealed record RunRolledBack(int FromIteration, int ToIteration, long WeightVersion, CheckpointRef Checkpoint, IReadOnlyList<string> Damaged)
    : IRunReport
{
    public string Message =>
        $"{string.Join("; ", Damaged)}; fell back to the checkpoint of iteration {ToIteration} ({Checkpoint.Directory}, republished as version " +
        $"{WeightVersion}): iterations {ToIteration}..{FromIteration - 1} run again";
}
