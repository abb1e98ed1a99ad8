using System.Globalization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;

namespace Kimi.Actors.Cluster.WeightSync;

/// <summary>
/// Weights as files <c>&lt;root&gt;/&lt;run&gt;/v&lt;version&gt;.safetensors</c>, for workers in other processes. Transport shm:
/// the root is <c>/dev/shm/kimi</c> where /dev/shm exists (memory-backed, no disk traffic), else a configured folder;
/// transport folder: a configured folder, typically a volume every node mounts. A file is written under a temporary
/// name and renamed, so a reader never sees a partial one, and read back verified by size and SHA-256; the location is
/// the file's full path, so any reader that can see the folder can fetch it.
/// </summary>
public sealed class SharedFileWeightStore : IWeightStore
{
    private const string Extension = ".safetensors";
    private readonly object _gate = new();

    /// <param name="transport">The name it reports: shm, or folder for a shared volume.</param>
    public SharedFileWeightStore(string root, string transport = "shm")
    {
        Root = Path.GetFullPath(root);
        Transport = transport;
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Transport { get; }

    /// <summary><c>/dev/shm/kimi</c> when /dev/shm exists, else <paramref name="fallbackFolder"/> (or the temp folder's kimi-weights).</summary>
    public static string DefaultRoot(string? fallbackFolder = null) =>
        Directory.Exists("/dev/shm") ? "/dev/shm/kimi"
        : string.IsNullOrEmpty(fallbackFolder) ? Path.Combine(Path.GetTempPath(), "kimi-weights") : fallbackFolder;

    public string PathOf(RunId runId, long version) => Path.Combine(Root, RelativePath(runId, version));

    /// <summary><c>&lt;run&gt;/v&lt;version&gt;.safetensors</c>: the file's place under any root (and the HTTP transport's URL path).</summary>
    public static string RelativePath(RunId runId, long version) =>
        runId.Value + "/v" + version.ToString(CultureInfo.InvariantCulture) + Extension;

    public WeightsPublished Publish(RunId runId, long version, byte[] safetensors)
    {
        var sha = WeightChecks.Publishable(runId, safetensors);
        var path = PathOf(runId, version);
        lock (_gate)
        {
            WeightChecks.NewVersion(path, version, LatestVersion(runId));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Dot-prefixed, so Versions() never lists it; unique, so two writers never share one.
            var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
            try
            {
                File.WriteAllBytes(temporary, safetensors);
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException e) when (File.Exists(path))
            {
                throw new WeightSyncException(path, version, $"rejected: another writer published this version first ({e.Message})");
            }
            finally
            {
                File.Delete(temporary);
            }
        }
        return new WeightsPublished(runId, version, path, sha, safetensors.LongLength);
    }

    public byte[] Fetch(WeightsPublished weights)
    {
        if (!Path.IsPathRooted(weights.Location))
            throw new WeightSyncException(weights.Location, weights.Version, "not a file path: publisher and reader use different weight transports");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(weights.Location); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new WeightSyncException(weights.Location, weights.Version, "missing (pruned, or written on another machine?)");
        }
        return WeightChecks.Verified(weights, bytes);
    }

    public void Prune(RunId runId, long keepFrom) => Delete(runId, v => v < keepFrom);

    public void Retract(RunId runId, long fromVersion) => Delete(runId, v => v >= fromVersion);

    public long? LatestVersion(RunId runId)
    {
        long? latest = null;
        foreach (var (v, _) in Versions(runId)) latest = latest is null ? v : Math.Max(latest.Value, v);
        return latest;
    }

    private void Delete(RunId runId, Func<long, bool> which)
    {
        lock (_gate)
        {
            foreach (var (v, path) in Versions(runId).ToList())
                if (which(v)) File.Delete(path);
            // A run with nothing left leaves no folder behind (in /dev/shm, folders are memory too).
            var folder = Path.Combine(Root, runId.Value);
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        }
    }

    private IEnumerable<(long Version, string Path)> Versions(RunId runId)
    {
        var folder = Path.Combine(Root, runId.Value);
        if (!Directory.Exists(folder)) yield break;
        foreach (var path in Directory.EnumerateFiles(folder, "v*" + Extension))
        {
            var name = Path.GetFileName(path);
            if (long.TryParse(name.AsSpan(1, name.Length - 1 - Extension.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                yield return (v, path);
        }
    }
}
