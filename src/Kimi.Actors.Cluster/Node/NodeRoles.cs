using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Judge;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Rollout;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Cluster.Trainer;

namespace Kimi.Actors.Cluster.Node;

/// <summary>
/// The cluster roles and the entity type each one hosts. A node hosts the entity types of its roles; an entity type
/// that no member's roles cover has no home, and every message to it would wait for ever, so the roles are checked
/// before anything waits on them.
/// </summary>
public static class NodeRoles
{
    public const string RolesKey = "akka.cluster.roles";

    /// <summary>role → the entity type it hosts, in the order the command line documents them.</summary>
    public static readonly IReadOnlyList<(string Role, string Entity)> Hosts =
    [
        (RunSharding.DefaultRole, "Run"),
        (PromptSharding.DefaultRole, "Prompt"),
        (TrainerSharding.DefaultRole, "Trainer"),
        (GeneratorSharding.DefaultRole, "RolloutGenerator"),
        (JudgeSharding.DefaultRole, "RewardJudge"),
    ];

    public static IReadOnlyList<string> All { get; } = Hosts.Select(h => h.Role).ToList();

    public static string AllowedText => string.Join(", ", All);

    /// <summary>The role names that are not Kimi roles.</summary>
    public static IReadOnlyList<string> Unknown(IEnumerable<string> roles) => roles.Where(r => !All.Contains(r)).Distinct().ToList();

    /// <summary>The roles none of <paramref name="roles"/> covers, as "Entity (role)" for messages.</summary>
    public static IReadOnlyList<string> Homeless(IEnumerable<string> roles)
    {
        var present = roles.ToHashSet(StringComparer.Ordinal);
        return Hosts.Where(h => !present.Contains(h.Role)).Select(h => $"{h.Entity} ({h.Role})").ToList();
    }

    /// <summary>
    /// <c>--roles a,b</c>: the listed roles, each once. Throws <see cref="ArgumentException"/> naming an unknown role and
    /// the allowed ones, or an empty list.
    /// </summary>
    public static IReadOnlyList<string> Parse(string text)
    {
        var roles = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
        if (roles.Count == 0) throw new ArgumentException($"'{text}': name at least one role ({AllowedText})");
        if (Unknown(roles) is [var first, ..])
            throw new ArgumentException($"unknown role '{first}' (roles: {AllowedText})");
        return roles;
    }

    /// <summary>
    /// A node that is a whole cluster by itself (<c>kimi.cluster.join-self = on</c>) must host every entity type: with a
    /// role missing, the run would wait for a member that never comes. Unknown roles are named too.
    /// </summary>
    /// <exception cref="ConfigException">Naming <see cref="RolesKey"/>, its value, what has no home and the allowed roles.</exception>
    public static void RequireWholeCluster(Akka.Configuration.Config config)
    {
        if (!config.GetBoolean(ClusterBootstrap.JoinSelfKey, false)) return;
        var roles = config.GetStringList(RolesKey, []);
        var homeless = Homeless(roles);
        if (homeless.Count == 0) return;
        var unknown = Unknown(roles);
        throw new ConfigException(
            $"{RolesKey} = [{string.Join(", ", roles)}]: a one-node cluster ({ClusterBootstrap.JoinSelfKey} = on) must host every entity type, " +
            $"but nothing would host {string.Join(", ", homeless)}" +
            (unknown.Count > 0 ? $"; unknown role{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown)}" : "") +
            $" (roles: {AllowedText})");
    }
}
