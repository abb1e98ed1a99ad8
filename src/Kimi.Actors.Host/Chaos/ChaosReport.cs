using System.Text.Json;
using System.Text.Json.Serialization;
using Kimi.Actors.Host.Output;

namespace Kimi.Actors.Host.Chaos;

/// <summary>
/// What <c>kimi chaos --json FILE</c> writes. <c>lost</c> and <c>duplicated</c> come from the exactly-once audit of the
/// journal, by trajectory id: judged in a committed iteration but never trained, and trained more than once.
/// </summary>
public sealed record ChaosReport
{
    [JsonPropertyName("scenario")] public required string Scenario { get; init; }
    [JsonPropertyName("completed")] public bool Completed { get; init; }
    /// <summary>Faults the scenario injected itself (kills, a database restart, a cut link) and those nodes logged (fault rules).</summary>
    [JsonPropertyName("faults_injected")] public int FaultsInjected { get; init; }
    /// <summary>Recoveries the nodes logged: sessions started again, Run entities that continued, worker processes replaced.</summary>
    [JsonPropertyName("recoveries")] public int Recoveries { get; init; }
    /// <summary>Worker processes their supervisors replaced after a failure (a share of <see cref="Recoveries"/>).</summary>
    [JsonPropertyName("worker_restarts")] public int WorkerRestarts { get; init; }
    /// <summary>Journal writes and recoveries that failed on the nodes (the entity stopped; its back-off supervisor started it again).</summary>
    [JsonPropertyName("persistence_failures")] public int PersistenceFailures { get; init; }
    [JsonPropertyName("groups_expected")] public int GroupsExpected { get; init; }
    /// <summary>Distinct groups (prompt, iteration drawn) the trainer consumed in committed iterations.</summary>
    [JsonPropertyName("groups_trained")] public int GroupsTrained { get; init; }
    [JsonPropertyName("lost")] public int Lost { get; init; }
    [JsonPropertyName("duplicated")] public int Duplicated { get; init; }
    /// <summary>Trained although no Prompt entity journaled them as judged (the audit's third way to fail).</summary>
    [JsonPropertyName("unjudged")] public int Unjudged { get; init; }
    [JsonPropertyName("trained_trajectories")] public int TrainedTrajectories { get; init; }
    [JsonPropertyName("samples_per_prompt")] public int SamplesPerPrompt { get; init; }
    [JsonPropertyName("committed_iterations")] public int CommittedIterations { get; init; }
    /// <summary>The weight version each committed iteration published, in journal order.</summary>
    [JsonPropertyName("weight_versions")] public IReadOnlyList<long> WeightVersions { get; init; } = [];
    [JsonPropertyName("versions_increase")] public bool VersionsIncrease { get; init; }
    [JsonPropertyName("wall_seconds")] public double WallSeconds { get; init; }
    /// <summary>Held-out accuracy after RL (summary.json's rl_accuracy); null when the run did not finish.</summary>
    [JsonPropertyName("final_accuracy")] public double? FinalAccuracy { get; init; }
    [JsonPropertyName("run_id")] public string? RunId { get; init; }
    [JsonPropertyName("nodes")] public RunSummary.ClusterNodes? Nodes { get; init; }
    /// <summary>The scale scenario's placements and rollout throughput; null for the others.</summary>
    [JsonPropertyName("scale")] public ScaleReport? Scale { get; init; }
    /// <summary>Why the scenario could not run on this machine; null when it ran.</summary>
    [JsonPropertyName("unavailable")] public string? Unavailable { get; init; }
    [JsonPropertyName("error")] public string? Error { get; init; }

    /// <summary>False for a scenario that injects nothing (three-node): then no fault is needed to pass.</summary>
    [JsonPropertyName("faults_expected")] public bool FaultsExpected { get; init; } = true;

    /// <summary>Everything a scenario must show: it finished, the fault fired (where it has one), nothing was lost or doubled.</summary>
    [JsonIgnore] public bool Passed => Completed && (FaultsInjected >= 1 || !FaultsExpected) && Lost == 0 && Duplicated == 0 && Unjudged == 0 && VersionsIncrease
        && Scale?.Passed != false;

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public void Write(string path)
    {
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        File.WriteAllText(full + ".tmp", JsonSerializer.Serialize(this, Options));
        File.Move(full + ".tmp", full, overwrite: true);
    }

    public static ChaosReport Read(string path) =>
        JsonSerializer.Deserialize<ChaosReport>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty report");
}
