namespace Kimi.Actors.Cluster.Protocol.Journal;

/// <summary>
/// A persisted event or snapshot as it is stored: an explicit DTO, the schema of the journal. These outlive the code
/// that wrote them, so they never reuse the CLR shapes of Rl types (which may be renamed or moved): each is mapped to
/// and from the domain by <see cref="JournalMapper"/> and written by <see cref="Configuration.KimiJournalSerializer"/> as
/// JSON with its manifest and a schema version. Renaming a property here is a schema change.
/// </summary>
public interface IJournalEvent;

/// <summary>The manifests of the journal's event types and the newest schema version of each this build reads and writes.</summary>
public static class JournalSchema
{
    /// <summary>Manifest → (DTO type, newest version). A new version of an event adds an upgrade from the older ones in <see cref="JournalMapper"/>.</summary>
    public static readonly IReadOnlyDictionary<string, (Type Type, int Version)> Events = new Dictionary<string, (Type, int)>
    {
        ["run-started"] = (typeof(RunStartedV1), 1),
        ["target-extended"] = (typeof(TargetExtendedV1), 1),
        ["hyperparameter-changed"] = (typeof(HyperparameterChangedV2), 2),
        ["sft-finished"] = (typeof(SftFinishedV1), 1),
        ["heldout-recorded"] = (typeof(HeldOutRecordedV1), 1),
        ["iteration-committed"] = (typeof(IterationCommittedV1), 1),
        ["run-paused"] = (typeof(RunPausedV1), 1),
        ["run-unpaused"] = (typeof(RunUnpausedV1), 1),
        ["run-completed"] = (typeof(RunCompletedV1), 1),
        ["rolled-back"] = (typeof(RolledBackV1), 1),
        ["group-judged"] = (typeof(GroupJudgedV1), 1),
        ["prompt-snapshot"] = (typeof(PromptSnapshotV1), 1),
    };

    /// <summary>
    /// The DTO types of older versions still read (manifest, version → type); <see cref="JournalMapper.FromJournal"/>
    /// upgrades each to the domain event.
    /// </summary>
    public static readonly IReadOnlyDictionary<(string Manifest, int Version), Type> Older = new Dictionary<(string, int), Type>
    {
        [("hyperparameter-changed", 1)] = typeof(HyperparameterChangedV1),
    };

    /// <summary>The DTO type that holds version <paramref name="version"/> of <paramref name="manifest"/> (null: none).</summary>
    public static Type? TypeOf(string manifest, int version) =>
        Events.TryGetValue(manifest, out var newest) && newest.Version == version ? newest.Type
        : Older.TryGetValue((manifest, version), out var older) ? older : null;

    public static string ManifestOf(Type type) =>
        Events.FirstOrDefault(p => p.Value.Type == type).Key ?? throw new ArgumentException($"{type.Name} is not a journal event type");
}

// ---- the Run entity's events ----

public sealed record RunStartedV1(string Config, int TargetIterations, DateTime StartedAtUtc) : IJournalEvent;

public sealed record TargetExtendedV1(int TargetIterations) : IJournalEvent;

/// <summary>Version 1: no time (journals written before changes were timed); read and upgraded, never written.</summary>
public sealed record HyperparameterChangedV1(string Key, string Value, int FromIteration) : IJournalEvent;

/// <param name="AtUtc">When the change was accepted.</param>
public sealed record HyperparameterChangedV2(string Key, string Value, int FromIteration, DateTime AtUtc) : IJournalEvent;

public sealed record SftFinishedV1(long WeightVersion, CheckpointDto Checkpoint, double Seconds) : IJournalEvent;

/// <param name="Label">sft | periodic | final.</param>
public sealed record HeldOutRecordedV1(string Label, int Iteration, EvaluationDto Evaluation) : IJournalEvent;

/// <param name="Metrics">The iteration's metrics row (metrics.jsonl's keys).</param>
/// <param name="Trained">What the trainer reported it consumed.</param>
public sealed record IterationCommittedV1(int Iteration, long WeightVersion, CheckpointDto Checkpoint, IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<OpenGroupDto> Replay, IReadOnlyList<TrainedGroupDto> Trained) : IJournalEvent;

public sealed record RunPausedV1 : IJournalEvent;

public sealed record RunUnpausedV1 : IJournalEvent;

public sealed record RunCompletedV1(int EndIteration) : IJournalEvent;

/// <summary>A resume fell back from damaged checkpoints: the run stands after <paramref name="ToIteration"/> iterations again.</summary>
/// <param name="WeightVersion">The version the restored checkpoint was republished as.</param>
/// <param name="Damaged">What was wrong with each checkpoint skipped, newest first.</param>
public sealed record RolledBackV1(int FromIteration, int ToIteration, long WeightVersion, CheckpointDto Checkpoint, IReadOnlyList<string> Damaged)
    : IJournalEvent;

// ---- the Prompt entity's events and snapshot ----

/// <summary>One judged group's new samples (sample indices of the group drawn at <paramref name="Iteration"/>) and their verdicts.</summary>
public sealed record GroupJudgedV1(string Run, string Prompt, int Iteration, int Difficulty, int[] Samples, bool[] Correct) : IJournalEvent;

/// <param name="Recent">Iteration → sample indices recorded, for de-duplication.</param>
public sealed record PromptSnapshotV1(string Run, string Prompt, int Difficulty, long Attempts, long Successes, int LastIteration,
    IReadOnlyDictionary<int, int[]> Recent) : IJournalEvent;

// ---- parts ----

/// <param name="Sha256">Lower-case hex SHA-256 of the checkpoint's model.safetensors; empty when it was not recorded.</param>
public sealed record CheckpointDto(string Directory, string Sha256);

public sealed record SliceDto(int Count, int Correct);

public sealed record ReportDto(string Mode, int Prompts, SliceDto Overall, IReadOnlyDictionary<int, SliceDto> ByDifficulty,
    IReadOnlyDictionary<string, SliceDto> ByDomain, double MeanResponseTokens, double Seconds);

/// <param name="Primary">sampled | greedy.</param>
public sealed record EvaluationDto(ReportDto Greedy, ReportDto Sampled, string Primary);

public sealed record SegmentDto(int Start, int Length, long PolicyVersion);

/// <summary>A response: token ids and log-probs as base64 of little-endian int32 / float32 (compact and exact).</summary>
/// <param name="Stop">stop | max-length | budget | repeat.</param>
public sealed record ResponseDto(int Sample, string Tokens, string LogProbs, string Stop, IReadOnlyList<SegmentDto> Segments);

public sealed record VerdictDto(ResponseDto Response, double Reward, bool Correct, string Reason);

public sealed record OpenGroupDto(string Prompt, int Iteration, int K, string PromptTokens, IReadOnlyList<VerdictDto> Finished,
    IReadOnlyList<ResponseDto> Unfinished);

public sealed record TrainedGroupDto(string Prompt, int Iteration, int[] Samples);

/// <summary>
/// Stands for a stored event this build cannot read (newer schema version, unknown type, malformed): recovery sees it
/// instead of a misread event, and the entity refuses to run on a history it does not fully understand.
/// </summary>
public sealed record UnreadableJournalEvent(string Manifest, int Version, string Reason) : IJournalEvent;
