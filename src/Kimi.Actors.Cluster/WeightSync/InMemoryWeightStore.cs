using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;

namespace Kimi.Actors.Cluster.WeightSync;

/// <summary>
/// Weights handed over in memory (<c>mem://run/version</c>), for a trainer and workers that share a process. Use
/// <see cref="Shared"/> so every worker of the process sees the same entries; separate instances suit tests.
/// </summary>
public sealed class InMemoryWeightStore : IWeightStore
{
    public const string Scheme = "mem://";

    private readonly object _gate = new();
    private readonly Dictionary<RunId, SortedDictionary<long, byte[]>> _runs = [];

    /// <summary>The process-wide store.</summary>
    public static InMemoryWeightStore Shared { get; } = new();

    public string Transport => "memory";

    public static string Location(RunId runId, long version) => $"{Scheme}{runId}/{version}";

    public WeightsPublished Publish(RunId runId, long version, byte[] safetensors)
    {
        var sha = WeightChecks.Publishable(runId, safetensors);
        var location = Location(runId, version);
        lock (_gate)
        {
            if (!_runs.TryGetValue(runId, out var versions)) _runs[runId] = versions = [];
            WeightChecks.NewVersion(location, version, versions.Count == 0 ? null : versions.Keys.Last());
            versions[version] = safetensors;
        }
        return new WeightsPublished(runId, version, location, sha, safetensors.LongLength);
    }

    public byte[] Fetch(WeightsPublished weights)
    {
        if (weights.Location != Location(weights.Run, weights.Version))
            throw new WeightSyncException(weights.Location, weights.Version,
                $"not an in-memory location of run '{weights.Run}' (expected {Location(weights.Run, weights.Version)}): publisher and reader use different weight transports");
        byte[]? bytes;
        lock (_gate) bytes = _runs.GetValueOrDefault(weights.Run)?.GetValueOrDefault(weights.Version);
        if (bytes is null)
            throw new WeightSyncException(weights.Location, weights.Version, "not in this process's weight store (pruned, or published by another process?)");
        return WeightChecks.Verified(weights, bytes);
    }

    public void Prune(RunId runId, long keepFrom) => Remove(runId, v => v < keepFrom);

    public void Retract(RunId runId, long fromVersion) => Remove(runId, v => v >= fromVersion);

    public long? LatestVersion(RunId runId)
    {
        lock (_gate) return _runs.TryGetValue(runId, out var versions) && versions.Count > 0 ? versions.Keys.Last() : null;
    }

    private void Remove(RunId runId, Func<long, bool> which)
    {
        lock (_gate)
        {
            if (!_runs.TryGetValue(runId, out var versions)) return;
            foreach (var v in versions.Keys.Where(which).ToList()) versions.Remove(v);
        }
    }
}
