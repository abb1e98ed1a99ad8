using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;

namespace Kimi.Actors.Cluster.Management.Control;

/// <summary>
/// How a node's run gateway serves clients (<c>kimi.cluster.control</c> in hocon/akka.conf): how long a watch lives
/// without being renewed, how often it says it is alive, and how long it waits for entities and regions it asks.
/// </summary>
public sealed record GatewaySettings(TimeSpan WatchLease, TimeSpan WatchHeartbeat, TimeSpan QueryTimeout, bool FaultInjection)
{
    public const string Path = "kimi.cluster.control";

    public static GatewaySettings FromConfig(Config config)
    {
        TimeSpan Positive(string key, TimeSpan fallback)
        {
            var value = config.GetTimeSpan($"{Path}.{key}", fallback);
            return value > TimeSpan.Zero ? value : throw new ConfigException($"{Path}.{key} = {value}: expected a positive duration");
        }
        var settings = new GatewaySettings(Positive("watch-lease", TimeSpan.FromSeconds(20)), Positive("watch-heartbeat", TimeSpan.FromSeconds(5)),
            Positive("query-timeout", TimeSpan.FromSeconds(10)), config.GetBoolean("kimi.faults.enabled", false));
        if (settings.WatchHeartbeat >= settings.WatchLease)
            throw new ConfigException($"{Path}.watch-heartbeat = {settings.WatchHeartbeat} must be shorter than {Path}.watch-lease = {settings.WatchLease}");
        return settings;
    }
}
