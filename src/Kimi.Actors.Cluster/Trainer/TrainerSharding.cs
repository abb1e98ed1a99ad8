using Akka.Actor;
using Akka.Cluster.Sharding;
using Kimi.Actors.Cluster.Protocol;

namespace Kimi.Actors.Cluster.Trainer;

/// <summary>Registers Trainer entities (entity id: run id) on nodes with role <c>trainer</c>.</summary>
public static class TrainerSharding
{
    public const string TypeName = "trainer";
    public const string DefaultRole = "trainer";
    private const int Shards = 32;

    /// <summary>Trainers own worker processes: never passivated for idleness, only stopped by their run.</summary>
    public static IActorRef Start(ActorSystem system, string role = DefaultRole) =>
        ClusterSharding.Get(system).Start(TypeName, TrainerActor.Props,
            ClusterShardingSettings.Create(system).WithRole(role).WithPassivateIdleAfter(TimeSpan.Zero), new MessageExtractor());

    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole) =>
        ClusterSharding.Get(system).StartProxy(TypeName, role, new MessageExtractor());

    public sealed class MessageExtractor() : HashCodeMessageExtractor(Shards)
    {
        public override string? EntityId(object message) => message is IWithTrainerRun m ? m.RunId : null;
    }
}
