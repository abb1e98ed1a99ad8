using System.Text.Json;
using System.Text.Json.Serialization;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Rl.Evaluation;

namespace Kimi.Actors.Host.Output;

/// <summary>summary.json: the run's identity and its before/after held-out accuracy (fractions 0..1).</summary>
public sealed record RunSummary
{
    [JsonPropertyName("run_id")] public required string RunId { get; init; }
    [JsonPropertyName("engine")] public required string Engine { get; init; }
    [JsonPropertyName("preset")] public string? Preset { get; init; }
    [JsonPropertyName("seed")] public long Seed { get; init; }
    [JsonPropertyName("iterations")] public int Iterations { get; init; }
    [JsonPropertyName("start_iteration")] public int StartIteration { get; init; }
    [JsonPropertyName("sft_accuracy")] public double SftAccuracy { get; init; }
    [JsonPropertyName("rl_accuracy")] public double RlAccuracy { get; init; }
    [JsonPropertyName("gain")] public double Gain => RlAccuracy - SftAccuracy;
    [JsonPropertyName("accuracy_metric")] public string AccuracyMetric { get; init; } = "";
    [JsonPropertyName("heldout_count")] public int HeldOutCount { get; init; }
    [JsonPropertyName("sft_greedy_accuracy")] public double SftGreedyAccuracy { get; init; }
    [JsonPropertyName("rl_greedy_accuracy")] public double RlGreedyAccuracy { get; init; }
    [JsonPropertyName("sft_sampled_accuracy")] public double SftSampledAccuracy { get; init; }
    [JsonPropertyName("rl_sampled_accuracy")] public double RlSampledAccuracy { get; init; }
    /// <summary>Mean response tokens of the primary evaluation's responses: token efficiency beside accuracy (report §2.4).</summary>
    [JsonPropertyName("sft_mean_response_tokens")] public double SftMeanResponseTokens { get; init; }
    [JsonPropertyName("rl_mean_response_tokens")] public double RlMeanResponseTokens { get; init; }
    [JsonPropertyName("sft_accuracy_by_difficulty")] public IReadOnlyDictionary<string, double> SftByDifficulty { get; init; } = new Dictionary<string, double>();
    [JsonPropertyName("rl_accuracy_by_difficulty")] public IReadOnlyDictionary<string, double> RlByDifficulty { get; init; } = new Dictionary<string, double>();
    [JsonPropertyName("sft_accuracy_by_domain")] public IReadOnlyDictionary<string, double> SftByDomain { get; init; } = new Dictionary<string, double>();
    [JsonPropertyName("rl_accuracy_by_domain")] public IReadOnlyDictionary<string, double> RlByDomain { get; init; } = new Dictionary<string, double>();
    /// <summary>Image prompts and text prompts, when the held-out set has image prompts; empty otherwise.</summary>
    [JsonPropertyName("sft_accuracy_by_modality")] public IReadOnlyDictionary<string, double> SftByModality { get; init; } = new Dictionary<string, double>();
    [JsonPropertyName("rl_accuracy_by_modality")] public IReadOnlyDictionary<string, double> RlByModality { get; init; } = new Dictionary<string, double>();
    [JsonPropertyName("heldout_count_by_modality")] public IReadOnlyDictionary<string, int> HeldOutByModality { get; init; } = new Dictionary<string, int>();
    [JsonPropertyName("parameters")] public long Parameters { get; init; }
    [JsonPropertyName("device")] public string Device { get; init; } = "cpu";
    /// <summary>How the rollouts' decoding steps ran: cuda-graph (replayed CUDA graphs) or eager.</summary>
    [JsonPropertyName("decoding")] public string Decoding { get; init; } = "eager";
    [JsonPropertyName("wall_seconds")] public double WallSeconds { get; init; }
    [JsonPropertyName("sft_seconds")] public double SftSeconds { get; init; }
    [JsonPropertyName("rl_seconds")] public double RlSeconds { get; init; }
    [JsonPropertyName("actor_overhead_fraction")] public double? ActorOverheadFraction { get; init; }
    [JsonPropertyName("checkpoint")] public string? Checkpoint { get; init; }
    /// <summary>
    /// A run submitted to a cluster (<c>--cluster</c>): role → the nodes (host:port) that hosted its entities of that role
    /// (run, trainer, rollout as the Run entity saw them, more than one after a failover; prompt, judge: the nodes holding
    /// such entities at the end), and <c>workers</c>: trainer / rollout-N → its node in the last session.
    /// </summary>
    [JsonPropertyName("nodes")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ClusterNodes? Nodes { get; init; }

    public sealed record ClusterNodes(
        [property: JsonPropertyName("roles")] IReadOnlyDictionary<string, IReadOnlyList<string>> Roles,
        [property: JsonPropertyName("workers")] IReadOnlyDictionary<string, string> Workers);

    public static ClusterNodes NodesOf(PlacementProtocol.RunPlacement placement, ControlProtocol.ClusterView? view)
    {
        var roles = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { ["run"] = [placement.RunNode] };
        foreach (var (role, nodes) in placement.Hosted) roles[role] = nodes;
        foreach (var type in new[] { "prompt", "judge" })
        {
            var hosting = view?.Nodes.Where(n => n.Entities.GetValueOrDefault(type) > 0)
                .Select(n => Akka.Actor.Address.Parse(n.Address)).Select(a => $"{a.Host}:{a.Port}").Order(StringComparer.Ordinal).ToList();
            if (hosting is { Count: > 0 }) roles[type] = hosting;
        }
        return new ClusterNodes(roles, placement.Current);
    }

    public static IReadOnlyDictionary<string, double> ByDifficulty(EvaluationReport r) =>
        r.ByDifficulty.ToDictionary(p => p.Key.ToString(), p => Math.Round(p.Value.Accuracy, 6));

    public static IReadOnlyDictionary<string, double> ByDomain(EvaluationReport r) =>
        r.ByDomain.ToDictionary(p => p.Key, p => Math.Round(p.Value.Accuracy, 6));

    public static IReadOnlyDictionary<string, double> ByModality(EvaluationReport r) =>
        r.ByModality.Count > 1 ? r.ByModality.ToDictionary(p => p.Key, p => Math.Round(p.Value.Accuracy, 6)) : new Dictionary<string, double>();

    /// <summary>Prompts per modality (a sampled slice counts every sample, so its count is divided by the samples per prompt).</summary>
    public static IReadOnlyDictionary<string, int> CountByModality(EvaluationReport r) =>
        r.ByModality.Count > 1 ? r.ByModality.ToDictionary(p => p.Key, p => p.Value.Count * r.Prompts / Math.Max(1, r.Overall.Count))
            : new Dictionary<string, int>();

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public void Write(string path)
    {
        System.IO.File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, Options));
        System.IO.File.Move(path + ".tmp", path, overwrite: true);
    }

    public static RunSummary Read(string path) =>
        JsonSerializer.Deserialize<RunSummary>(System.IO.File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty summary");
}
