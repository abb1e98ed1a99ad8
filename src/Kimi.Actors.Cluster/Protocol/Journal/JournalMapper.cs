using System.Runtime.InteropServices;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Cluster.Protocol.Journal;

/// <summary>
/// Domain events (the Run's and Prompt's) to the journal's DTOs and back. The only place that knows both shapes: a
/// domain type may change freely as long as this maps it to the same schema (or a new version of it).
/// </summary>
public static class JournalMapper
{
    public static IJournalEvent ToJournal(object domainEvent) => domainEvent switch
    {
        RunStarted e => new RunStartedV1(e.ConfigHocon, e.TargetIterations, e.StartedAtUtc),
        TargetExtended e => new TargetExtendedV1(e.TargetIterations),
        HyperparameterChanged e => new HyperparameterChangedV2(e.Key, e.Value, e.FromIteration, e.AtUtc ?? DateTime.UtcNow),
        SftFinished e => new SftFinishedV1(e.WeightVersion, ToDto(e.Checkpoint), e.Seconds),
        HeldOutRecorded e => new HeldOutRecordedV1(LabelName(e.Label), e.Iteration, ToDto(e.Evaluation)),
        IterationCommitted e => new IterationCommittedV1(e.Iteration, e.WeightVersion, ToDto(e.Checkpoint), e.Metrics.ToRow(),
            e.Replay.Groups.Select(ToDto).ToList(),
            e.Trained.Select(g => new TrainedGroupDto(g.Group.Prompt.Value, g.Group.Iteration, [.. g.Trajectories.Select(t => t.Sample)])).ToList()),
        RunPaused => new RunPausedV1(),
        RunUnpaused => new RunUnpausedV1(),
        RunCompleted e => new RunCompletedV1(e.EndIteration),
        RolledBack e => new RolledBackV1(e.FromIteration, e.ToIteration, e.WeightVersion, ToDto(e.Checkpoint), [.. e.Damaged]),
        GroupJudged e => new GroupJudgedV1(e.RunId.Value, e.PromptId.Value, e.Iteration, e.Difficulty, e.Samples, e.Correct),
        PromptSnapshot e => new PromptSnapshotV1(e.RunId.Value, e.PromptId.Value, e.Difficulty, e.Attempts, e.Successes, e.LastIteration,
            e.RecentSamples),
        _ => throw new ArgumentException($"{domainEvent.GetType().Name} is not a persisted event"),
    };

    public static object FromJournal(IJournalEvent stored) => stored switch
    {
        RunStartedV1 e => new RunStarted(e.Config, e.TargetIterations, e.StartedAtUtc),
        TargetExtendedV1 e => new TargetExtended(e.TargetIterations),
        HyperparameterChangedV1 e => new HyperparameterChanged(e.Key, e.Value, e.FromIteration, AtUtc: null),
        HyperparameterChangedV2 e => new HyperparameterChanged(e.Key, e.Value, e.FromIteration, DateTime.SpecifyKind(e.AtUtc, DateTimeKind.Utc)),
        SftFinishedV1 e => new SftFinished(e.WeightVersion, FromDto(e.Checkpoint), e.Seconds),
        HeldOutRecordedV1 e => new HeldOutRecorded(ParseLabel(e.Label), e.Iteration, FromDto(e.Evaluation)),
        IterationCommittedV1 e => new IterationCommitted(e.Iteration, e.WeightVersion, FromDto(e.Checkpoint), IterationMetrics.FromRow(e.Metrics),
            new ReplaySnapshot(e.Replay.Select(FromDto).ToList()),
            e.Trained.Select(g =>
            {
                var key = new GroupKey(new PromptId(g.Prompt), g.Iteration);
                return new TrainedGroup(key, g.Samples.Select(key.Sample).ToList());
            }).ToList()),
        RunPausedV1 => new RunPaused(),
        RunUnpausedV1 => new RunUnpaused(),
        RunCompletedV1 e => new RunCompleted(e.EndIteration),
        RolledBackV1 e => new RolledBack(e.FromIteration, e.ToIteration, e.WeightVersion, FromDto(e.Checkpoint), e.Damaged),
        GroupJudgedV1 e => new GroupJudged(RunId.Parse(e.Run), new PromptId(e.Prompt), e.Iteration, e.Difficulty, e.Samples, e.Correct),
        PromptSnapshotV1 e => new PromptSnapshot(RunId.Parse(e.Run), new PromptId(e.Prompt), e.Difficulty, e.Attempts, e.Successes, e.LastIteration,
            e.Recent),
        _ => throw new ArgumentException($"{stored.GetType().Name} is not a journal event type"),
    };

    private static string LabelName(EvaluationLabel label) => label switch
    {
        EvaluationLabel.Sft => "sft", EvaluationLabel.Periodic => "periodic", EvaluationLabel.Final => "final",
        _ => throw new ArgumentOutOfRangeException(nameof(label)),
    };

    private static EvaluationLabel ParseLabel(string label) => label switch
    {
        "sft" => EvaluationLabel.Sft, "periodic" => EvaluationLabel.Periodic, "final" => EvaluationLabel.Final,
        _ => throw new JournalFormatException($"evaluation label '{label}' (expected sft, periodic or final)"),
    };

    private static CheckpointDto ToDto(CheckpointRef c) => new(c.Directory, c.Sha256);
    private static CheckpointRef FromDto(CheckpointDto c) => new(c.Directory, c.Sha256 ?? "");

    private static EvaluationDto ToDto(HeldOutEvaluation e) =>
        new(ToDto(e.Greedy), ToDto(e.Sampled), e.PrimaryMetric == PrimaryMetric.Sampled ? "sampled" : "greedy");

    private static HeldOutEvaluation FromDto(EvaluationDto e) => new(FromDto(e.Greedy), FromDto(e.Sampled), e.Primary switch
    {
        "sampled" => PrimaryMetric.Sampled, "greedy" => PrimaryMetric.Greedy,
        _ => throw new JournalFormatException($"primary metric '{e.Primary}' (expected sampled or greedy)"),
    });

    private static ReportDto ToDto(EvaluationReport r) => new(r.Mode, r.Prompts, ToDto(r.Overall),
        r.ByDifficulty.ToDictionary(p => p.Key, p => ToDto(p.Value)), r.ByDomain.ToDictionary(p => p.Key, p => ToDto(p.Value)),
        r.MeanResponseTokens, r.Elapsed.TotalSeconds);

    private static EvaluationReport FromDto(ReportDto r) => new(r.Mode, r.Prompts, FromDto(r.Overall),
        r.ByDifficulty.ToDictionary(p => p.Key, p => FromDto(p.Value)), r.ByDomain.ToDictionary(p => p.Key, p => FromDto(p.Value)),
        r.MeanResponseTokens, TimeSpan.FromSeconds(r.Seconds));

    private static SliceDto ToDto(SliceAccuracy s) => new(s.Count, s.Correct);
    private static SliceAccuracy FromDto(SliceDto s) => new(s.Count, s.Correct);

    private static OpenGroupDto ToDto(OpenGroup g) => new(g.PromptId.Value, g.Iteration, g.K, Base64(g.PromptTokens),
        g.Finished.Select(j => new VerdictDto(ToDto(j.Trajectory), j.Reward, j.Correct, j.Reason)).ToList(),
        g.Unfinished.Select(ToDto).ToList());

    private static OpenGroup FromDto(OpenGroupDto g)
    {
        var key = new GroupKey(new PromptId(g.Prompt), g.Iteration);
        return new OpenGroup(key, g.K, Ints(g.PromptTokens),
            g.Finished.Select(v => new JudgedTrajectory(FromDto(key, v.Response), v.Reward, v.Correct, v.Reason)).ToList(),
            g.Unfinished.Select(r => FromDto(key, r)).ToList());
    }

    private static ResponseDto ToDto(Trajectory t) => new(t.Sample, Base64(t.ResponseTokens), Base64(t.RolloutLogProbs), StopName(t.StopReason),
        t.Segments.Select(s => new SegmentDto(s.Start, s.Length, s.PolicyVersion)).ToList());

    private static Trajectory FromDto(GroupKey group, ResponseDto r) => new(group.Sample(r.Sample), Ints(r.Tokens), Floats(r.LogProbs),
        ParseStop(r.Stop), r.Segments.Select(s => new Segment(s.Start, s.Length, s.PolicyVersion)).ToList());

    private static string StopName(StopReason reason) => reason switch
    {
        StopReason.Stop => "stop", StopReason.MaxLength => "max-length", StopReason.Budget => "budget", StopReason.Repeat => "repeat",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    private static StopReason ParseStop(string stop) => stop switch
    {
        "stop" => StopReason.Stop, "max-length" => StopReason.MaxLength, "budget" => StopReason.Budget, "repeat" => StopReason.Repeat,
        _ => throw new JournalFormatException($"stop reason '{stop}' (expected stop, max-length, budget or repeat)"),
    };

    private static string Base64(int[] values) => Convert.ToBase64String(MemoryMarshal.AsBytes(values.AsSpan()));
    private static string Base64(float[] values) => Convert.ToBase64String(MemoryMarshal.AsBytes(values.AsSpan()));

    // Little-endian on every platform .NET runs Kimi on (x64, arm64); BitConverter.IsLittleEndian guards the assumption.
    private static int[] Ints(string base64) => BitConverter.IsLittleEndian
        ? MemoryMarshal.Cast<byte, int>(Convert.FromBase64String(base64)).ToArray()
        : throw new PlatformNotSupportedException("journal token arrays are little-endian");

    private static float[] Floats(string base64) => BitConverter.IsLittleEndian
        ? MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(base64)).ToArray()
        : throw new PlatformNotSupportedException("journal log-prob arrays are little-endian");
}

/// <summary>A stored event that this build cannot read: a newer schema version, an unknown manifest, or malformed JSON.</summary>
public sealed class JournalFormatException(string message) : Exception(message);
