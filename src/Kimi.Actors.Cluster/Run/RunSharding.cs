using Akka.Actor;
using Akka.Cluster.Sharding;
using Kimi.Actors.Cluster.Protocol;

namespace Kimi.Actors.Cluster.Run;

/// <summary>Registers Run entities (entity id: run id) on nodes with role <c>run</c>.</summary>
public static class RunSharding
{
    public const string TypeName = "run";
    public const string DefaultRole = "run";
    private const int Shards = 32;

    /// <summary>A Run drives its loop itself: never passivated for idleness (it would drop its attached workers).</summary>
    public static IActorRef Start(ActorSystem system, string role = DefaultRole) =>
        ClusterSharding.Get(system).Start(TypeName, RunActor.Props,
            ClusterShardingSettings.Create(system).WithRole(role).WithPassivateIdleAfter(TimeSpan.Zero), new MessageExtractor());

    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole) =>
        ClusterSharding.Get(system).StartProxy(TypeName, role, new MessageExtractor());

    public sealed class MessageExtractor() : HashCodeMessageExtractor(Shards)
    {
        public override string? EntityId(object message) => message is IWithRunId m ? m.RunId : null;
    }
}
