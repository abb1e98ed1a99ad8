using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kimi.Actors.Cluster.Management;

/// <summary>The outcome of one probe (the journal, or one entity type's shard region).</summary>
/// <param name="Ok">True: it answered as expected.</param>
/// <param name="Detail">What was seen, e.g. <c>reachable</c>, <c>not used by roles rollout</c>, or why it failed.</param>
public sealed record ProbeResult(bool Ok, string Detail)
{
    public static ProbeResult Pending(string what) => new(false, $"{what} not checked yet");
}

/// <summary>
/// What the node's health actor last saw: its membership, the journal and the shard region of every entity type it
/// hosts. Immutable; the actor replaces it after every round of probes and the HTTP routes read it.
/// </summary>
/// <param name="Member">This member's status (Joining, Up, Leaving, ...), or null before it has joined anything.</param>
/// <param name="Regions">One entry per entity type this node hosts for its roles, by type name; empty until the node
/// has started its entities (<see cref="EntitiesStarted"/>).</param>
/// <param name="Heartbeat">When the health actor last ran: a stale one means the actor system no longer runs actors.</param>
public sealed record HealthSnapshot(string Address, IReadOnlyList<string> Roles, string? Member, bool Reachable, ProbeResult Persistence,
    bool EntitiesStarted, IReadOnlyDictionary<string, ProbeResult> Regions, DateTime Heartbeat, bool Terminated)
{
    public static HealthSnapshot Initial(string address, IReadOnlyList<string> roles, DateTime now) =>
        new(address, roles, null, true, ProbeResult.Pending("persistence"), false, new Dictionary<string, ProbeResult>(), now, false);
}

/// <summary>A health answer: HTTP 200 when <see cref="Ok"/>, else 503, with a JSON body that says why.</summary>
public sealed record HealthVerdict(bool Ok, string Json);

/// <summary>
/// Readiness and liveness as pure functions of a <see cref="HealthSnapshot"/>. Ready: the member is Up and reachable,
/// the journal answers (when its roles use one) and every entity type of its roles has a started shard region that
/// its coordinator knows. Live: the actor system runs, the health actor ran recently, and the member was not downed —
/// a node that is only slow to join stays live, so Kubernetes does not restart it for that.
/// </summary>
public static class NodeHealth
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static HealthVerdict Readiness(HealthSnapshot s)
    {
        var reasons = new List<string>();
        if (s.Terminated) reasons.Add("the actor system has terminated");
        if (s.Member is null) reasons.Add($"member {s.Address} has not joined a cluster yet");
        else if (s.Member != "Up") reasons.Add($"member {s.Address} is {s.Member}, not Up");
        if (!s.Reachable) reasons.Add($"member {s.Address} is unreachable from the rest of the cluster");
        if (!s.Persistence.Ok) reasons.Add($"persistence: {s.Persistence.Detail}");
        if (!s.EntitiesStarted) reasons.Add($"entities for roles {string.Join(",", s.Roles)} are not started yet");
        foreach (var (type, probe) in s.Regions.OrderBy(p => p.Key, StringComparer.Ordinal))
            if (!probe.Ok) reasons.Add($"entity type {type}: {probe.Detail}");
        bool ok = reasons.Count == 0;
        return new HealthVerdict(ok, JsonSerializer.Serialize(new ReadinessBody(
            ok ? "ready" : "not-ready", ok ? null : reasons, s.Address, s.Roles, s.Member ?? "none", s.Persistence.Detail,
            s.Regions.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value.Detail)), Json));
    }

    /// <param name="staleAfter">How old the heartbeat may be before the node counts as stuck.</param>
    public static HealthVerdict Liveness(HealthSnapshot s, DateTime now, TimeSpan staleAfter)
    {
        string? reason = s.Terminated ? "the actor system has terminated"
            : s.Member is "Down" or "Removed" ? $"member {s.Address} is {s.Member}: it will not rejoin without a restart"
            : now - s.Heartbeat > staleAfter ? $"the health actor has not run for {(now - s.Heartbeat).TotalSeconds:0} s (limit {staleAfter.TotalSeconds:0} s)"
            : null;
        return new HealthVerdict(reason is null,
            JsonSerializer.Serialize(new LivenessBody(reason is null ? "alive" : "dead", reason, s.Address), Json));
    }

    private sealed record ReadinessBody(string Status, IReadOnlyList<string>? Reasons, string Address, IReadOnlyList<string> Roles,
        string Member, string Persistence, IReadOnlyDictionary<string, string> Entities);

    private sealed record LivenessBody(string Status, string? Reason, string Address);
}
