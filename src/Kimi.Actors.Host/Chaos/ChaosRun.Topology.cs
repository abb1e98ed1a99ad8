using System.Globalization;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Rl.Runs;

namespace Kimi.Actors.Host.Chaos;

/// <summary>
/// What a scenario does to the cluster's shape while the run goes on: a node that joins, one that leaves in order
/// (SIGTERM: coordinated shutdown hands its shards off), and where the run's generators are.
/// </summary>
public sealed partial class ChaosRun
{
    private ScaleMarks? _scale;

    /// <summary>Starts a node that was not part of the cluster at the start and waits until it is up.</summary>
    public void Join(ChaosNodeSpec spec)
    {
        Say($"{spec.Name} ({spec.Roles}{(spec.Cpus is null ? "" : $", CPUs {spec.Cpus}")}) joins");
        StartNode(spec, waitUp: true);
    }

    /// <summary>SIGTERM to a node: it leaves the cluster and hands its shards off. Returns its exit code (143 on a clean leave).</summary>
    public int Leave(string name)
    {
        var process = _nodes[name].Process;
        Say($"SIGTERM {name} (pid {process.Id})");
        process.Signal(ChaosProcess.SigTerm);
        // cluster-node.conf gives hand-off 30 s; the node's own shutdown phases come on top.
        var exit = process.WaitForExit(TimeSpan.FromSeconds(90))
            ?? throw new ScenarioFailedException($"node {name} still runs 90 s after SIGTERM");
        Say($"{name} left, exit {exit.ToString(CultureInfo.InvariantCulture)}");
        return exit;
    }

    /// <summary>Where each of the run's generators is (slot → node name), as the Run last saw them attach; empty while it does not say.</summary>
    public IReadOnlyDictionary<string, string> GeneratorNodes()
    {
        try
        {
            var placement = _control!.AskAsync(new PlacementProtocol.GetRunPlacement(RunId), "the run's placement", TimeSpan.FromSeconds(5))
                .GetAwaiter().GetResult() as PlacementProtocol.RunPlacement;
            return placement?.Current.Where(p => p.Key.StartsWith("rollout-", StringComparison.Ordinal))
                .ToDictionary(p => p.Key, p => NameOf(p.Value) ?? p.Value) ?? [];
        }
        catch (ControlException) { return new Dictionary<string, string>(); }
    }

    /// <summary>
    /// Polls the run until <paramref name="condition"/> holds for its committed iterations and its generators' nodes;
    /// returns both. Fails when the run ends first or <paramref name="timeout"/> passes, naming <paramref name="what"/>.
    /// </summary>
    public (int Committed, IReadOnlyDictionary<string, string> Generators) WaitForRun(Func<int, IReadOnlyDictionary<string, string>, bool> condition,
        TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = Status();
            var generators = GeneratorNodes();
            if (status is not null && condition(status.Iteration, generators)) return (status.Iteration, generators);
            if (status?.Phase is RunPhase.Finishing or RunPhase.Completed or RunPhase.Failed)
                throw new ScenarioFailedException($"run {RunId} reached {status.Phase} at iteration {status.Iteration} before {what}");
            if (DateTime.UtcNow > deadline)
                throw new ScenarioFailedException($"run {RunId} did not reach {what} within {timeout.TotalSeconds:0} s " +
                    $"(at iteration {status?.Iteration.ToString(CultureInfo.InvariantCulture) ?? "?"}, generators {Describe(generators)})");
            Thread.Sleep(StatusPoll);
        }
    }

    /// <summary>"n1 x2, n2 x1": how many generators each node hosts.</summary>
    public static string Describe(IReadOnlyDictionary<string, string> generators) =>
        generators.Count == 0 ? "none known" : string.Join(", ", generators.GroupBy(g => g.Value).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} x{g.Count()}"));

    /// <summary>Logs a line of the scenario.</summary>
    public void Note(string text) => Say(text);

    /// <summary>What the scale scenario saw, measured against metrics.jsonl once the run has ended.</summary>
    public void Mark(ScaleMarks marks) => _scale = marks;

    /// <summary>The scenario names CPUs (taskset) this machine must have.</summary>
    private void RequireCpus()
    {
        foreach (var spec in _scenario.Nodes.Where(n => n.Cpus is not null))
        {
            int highest = spec.Cpus!.Split(',', '-').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).Max();
            if (highest >= Environment.ProcessorCount)
                throw new ScenarioUnavailableException($"node {spec.Name} runs on CPU {spec.Cpus}, and this machine gives this process " +
                    $"{Environment.ProcessorCount} CPU(s)");
        }
    }
}
