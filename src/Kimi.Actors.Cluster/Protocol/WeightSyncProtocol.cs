namespace Kimi.Actors.Cluster.Protocol;

/// <summary>
/// Weight sync is a small message; the bytes travel out of band (in memory, a shared-memory file, later HTTP)
/// and are verified by SHA-256 before use. Versions of a run strictly increase.
/// </summary>
public static class WeightSyncProtocol
{
    /// <param name="Location">Transport-specific address: <c>mem://run/version</c>, a file path, or a URL.</param>
    /// <param name="Sha256">Lower-case hex SHA-256 of the safetensors bytes.</param>
    public sealed record WeightsPublished(string RunId, long Version, string Location, string Sha256, long Bytes) : IWithRunId;

    /// <summary>A generator has loaded and verified <see cref="Version"/> and will generate with it from now on.</summary>
    public sealed record WeightsAcknowledged(string RunId, long Version, int Slot) : IWithRunId;

    /// <summary>Loading failed (hash mismatch, missing file); the generator keeps its previous version.</summary>
    public sealed record WeightsRejected(string RunId, long Version, int Slot, string Reason) : IWithRunId;
}
