using Akka.Actor;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Sharding;

namespace Kimi.Actors.Cluster.Rollout;

/// <summary>Registers RolloutGenerator entities (entity id: run id + slot) on nodes with role <c>rollout</c>.</summary>
public static class GeneratorSharding
{
    public const string TypeName = "rollout-generator";
    public const string DefaultRole = "rollout";

    /// <summary>Generators own worker processes: never passivated for idleness, only stopped by their run.</summary>
    private static readonly EntityType Type = new(TypeName, Shards: 64,
        m => m is IWithGeneratorSlot s ? EntityIds.Generator(s.RunId, s.Slot) : null, Passivate: false);

    public static IActorRef Start(ActorSystem system, string role = DefaultRole) => Type.Start(system, role, RolloutGeneratorActor.Props);

    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole) => Type.StartProxy(system, role);
}
