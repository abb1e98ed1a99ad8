using Akka.Actor;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Sharding;

namespace Kimi.Actors.Cluster.Run;

/// <summary>Registers Run entities (entity id: run id) on nodes with role <c>run</c>.</summary>
public static class RunSharding
{
    public const string TypeName = "run";
    public const string DefaultRole = "run";

    /// <summary>A Run drives its loop itself: never passivated for idleness (it would drop its attached workers).</summary>
    private static readonly EntityType Type = new(TypeName, Shards: 32, m => m is IWithRunId r ? EntityIds.Run(r.RunId) : null, Passivate: false);

    public static IActorRef Start(ActorSystem system, string role = DefaultRole) => Type.Start(system, role, RunActor.Props);

    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole) => Type.StartProxy(system, role);
}
