using Akka.Actor;
using Akka.Cluster.Sharding;
using Kimi.Actors.Cluster.Protocol;

namespace Kimi.Actors.Cluster.Rollout;

/// <summary>Registers RolloutGenerator entities (entity id: run id + slot) on nodes with role <c>rollout</c>.</summary>
public static class GeneratorSharding
{
    public const string TypeName = "rollout-generator";
    public const string DefaultRole = "rollout";
    private const int Shards = 64;

    /// <summary>Generators own worker processes: never passivated for idleness, only stopped by their run.</summary>
    public static IActorRef Start(ActorSystem system, string role = DefaultRole) =>
        ClusterSharding.Get(system).Start(TypeName, RolloutGeneratorActor.Props,
            ClusterShardingSettings.Create(system).WithRole(role).WithPassivateIdleAfter(TimeSpan.Zero), new MessageExtractor());

    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole) =>
        ClusterSharding.Get(system).StartProxy(TypeName, role, new MessageExtractor());

    public sealed class MessageExtractor() : HashCodeMessageExtractor(Shards)
    {
        public override string? EntityId(object message) =>
            message is IWithGeneratorSlot m ? EntityIds.Generator(m.RunId, m.Slot) : null;
    }
}
