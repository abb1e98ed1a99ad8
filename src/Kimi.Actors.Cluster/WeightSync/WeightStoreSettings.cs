namespace Kimi.Actors.Cluster.WeightSync;

/// <summary>How published weights travel: in this process's memory, or as files in shared memory (or a folder).</summary>
public enum WeightTransport
{
    /// <summary><see cref="InMemoryWeightStore.Shared"/>: only for workers in the publisher's process.</summary>
    Memory,
    /// <summary><see cref="SharedFileWeightStore"/>: for workers in other processes on the same machine or volume.</summary>
    SharedFile,
}

/// <summary>The weight transport chosen by configuration (<c>kimi.workers.weights</c>).</summary>
/// <param name="Folder">Root for <see cref="WeightTransport.SharedFile"/> where /dev/shm is absent; null: the temp folder.</param>
public sealed record WeightStoreSettings(WeightTransport Transport, string? Folder = null)
{
    public static WeightTransport ParseTransport(string value) => value.Trim().ToLowerInvariant() switch
    {
        "memory" => WeightTransport.Memory,
        "shm" => WeightTransport.SharedFile,
        _ => throw new ArgumentException($"kimi.workers.weights.transport = {value}: expected memory or shm"),
    };

    public static string TransportName(WeightTransport transport) => transport == WeightTransport.Memory ? "memory" : "shm";

    /// <summary>Whether a worker in another process can fetch what this transport publishes.</summary>
    public bool CrossesProcesses => Transport != WeightTransport.Memory;

    /// <summary>The store: the process-wide in-memory one, or a file store on the resolved root.</summary>
    public IWeightStore Create() => Transport == WeightTransport.Memory
        ? InMemoryWeightStore.Shared
        : new SharedFileWeightStore(SharedFileWeightStore.DefaultRoot(Folder));
}
