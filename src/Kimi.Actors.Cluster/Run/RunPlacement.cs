using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Cluster.Run;

/// <summary>Which nodes host a run's entities, as its Run entity sees them (for summary.json and operators).</summary>
public static class PlacementProtocol
{
    public sealed record GetRunPlacement(RunId RunId) : IWithRunId;

    /// <param name="RunNode">The node of the Run entity that answers.</param>
    /// <param name="Hosted">Role (trainer, rollout) → every node that hosted one of the run's entities of that role since this
    /// Run entity started (more than one after a failover).</param>
    /// <param name="Current">Worker (trainer, rollout-N) → the node hosting it in the current (or last) session.</param>
    public sealed record RunPlacement(RunId RunId, string RunNode, IReadOnlyDictionary<string, IReadOnlyList<string>> Hosted,
        IReadOnlyDictionary<string, string> Current) : IKimiMessage;
}
