using Akka.Actor;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Sharding;
using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Cluster.Rollout;

/// <summary>Registers RolloutGenerator entities (entity id: run id + slot) on nodes with role <c>rollout</c>.</summary>
public static class GeneratorSharding
{
    public const string TypeName = "rollout-generator";
    public const string DefaultRole = "rollout";

    /// <summary>
    /// Generators own worker processes: never passivated for idleness, only stopped by their run. A run's slots take
    /// consecutive shards from a start its id picks, so its generators (up to 64) are as many shards and the coordinator
    /// can spread them over the rollout nodes (hashing each id could put two on one shard, and they would always move
    /// together); each run starts at a shard of its own id, so the generators of several runs spread too.
    /// </summary>
    private static readonly EntityType Type = new(TypeName, Shards: 64,
        m => m is IWithGeneratorSlot s ? EntityIds.Generator(s.RunId, s.Slot) : null, Passivate: false, ShardOf: ShardOf);

    /// <summary>The shard of a generator entity: its run's starting shard plus its slot, modulo the shard count.</summary>
    public static int ShardOf(string entityId)
    {
        var (run, slot) = EntityIds.ParseGenerator(entityId);
        int start = Math.Abs(Akka.Util.MurmurHash.StringHash(run.Value) % Type.Shards);
        return (start + slot.Index) % Type.Shards;
    }

    /// <summary>The shard id a generator's messages are routed by (what the coordinator allocates and rebalances).</summary>
    public static string ShardIdOf(RunId run, GeneratorSlot slot) => Type.ShardIdOf(EntityIds.Generator(run, slot));

    public static IActorRef Start(ActorSystem system, string role = DefaultRole) => Type.Start(system, role, RolloutGeneratorActor.Props);

    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole) => Type.StartProxy(system, role);
}
