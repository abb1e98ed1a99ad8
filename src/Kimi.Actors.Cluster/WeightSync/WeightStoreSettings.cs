using System.Globalization;

namespace Kimi.Actors.Cluster.WeightSync;

/// <summary>How published weights travel (<c>kimi.workers.weights.transport</c>).</summary>
public enum WeightTransport
{
    /// <summary>memory: <see cref="InMemoryWeightStore.Shared"/>, only for workers in the publisher's process.</summary>
    Memory,
    /// <summary>shm: files in /dev/shm (or the folder where it is absent), for worker processes on the same machine.</summary>
    SharedFile,
    /// <summary>folder: files in a configured folder, typically a volume every node mounts.</summary>
    Folder,
    /// <summary>http: files on the trainer's node, served by its <see cref="HttpWeightServer"/> and pulled by the others.</summary>
    Http,
}

/// <summary>The HTTP transport's settings (<c>kimi.workers.weights.http</c>).</summary>
/// <param name="Host">The address the node's weight server listens on.</param>
/// <param name="Port">Its port; 0: a free one.</param>
/// <param name="AdvertiseHost">The host in the URLs other nodes pull from; null: <paramref name="Host"/> (or the machine's name when that is 0.0.0.0).</param>
/// <param name="AdvertiseUrl">Set by a node for its worker processes: the base URL of the node's server; null on the node itself.</param>
/// <param name="Pull">Retries and deadlines of a pull.</param>
public sealed record HttpWeightSettings(string Host, int Port, string? AdvertiseHost, string? AdvertiseUrl, WeightPullOptions Pull)
{
    public static HttpWeightSettings Default { get; } = new("127.0.0.1", 0, null, null, WeightPullOptions.Default);
}

/// <param name="Deadline">A pull that has not delivered verified bytes by then fails: the load is refused, nothing is loaded.</param>
/// <param name="StallTimeout">No byte for this long: the connection is dropped and the pull resumes from where it was.</param>
/// <param name="RetryDelay">Wait before the first retry; doubled per failed attempt, at most 2 s.</param>
public sealed record WeightPullOptions(TimeSpan Deadline, TimeSpan StallTimeout, TimeSpan RetryDelay)
{
    public static WeightPullOptions Default { get; } = new(TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
}

/// <summary>The weight transport chosen by configuration (<c>kimi.workers.weights</c>).</summary>
/// <param name="Folder">
/// folder: the shared folder (required). shm and http: the local root where /dev/shm is absent; null: the temp folder.
/// </param>
public sealed record WeightStoreSettings(WeightTransport Transport, string? Folder = null, HttpWeightSettings? Http = null)
{
    public const string Key = "kimi.workers.weights";

    public static WeightTransport ParseTransport(string value) => value.Trim().ToLowerInvariant() switch
    {
        "memory" => WeightTransport.Memory,
        "shm" => WeightTransport.SharedFile,
        "folder" => WeightTransport.Folder,
        "http" => WeightTransport.Http,
        _ => throw new ArgumentException($"{Key}.transport = {value}: expected memory, shm, folder or http"),
    };

    public static string TransportName(WeightTransport transport) => transport switch
    {
        WeightTransport.Memory => "memory",
        WeightTransport.SharedFile => "shm",
        WeightTransport.Folder => "folder",
        _ => "http",
    };

    public HttpWeightSettings HttpSettings => Http ?? HttpWeightSettings.Default;

    /// <summary>Whether a worker in another process can fetch what this transport publishes.</summary>
    public bool CrossesProcesses => Transport != WeightTransport.Memory;

    /// <summary>Where this node keeps the files it publishes (shm, folder, http).</summary>
    public string LocalRoot => Transport == WeightTransport.Folder
        ? Folder ?? throw new ArgumentException($"{Key}.transport = folder needs {Key}.folder (a folder every node can read)")
        : SharedFileWeightStore.DefaultRoot(Folder);

    /// <summary>
    /// The store for <see cref="Transport"/>: the process-wide in-memory one, a file store on <see cref="LocalRoot"/>, or
    /// an HTTP store publishing there under <paramref name="httpBaseUrl"/> (the node's server; a worker process gets it
    /// as <see cref="HttpWeightSettings.AdvertiseUrl"/>).
    /// </summary>
    public IWeightStore Create(string? httpBaseUrl = null) => Transport switch
    {
        WeightTransport.Memory => InMemoryWeightStore.Shared,
        WeightTransport.SharedFile => new SharedFileWeightStore(LocalRoot),
        WeightTransport.Folder => new SharedFileWeightStore(LocalRoot, "folder"),
        _ => new HttpWeightStore(LocalRoot, httpBaseUrl ?? HttpSettings.AdvertiseUrl
            ?? throw new InvalidOperationException($"{Key}.transport = http: this process runs no weight server and was given no {Key}.http.advertise-url"),
            HttpSettings.Pull),
    };

    /// <summary>The <c>kimi.workers.weights</c> keys as a worker process must see them (its node's transport and server).</summary>
    public string ToHocon(string? httpBaseUrl)
    {
        var http = HttpSettings;
        string S(string? v) => System.Text.Json.JsonSerializer.Serialize(v ?? "");
        string Ms(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        return $$"""
            {{Key}} {
              transport = {{TransportName(Transport)}}
              folder = {{S(Folder)}}
              http { advertise-url = {{S(httpBaseUrl ?? http.AdvertiseUrl)}}, deadline = {{Ms(http.Pull.Deadline)}}, stall-timeout = {{Ms(http.Pull.StallTimeout)}}, retry-delay = {{Ms(http.Pull.RetryDelay)}} }
            }
            """;
    }
}
