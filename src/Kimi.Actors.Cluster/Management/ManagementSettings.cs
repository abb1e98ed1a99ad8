using Kimi.Actors.Cluster.Configuration;
using AkkaConfig = Akka.Configuration.Config;

namespace Kimi.Actors.Cluster.Management;

/// <summary>How a node joins its cluster: <c>kimi.cluster.bootstrap</c>.</summary>
public enum BootstrapMode
{
    /// <summary>Seed nodes (given, or <c>akka.cluster.seed-nodes</c>), or itself with <c>kimi.cluster.join-self</c>.</summary>
    SeedNodes,
    /// <summary>Akka.Management Cluster Bootstrap: contact points from <c>akka.discovery</c> (Kubernetes API in Kubernetes).</summary>
    Discovery,
}

/// <summary>
/// The node's management endpoint (<c>kimi.management</c>) and how it joins (<c>kimi.cluster.bootstrap</c>), validated.
/// </summary>
/// <param name="Hostname">The address other nodes (and Cluster Bootstrap) use for this node's endpoint.</param>
/// <param name="BindHostname">The interface the server binds.</param>
public sealed record ManagementSettings(bool Enabled, string Hostname, string BindHostname, int Port, BootstrapMode Bootstrap,
    TimeSpan CheckInterval, TimeSpan CheckTimeout, TimeSpan MetricsInterval)
{
    public const string EnabledKey = "kimi.management.enabled";
    public const string PortKey = "kimi.management.http.port";
    public const string BootstrapKey = "kimi.cluster.bootstrap";

    /// <summary>The paths the node serves (the Kubernetes probes and the Prometheus scrape use these).</summary>
    public const string ReadyPath = "/healthz/ready", LivePath = "/healthz/live", MetricsPath = "/metrics";

    /// <summary>Roles whose entities (Run, Prompt) write the journal: on such a node the journal is part of readiness.</summary>
    public static readonly IReadOnlyList<string> PersistentRoles = [Run.RunSharding.DefaultRole, Prompt.PromptSharding.DefaultRole];

    /// <summary>No endpoint, seed nodes: for configurations without the node layers (single-actor tests).</summary>
    public static ManagementSettings Off { get; } = new(false, "127.0.0.1", "127.0.0.1", 8558, BootstrapMode.SeedNodes,
        TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));

    /// <exception cref="ConfigException">A value is out of range or the combination cannot work (the message names the key).</exception>
    public static ManagementSettings FromConfig(AkkaConfig config)
    {
        if (!config.HasPath("kimi.management.enabled")) return Off;
        var r = new ConfigReader(config, "kimi");
        var bootstrap = r.Choice("cluster.bootstrap", v => v switch
        {
            "seed-nodes" => BootstrapMode.SeedNodes,
            "discovery" => BootstrapMode.Discovery,
            _ => throw new ArgumentException(v),
        }, ["seed-nodes", "discovery"]);
        bool enabled = r.Bool("management.enabled");
        int port = r.Int("management.http.port", 0, 65535);
        var remoting = config.GetString("akka.remote.dot-netty.tcp.hostname", "");
        var hostname = r.String("management.http.hostname") is { Length: > 0 } h ? h : remoting is { Length: > 0 } ? remoting : "127.0.0.1";
        var bind = r.String("management.http.bind-hostname") is { Length: > 0 } b ? b : hostname;
        var interval = Positive(r, "management.readiness.check-interval");
        var timeout = Positive(r, "management.readiness.timeout");
        var metrics = Positive(r, "management.metrics.poll-interval");
        if (bootstrap == BootstrapMode.Discovery && !enabled)
            throw new ConfigException($"{BootstrapKey} = discovery needs {EnabledKey} = on: Cluster Bootstrap probes the other nodes' management endpoints");
        if (bootstrap == BootstrapMode.Discovery && port == 0)
            throw new ConfigException($"{PortKey} = 0 (any free port) cannot be used with {BootstrapKey} = discovery: the other nodes probe the port the pod spec names");
        return new ManagementSettings(enabled, hostname, bind, port, bootstrap, interval, timeout, metrics);
    }

    private static TimeSpan Positive(ConfigReader r, string key)
    {
        var value = r.String(key);
        TimeSpan t;
        try { t = r.Config.GetTimeSpan(r.Path(key)); }
        catch (Exception) { throw new ConfigException($"{r.Path(key)} = {value}: expected a duration such as 2s or 500ms"); }
        if (t <= TimeSpan.Zero) throw new ConfigException($"{r.Path(key)} = {value}: expected a positive duration");
        return t;
    }
}
