using Akka.Actor;
using Akka.Cluster.Sharding;

namespace Kimi.Actors.Cluster.Sharding;

/// <summary>
/// One sharded entity type: its name, default role, shard count and how a message names its entity (through the
/// protocol's marker interfaces). Each entity's registration (RunSharding, PromptSharding, ...) declares one and
/// starts its region or proxy through it.
/// </summary>
/// <param name="Passivate">False for entities that own workers or drive a loop themselves: never stopped for idleness.</param>
/// <param name="Remember">
/// True: the region remembers its live entities (Akka's remember-entities, in distributed data) and starts them again
/// wherever their shard goes after a node leaves or dies, without waiting for a message.
/// </param>
/// <param name="ShardOf">
/// Which shard (0..Shards-1) an entity id lives in; null: Akka's hash of the id. A type whose entities of one run must
/// be able to sit on different nodes (the generators) gives each its own shard: the coordinator moves shards, not entities.
/// </param>
public sealed record EntityType(string TypeName, int Shards, Func<object, string?> EntityIdOf, bool Passivate = true, bool Remember = false,
    Func<string, int>? ShardOf = null)
{
    /// <summary>Hosts the entities on this node (it must have <paramref name="role"/>); returns the shard region.</summary>
    public IActorRef Start(ActorSystem system, string role, Func<string, Props> props)
    {
        var settings = ClusterShardingSettings.Create(system).WithRole(role);
        if (!Passivate) settings = settings.WithPassivateIdleAfter(TimeSpan.Zero);
        if (Remember) settings = settings.WithRememberEntities(true);
        return ClusterSharding.Get(system).Start(TypeName, props, settings, new Extractor(Shards, EntityIdOf, ShardOf));
    }

    /// <summary>A region that routes to entities hosted on nodes with <paramref name="role"/> and hosts none itself.</summary>
    public IActorRef StartProxy(ActorSystem system, string role) =>
        ClusterSharding.Get(system).StartProxy(TypeName, role, new Extractor(Shards, EntityIdOf, ShardOf));

    /// <summary>The shard id of <paramref name="entityId"/>, as the regions of this type compute it.</summary>
    public string ShardIdOf(string entityId) => new Extractor(Shards, EntityIdOf, ShardOf).ShardId(entityId);

    private sealed class Extractor(int shards, Func<object, string?> entityIdOf, Func<string, int>? shardOf) : HashCodeMessageExtractor(shards)
    {
        public override string? EntityId(object message) => entityIdOf(message);

        public override string ShardId(string entityId, object? messageHint = null) =>
            shardOf is null ? base.ShardId(entityId, messageHint) : shardOf(entityId).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
