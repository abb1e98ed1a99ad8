using System.Collections.Immutable;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Rollouts;

namespace Kimi.Actors.Rl.Runs;

/// <summary>
/// How far a run has come, as its durable facts say: the target, whether SFT is done, the committed iteration, weight
/// version and checkpoint, the curriculum level reached, the replay buffer the last commit left, and the evaluations
/// to report; and the durable points a resume can fall back to when the newest checkpoint is damaged. Pure: facts in, new
/// progress out; a recovered run starts from exactly this.
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

    /// <summary>How many durable points are remembered: more than any checkpoint folder keeps (keep-checkpoints, 3 by default).</summary>
    public const int RememberedPoints = 16;

    /// <summary>The newest durable points (SFT's and each commit's), oldest first; the last is the one the run stands on.</summary>
    public ImmutableList<DurablePoint> Durable { get; init; } = [];

    /// <summary>The highest weight version the run ever made durable; a fallback republishes above it.</summary>
    public long HighestVersion { get; init; }

    public RunProgress Apply(IRunFact fact) => fact switch
    {
        TargetSet t => this with { TargetIterations = t.TargetIterations, Completed = Completed && CommittedIterations >= t.TargetIterations },
        SftFinished f => (this with { SftDone = true, WeightVersion = f.WeightVersion, Checkpoint = f.Checkpoint, SftSeconds = f.Seconds })
            .Remember(new DurablePoint(0, f.WeightVersion, f.Checkpoint, 0, ReplaySnapshot.Empty)),
        HeldOutRecorded { Label: EvaluationLabel.Sft } h => this with { SftEvaluation = h.Evaluation, LastEvaluation = h.Evaluation },
        HeldOutRecorded h => this with { LastEvaluation = h.Evaluation },
        IterationCommitted c => (this with
        {
            CommittedIterations = c.Iteration + 1, WeightVersion = c.WeightVersion, Checkpoint = c.Checkpoint,
            CurriculumLevel = c.Metrics.MaxEligibleDifficulty, Replay = c.Replay,
        }).Remember(new DurablePoint(c.Iteration + 1, c.WeightVersion, c.Checkpoint, c.Metrics.MaxEligibleDifficulty, c.Replay)),
        RunPaused => this with { Paused = true },
        RunUnpaused => this with { Paused = false },
        RunCompleted => this with { Completed = true, Paused = false },
        RolledBack r => RollBack(r),
        _ => throw new ArgumentException($"unknown run fact {fact.GetType().Name}"),
    };

    private RunProgress Remember(DurablePoint point)
    {
        var points = Durable.Add(point);
        return this with
        {
            Durable = points.Count > RememberedPoints ? points.RemoveRange(0, points.Count - RememberedPoints) : points,
            HighestVersion = Math.Max(HighestVersion, point.WeightVersion),
        };
    }

    /// <summary>Back to the point the fallback restored: later points are gone, its weights stand as the new version.</summary>
    private RunProgress RollBack(RolledBack r)
    {
        var kept = Durable.Where(p => p.CommittedIterations < r.ToIteration).ToImmutableList();
        var point = Durable.LastOrDefault(p => p.CommittedIterations == r.ToIteration && p.Checkpoint.Directory == r.Checkpoint.Directory)
            ?? throw new ArgumentException($"run facts: a fallback to iteration {r.ToIteration} ({r.Checkpoint.Directory}) that no durable point records");
        var restored = point with { WeightVersion = r.WeightVersion };
        return this with
        {
            CommittedIterations = r.ToIteration, WeightVersion = r.WeightVersion, Checkpoint = r.Checkpoint, CurriculumLevel = point.CurriculumLevel,
            Replay = point.Replay, Completed = false, Durable = kept.Add(restored), HighestVersion = Math.Max(HighestVersion, r.WeightVersion),
        };
    }
}

/// <summary>
/// Where a run stood when a durable checkpoint was made: after <paramref name="CommittedIterations"/> iterations (0: the
/// SFT policy), with these weights, curriculum level and replay buffer. A resume can go back to any that is still on disk.
/// </summary>
public sealed record DurablePoint(int CommittedIterations, long WeightVersion, CheckpointRef Checkpoint, int CurriculumLevel, ReplaySnapshot Replay);
