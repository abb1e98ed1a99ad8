using Akka.Actor;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Sharding;

namespace Kimi.Actors.Cluster.Trainer;

/// <summary>Registers Trainer entities (entity id: run id) on nodes with role <c>trainer</c>.</summary>
public static class TrainerSharding
{
    public const string TypeName = "trainer";
    public const string DefaultRole = "trainer";

    /// <summary>Trainers own worker processes: never passivated for idleness, only stopped by their run.</summary>
    private static readonly EntityType Type = new(TypeName, Shards: 32, m => m is IWithTrainerRun r ? EntityIds.Trainer(r.RunId) : null, Passivate: false);

    public static IActorRef Start(ActorSystem system, string role = DefaultRole) => Type.Start(system, role, TrainerActor.Props);

    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole) => Type.StartProxy(system, role);
}
