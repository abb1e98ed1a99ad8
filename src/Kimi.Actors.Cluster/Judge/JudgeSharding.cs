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

    /// <summary>Starts the region; this node's entities share one <see cref="JudgeGate"/> of <c>kimi.judges.concurrency</c> slots.</summary>
    public static IActorRef Start(ActorSystem system, string role = DefaultRole)
    {
        var settings = JudgeSettings.FromConfig(system.Settings.Config);
        var gate = new JudgeGate(settings.Concurrency);
        var verifiers = settings.CreateVerifiers();
        return Type.Start(system, role, slot => RewardJudgeActor.Props(slot, settings, gate, verifiers));
    }

    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole) => Type.StartProxy(system, role);
}
