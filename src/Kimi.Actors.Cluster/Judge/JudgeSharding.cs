using Akka.Actor;
using Akka.Cluster.Sharding;
using Kimi.Actors.Cluster.Protocol;

namespace Kimi.Actors.Cluster.Judge;

/// <summary>Registers RewardJudge entities (entity id: judge slot, shared by all runs) on nodes with role <c>judge</c>.</summary>
public static class JudgeSharding
{
    public const string TypeName = "reward-judge";
    public const string DefaultRole = "judge";
    private const int Shards = 32;

    public static IActorRef Start(ActorSystem system, string role = DefaultRole) =>
        ClusterSharding.Get(system).Start(TypeName, _ => RewardJudgeActor.Props(),
            ClusterShardingSettings.Create(system).WithRole(role), new MessageExtractor());

    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole) =>
        ClusterSharding.Get(system).StartProxy(TypeName, role, new MessageExtractor());

    public sealed class MessageExtractor() : HashCodeMessageExtractor(Shards)
    {
        public override string? EntityId(object message) => message is IWithJudgeSlot m ? EntityIds.Judge(m.Slot) : null;
    }
}
