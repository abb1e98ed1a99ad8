using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;

namespace Kimi.Actors.Cluster.WeightSync;

/// <summary>
/// Where published policy weights (whole safetensors files) live between the trainer that writes them and the workers
/// that load them. Only the small <see cref="WeightsPublished"/> record travels in messages; its location is this
/// store's address for the bytes. One publisher per run (its Trainer) is assumed.
/// </summary>
public interface IWeightStore
{
    /// <summary>Short name of the transport (<c>memory</c>, <c>shm</c>), for messages and metrics.</summary>
    string Transport { get; }

    /// <summary>
    /// Stores <paramref name="safetensors"/> as <paramref name="version"/> of <paramref name="runId"/>. Versions of a run
    /// strictly increase: a version at or below the latest one is rejected with <see cref="WeightSyncException"/>.
    /// The store keeps the array; the caller must not modify it afterwards.
    /// </summary>
    WeightsPublished Publish(RunId runId, long version, byte[] safetensors);

    /// <summary>
    /// The bytes behind <paramref name="weights"/>, verified against its size and SHA-256; a missing entry or a
    /// mismatch throws <see cref="WeightSyncException"/> naming the location and version. Treat the array as read-only.
    /// </summary>
    byte[] Fetch(WeightsPublished weights);

    /// <summary>Deletes the versions of <paramref name="runId"/> below <paramref name="keepFrom"/>.</summary>
    void Prune(RunId runId, long keepFrom);

    /// <summary>
    /// Deletes the versions of <paramref name="runId"/> at or above <paramref name="fromVersion"/>. For the run's one
    /// publisher only: a worker that died after publishing but before its reply arrived left a version nobody was told
    /// about; the retried request takes it back before publishing that version again.
    /// </summary>
    void Retract(RunId runId, long fromVersion);

    /// <summary>The highest stored version of <paramref name="runId"/>, or null when it has none.</summary>
    long? LatestVersion(RunId runId);
}

/// <summary>Weights that cannot be published or fetched: a non-increasing version, a missing entry, a size or hash mismatch.</summary>
public sealed class WeightSyncException(string location, long version, string problem)
    : Exception($"{location} (version {version}): {problem}")
{
    public string Location { get; } = location;
    public long Version { get; } = version;
}
