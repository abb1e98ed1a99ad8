using System.Security.Cryptography;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;

namespace Kimi.Actors.Cluster.WeightSync;

/// <summary>The checks every weight store applies, so all transports accept and reject the same things.</summary>
internal static class WeightChecks
{
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Checks what any store needs before publishing; returns the SHA-256 the publication will carry.</summary>
    public static string Publishable(RunId runId, byte[] safetensors)
    {
        // Run ids name folders and URL segments: RunId's rule (letters, digits, '.', '_', '-', never "." or "..") is what makes that safe.
        ArgumentNullException.ThrowIfNull(safetensors);
        return Sha256(safetensors);
    }

    public static void NewVersion(string location, long version, long? latest)
    {
        if (version < 0) throw new WeightSyncException(location, version, "versions are non-negative");
        if (latest is { } l && version <= l)
            throw new WeightSyncException(location, version, $"rejected: versions of a run strictly increase and version {l} is already published");
    }

    /// <summary>Returns <paramref name="bytes"/> when they are what <paramref name="weights"/> describes.</summary>
    public static byte[] Verified(WeightsPublished weights, byte[] bytes)
    {
        if (bytes.LongLength != weights.Bytes)
            throw new WeightSyncException(weights.Location, weights.Version, $"size mismatch: expected {weights.Bytes} bytes, found {bytes.LongLength}");
        var sha = Sha256(bytes);
        if (!string.Equals(sha, weights.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new WeightSyncException(weights.Location, weights.Version, $"SHA-256 mismatch: expected {weights.Sha256}, found {sha}");
        return bytes;
    }
}
