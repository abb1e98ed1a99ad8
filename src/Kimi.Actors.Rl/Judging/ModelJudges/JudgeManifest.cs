using System.Text.Json;
using System.Text.Json.Serialization;
using Kimi.Actors.Model.Checkpoints;

namespace Kimi.Actors.Rl.Judging.ModelJudges;

/// <summary>
/// <c>judge.json</c>, beside the decoder's <c>config.json</c> and <c>model.safetensors</c> in a judge checkpoint (the value
/// head's <c>score</c> in <c>value_head.safetensors</c>): which judge the folder holds and how it judges, which labelled
/// examples it was trained on (a measurement rebuilds the held-out ones from them) and how it was trained (for the record).
/// </summary>
public sealed record JudgeManifest
{
    public const string FileName = "judge.json", ValueHeadFile = "value_head.safetensors";
    public const int CurrentFormat = 1;

    [JsonPropertyName("format")] public int Format { get; init; } = CurrentFormat;
    [JsonPropertyName("kind")] public string Kind { get; init; } = ModelJudgeKinds.ChainOfThoughtName;
    /// <summary>Chain of thought: tokens the judge may write (reasoning and verdict) before it is cut off, unfinished.</summary>
    [JsonPropertyName("max_reasoning_tokens")] public int MaxReasoningTokens { get; init; } = 96;
    /// <summary>Value head: p(correct) at or above this is a correct verdict.</summary>
    [JsonPropertyName("threshold")] public double Threshold { get; init; } = 0.5;
    [JsonPropertyName("examples"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public JudgeExampleOptions? Examples { get; init; }
    [JsonPropertyName("training"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public JudgeTrainingRecord? Training { get; init; }

    [JsonIgnore] public ModelJudgeKind JudgeKind => ModelJudgeKinds.Parse(Kind);

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, Options) + "\n");
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Reads and checks <c>judge.json</c>; every problem is a <see cref="CheckpointException"/> naming the file and field.</summary>
    public static JudgeManifest Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new CheckpointException(path, null, $"missing: not a judge checkpoint (kimi judge train writes one)");
        JudgeManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<JudgeManifest>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new CheckpointException(path, e.Path is { Length: > 2 } p ? p[2..] : null, $"invalid JSON: {e.Message}", e); }
        if (manifest is null) throw new CheckpointException(path, null, "empty");
        if (manifest.Format != CurrentFormat) throw new CheckpointException(path, "format", $"format {manifest.Format}, this build reads {CurrentFormat}");
        try { _ = manifest.JudgeKind; }
        catch (ArgumentException e) { throw new CheckpointException(path, "kind", e.Message); }
        if (manifest.MaxReasoningTokens < 1) throw new CheckpointException(path, "max_reasoning_tokens", $"must be positive, got {manifest.MaxReasoningTokens}");
        if (!(manifest.Threshold > 0 && manifest.Threshold < 1)) throw new CheckpointException(path, "threshold", $"must be in (0, 1), got {manifest.Threshold}");
        try { manifest.Examples?.Validate(); }
        catch (ArgumentException e) { throw new CheckpointException(path, "examples", e.Message); }
        return manifest;
    }
}
