using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Rl.Identity;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Management.Control;

/// <summary>
/// What a client outside the cluster (<c>kimi-console</c>, <c>kimi train --cluster</c>) says to a node's run gateway
/// through the cluster client. Messages for one run (<see cref="IWithRunId"/>: status, pause, set, ...) go to the gateway
/// as they are and reach the Run entity; these are the gateway's own: reachability, the run list, the cluster's members
/// and entities, and progress subscriptions held by a lease.
/// </summary>
public static class ControlProtocol
{
    /// <summary>The gateway's name under /user on every node; clients send to <see cref="GatewayPath"/>.</summary>
    public const string GatewayName = "kimi-control";
    public const string GatewayPath = "/user/" + GatewayName;

    /// <summary>Is anyone there? Answered by <see cref="Pong"/>.</summary>
    public sealed record Ping : IKimiMessage;

    /// <param name="Node">The answering node's address.</param>
    /// <param name="FaultInjection">Whether the answering node has fault injection enabled (<c>kimi.faults.enabled</c>).</param>
    public sealed record Pong(string Node, IReadOnlyList<string> Roles, bool FaultInjection) : IKimiMessage;

    /// <summary>Every run the journal holds, with its status (<see cref="RunList"/>).</summary>
    public sealed record ListRuns : IKimiMessage;

    /// <param name="Unanswered">Runs whose entity did not answer in time (the list is partial).</param>
    public sealed record RunList(IReadOnlyList<RunStatus> Runs, IReadOnlyList<RunId> Unanswered) : IKimiMessage;

    /// <summary>The cluster's members and the entities each hosts (<see cref="ClusterView"/>).</summary>
    public sealed record GetClusterView : IKimiMessage;

    /// <param name="Entities">Entity type (run, prompt, rollout, trainer, judge) → live entities on this node.</param>
    public sealed record NodeView(string Address, string Status, bool Reachable, IReadOnlyList<string> Roles, IReadOnlyDictionary<string, int> Entities);

    /// <param name="Problem">Why entity counts are missing or partial (a region that did not answer), or null.</param>
    public sealed record ClusterView(IReadOnlyList<NodeView> Nodes, string? Problem) : IKimiMessage;

    /// <summary>
    /// Progress of <paramref name="RunId"/> (<see cref="RunReported"/>) goes to the sender for as long as it keeps sending
    /// this again within the gateway's lease (kimi.control.watch-lease); <see cref="WatchAlive"/> arrives between reports,
    /// so the client knows the cluster is still there.
    /// </summary>
    public sealed record WatchRun(RunId RunId) : IKimiMessage;

    public sealed record UnwatchRun(RunId RunId) : IKimiMessage;

    /// <summary>A watch's heartbeat from the gateway: the subscription stands.</summary>
    public sealed record WatchAlive(RunId RunId) : IKimiMessage;

    /// <summary>
    /// The cluster's fault injection (<see cref="ClusterFaults"/>). <see cref="FaultProtocol.InjectFaults"/> and
    /// <see cref="FaultProtocol.ClearFaults"/> sent to the gateway go on to its node's fault agent, which answers them.
    /// </summary>
    public sealed record GetFaults : IKimiMessage;

    /// <param name="Node">The answering gateway's node.</param>
    /// <param name="Enabled">Whether that node has fault injection enabled (<c>kimi.faults.enabled</c>).</param>
    /// <param name="InForce">The rules in force there: the configured ones, then those injected at run time (which reach every member).</param>
    /// <param name="Injected">The rules injected at run time alone.</param>
    /// <param name="Nodes">Every member's injection counts, as its fault agent answered.</param>
    /// <param name="Unanswered">Members whose fault agent did not answer in time.</param>
    public sealed record ClusterFaults(string Node, bool Enabled, IReadOnlyList<FaultRule> InForce, IReadOnlyList<FaultRule> Injected,
        IReadOnlyList<FaultProtocol.FaultCounts> Nodes, IReadOnlyList<string> Unanswered) : IKimiMessage;
}
