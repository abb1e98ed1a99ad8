using Kimi.Actors.Cluster.Protocol;

namespace Kimi.Actors.Cluster.Faults;

/// <summary>
/// Fault injection at run time, to any node's <see cref="FaultAgent"/> (<c>/user/kimi-faults</c>): rules injected there
/// apply on every member (they travel in distributed data), only where <c>kimi.faults.enabled = on</c>; counts are per node.
/// </summary>
public static class FaultProtocol
{
    /// <summary>Adds rules on every member (answered by <see cref="FaultsInjected"/> or <see cref="FaultsRefused"/>).</summary>
    public sealed record InjectFaults(IReadOnlyList<FaultRule> Rules) : IKimiMessage;

    /// <summary>Removes every rule injected at run time (the configured ones stay).</summary>
    public sealed record ClearFaults : IKimiMessage;

    /// <param name="InForce">The rules in force on the answering node once the change has reached it.</param>
    public sealed record FaultsInjected(string Node, IReadOnlyList<FaultRule> InForce) : IKimiMessage;

    public sealed record FaultsRefused(string Node, string Reason) : IKimiMessage;

    /// <summary>How many faults the node has injected (its worker processes' included), answered by <see cref="FaultCounts"/>.</summary>
    public sealed record GetFaultCounts : IKimiMessage;

    /// <param name="ByRule">Injections per rule, by the rule's description.</param>
    public sealed record FaultCounts(string Node, bool Enabled, int Injected, IReadOnlyDictionary<string, int> ByRule) : IKimiMessage;

    /// <summary>From a supervised worker to its GPU worker (often in another process): the rules in force now.</summary>
    public sealed record SetFaultPlan(FaultPlan Plan) : IKimiMessage;
}
