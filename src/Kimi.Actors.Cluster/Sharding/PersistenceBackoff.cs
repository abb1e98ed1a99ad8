using Akka.Actor;
using Akka.Configuration;
using Akka.Pattern;
using Kimi.Actors.Cluster.Configuration;

namespace Kimi.Actors.Cluster.Sharding;

/// <summary>
/// How a persistent entity (Run, Prompt) comes back after its journal failed it (<c>kimi.cluster.persistence-backoff</c>).
/// Akka.Persistence stops an actor whose write or recovery fails (a database restarted or unreachable); sharded as it
/// is, the entity would stay gone until its next message, and that message would be lost. Under a back-off supervisor
/// it is started again after min * 2^n (capped at max, with random-factor jitter), recovers from the journal — which
/// holds exactly the events that were written — and carries on: a Run continues its session from its last committed
/// iteration; a Prompt answers the Run's re-sent record requests (idempotent). A crash is treated the same way.
/// </summary>
public sealed record PersistenceBackoff(TimeSpan Min, TimeSpan Max, double RandomFactor)
{
    public const string Path = "kimi.cluster.persistence-backoff";

    public static PersistenceBackoff FromConfig(Config config)
    {
        var min = config.GetTimeSpan($"{Path}.min", TimeSpan.FromSeconds(1));
        var max = config.GetTimeSpan($"{Path}.max", TimeSpan.FromSeconds(30));
        var random = config.GetDouble($"{Path}.random-factor", 0.2);
        if (min <= TimeSpan.Zero) throw new ConfigException($"{Path}.min = {min}: expected a positive duration");
        if (max < min) throw new ConfigException($"{Path}.max = {max}: expected at least {Path}.min ({min})");
        if (random is < 0 or > 1) throw new ConfigException($"{Path}.random-factor = {random}: expected a number in 0..1");
        return new PersistenceBackoff(min, max, random);
    }

    /// <summary>
    /// <paramref name="entity"/> under a back-off supervisor named like the entity's region: messages to the entity reach
    /// the child with their sender; while the child is away they go to dead letters (their senders re-send).
    /// </summary>
    public Props Supervise(Props entity, string childName) =>
        BackoffSupervisor.Props(Backoff.OnStop(entity, childName, Min, Max, RandomFactor).WithDefaultStoppingStrategy());
}
