using Akka.Actor;
using Akka.Cluster.Sharding;
using Kimi.Actors.Cluster.Protocol;

namespace Kimi.Actors.Cluster.Prompt;

/// <summary>Registers the Prompt entity type with cluster sharding (entity id: run id + prompt id).</summary>
public static class PromptSharding
{
    public const string TypeName = "prompt";
    public const string DefaultRole = "prompt";

    /// <summary>Hosts Prompt entities on this node (it must have <paramref name="role"/>); returns the shard region.</summary>
    /// <param name="settings">Defaults to <c>kimi.prompt.*</c> of the system's configuration.</param>
    public static IActorRef Start(ActorSystem system, string role = DefaultRole, PromptSettings? settings = null)
    {
        settings ??= PromptSettings.FromConfig(system.Settings.Config);
        return ClusterSharding.Get(system).Start(
            TypeName,
            entityId => PromptActor.Props(entityId, settings),
            ClusterShardingSettings.Create(system).WithRole(role),
            new MessageExtractor(settings.Shards));
    }

    /// <summary>A region that routes to Prompt entities hosted on nodes with <paramref name="role"/> and hosts none itself.</summary>
    /// <param name="shards">Defaults to <c>kimi.prompt.shards</c>; must equal the hosting nodes' value.</param>
    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole, int? shards = null) =>
        ClusterSharding.Get(system).StartProxy(TypeName, role,
            new MessageExtractor(shards ?? PromptSettings.FromConfig(system.Settings.Config).Shards));

    /// <summary>Routes every <see cref="IWithPromptKey"/> message to entity <see cref="EntityIds.Prompt"/>(run, prompt).</summary>
    public sealed class MessageExtractor(int shards) : HashCodeMessageExtractor(shards)
    {
        public override string? EntityId(object message) =>
            message is IWithPromptKey keyed ? EntityIds.Prompt(keyed.RunId, keyed.PromptId) : null;
    }
}
