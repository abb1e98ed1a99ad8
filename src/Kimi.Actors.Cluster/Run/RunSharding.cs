using Akka.Actor;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Sharding;

namespace Kimi.Actors.Cluster.Run;

/// <summary>Registers Run entities (entity id: run id) on nodes with role <c>run</c>.</summary>
public static class RunSharding
{
    public const string TypeName = "run";
    public const string DefaultRole = "run";

    /// <summary>
    /// A Run drives its loop itself: never passivated for idleness (it would drop its attached workers), and remembered,
    /// so a run whose node died starts again on another <c>run</c> node and continues from its last committed iteration.
    /// </summary>
    private static readonly EntityType Type = new(TypeName, Shards: 32, m => m is IWithRunId r ? EntityIds.Run(r.RunId) : null,
        Passivate: false, Remember: true);

    /// <summary>Hosts Run entities, each under a back-off supervisor (<see cref="PersistenceBackoff"/>) that restarts it after a journal failure.</summary>
    public static IActorRef Start(ActorSystem system, string role = DefaultRole)
    {
        var backoff = PersistenceBackoff.FromConfig(system.Settings.Config);
        return Type.Start(system, role, id => backoff.Supervise(RunActor.Props(id), TypeName));
    }

    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole) => Type.StartProxy(system, role);
}
