using Akka.Actor;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Sharding;

namespace Kimi.Actors.Cluster.Judge;

/// <summary>Registers RewardJudge entities (entity id: judge slot, shared by all runs) on nodes with role <c>judge</c>.</summary>
public static class JudgeSharding
{
    public const string TypeName = "reward-judge";
    public const string DefaultRole = "judge";

    private static readonly EntityType Type = new(TypeName, Shards: 32, m => m is IWithJudgeSlot s ? EntityIds.Judge(s.Slot) : null);

    public static IActorRef Start(ActorSystem system, string role = DefaultRole) => Type.Start(system, role, RewardJudgeActor.Props);

    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole) => Type.StartProxy(system, role);
}
