using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Rollouts;

namespace Kimi.Actors.Rl.Runs;

/// <summary>
/// How far a run has come, as its durable facts say: the target, whether SFT is done, the committed iteration, weight
/// version and checkpoint, the curriculum level reached, the replay buffer the last commit left, and the evaluations
/// to report. Pure: facts in, new progress out; a recovered run starts from exactly this.
/// </summary>
public sealed record RunProgress(
    int TargetIterations,
    bool SftDone,
    long WeightVersion,
    CheckpointRef? Checkpoint,
    int CommittedIterations,
    int CurriculumLevel,
    HeldOutEvaluation? SftEvaluation,
    HeldOutEvaluation? LastEvaluation,
    double SftSeconds,
    bool Paused,
    bool Completed,
    ReplaySnapshot Replay)
{
    public static readonly RunProgress New = new(0, false, 0, null, 0, 0, null, null, 0, false, false, ReplaySnapshot.Empty);

    public RunProgress Apply(IRunFact fact) => fact switch
    {
        TargetSet t => this with { TargetIterations = t.TargetIterations, Completed = Completed && CommittedIterations >= t.TargetIterations },
        SftFinished f => this with { SftDone = true, WeightVersion = f.WeightVersion, Checkpoint = f.Checkpoint, SftSeconds = f.Seconds },
        HeldOutRecorded { Label: EvaluationLabel.Sft } h => this with { SftEvaluation = h.Evaluation, LastEvaluation = h.Evaluation },
        HeldOutRecorded h => this with { LastEvaluation = h.Evaluation },
        IterationCommitted c => this with
        {
            CommittedIterations = c.Iteration + 1, WeightVersion = c.WeightVersion, Checkpoint = c.Checkpoint,
            CurriculumLevel = c.Metrics.MaxEligibleDifficulty, Replay = c.Replay,
        },
        RunPaused => this with { Paused = true },
        RunUnpaused => this with { Paused = false },
        RunCompleted => this with { Completed = true, Paused = false },
        _ => throw new ArgumentException($"unknown run fact {fact.GetType().Name}"),
    };
}
