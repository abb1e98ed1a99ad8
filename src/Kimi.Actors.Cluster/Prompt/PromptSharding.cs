using Akka.Actor;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Sharding;

namespace Kimi.Actors.Cluster.Prompt;

/// <summary>Registers the Prompt entity type with cluster sharding (entity id: run id + prompt id).</summary>
public static class PromptSharding
{
    public const string TypeName = "prompt";
    public const string DefaultRole = "prompt";

    /// <summary>Every <see cref="IWithPromptKey"/> message goes to entity <see cref="EntityIds.Prompt"/>(run, prompt).</summary>
    private static EntityType Type(int shards) =>
        new(TypeName, shards, m => m is IWithPromptKey keyed ? EntityIds.Prompt(keyed.RunId, keyed.PromptId) : null);

    /// <summary>Hosts Prompt entities on this node (it must have <paramref name="role"/>); returns the shard region.</summary>
    /// <param name="settings">Defaults to <c>kimi.prompt.*</c> of the system's configuration.</param>
    public static IActorRef Start(ActorSystem system, string role = DefaultRole, PromptSettings? settings = null)
    {
        settings ??= PromptSettings.FromConfig(system.Settings.Config);
        // Under a back-off supervisor: a Prompt whose journal write failed comes back and answers the Run's re-sent records.
        var backoff = PersistenceBackoff.FromConfig(system.Settings.Config);
        return Type(settings.Shards).Start(system, role, entityId => backoff.Supervise(PromptActor.Props(entityId, settings), TypeName));
    }

    /// <summary>A region that routes to Prompt entities hosted on nodes with <paramref name="role"/> and hosts none itself.</summary>
    /// <param name="shards">Defaults to <c>kimi.prompt.shards</c>; must equal the hosting nodes' value.</param>
    public static IActorRef StartProxy(ActorSystem system, string role = DefaultRole, int? shards = null) =>
        Type(shards ?? PromptSettings.FromConfig(system.Settings.Config).Shards).StartProxy(system, role);
}
