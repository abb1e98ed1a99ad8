using System.Globalization;
using Kimi.Actors.Host.Chaos;
using Kimi.Actors.Host.Output;
using Xunit.Abstractions;

namespace Kimi.Actors.Chaos.Tests;

/// <summary>
/// The learning claim on many nodes: the smoke preset, submitted with <c>kimi train --cluster</c> to a cluster of three
/// <c>kimi node</c> processes on a PostgreSQL journal — one hosting the Run, Prompt, trainer and judge entities, two
/// hosting rollout generators (<c>kimi.cluster.rollout-slots = 2</c>) — gains at least the ten points of held-out accuracy
/// the one-node smoke test asks for, and its two generator shards live on different rollout nodes (the Run's placement
/// and the shard regions' statistics both say so). As slow as the smoke test itself, plus the cluster: the long test.
/// </summary>
public sealed class ThreeNodeLearningTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Long")]
    public void Three_nodes_train_the_smoke_preset_to_the_one_node_bar_with_generators_on_both_rollout_nodes()
    {
        var work = Path.Combine(Path.GetTempPath(), "kimi-three-nodes-" + Guid.NewGuid().ToString("N")[..12]);
        var scenario = new ChaosScenario("three-node-learning", "no faults: the smoke preset on three nodes",
            [new("n1", "run,prompt,trainer,judge", Seed: true), new("n2", "rollout"), new("n3", "rollout")], _ => 0);
        var log = new StringWriter();
        ChaosReport report;
        Kimi.Actors.Cluster.Management.Control.ControlProtocol.ClusterView view;
        using (var run = new ChaosRun(scenario, ChaosSize.Smoke, work, log, TimeSpan.FromMinutes(90)))
        {
            try
            {
                report = run.Execute();
                view = run.ClusterView();
            }
            finally { output.WriteLine(log.ToString()); }
        }
        var summary = RunSummary.Read(Path.Combine(work, "run", "summary.json"));
        var gain = summary.RlAccuracy - summary.SftAccuracy;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sft_accuracy {summary.SftAccuracy:F3}, rl_accuracy {summary.RlAccuracy:F3}, gain {gain:+0.000;-0.000}, held-out {summary.HeldOutCount}, " +
            $"wall {summary.WallSeconds:F0} s, actor overhead {summary.ActorOverheadFraction:F3}"));
        foreach (var node in view.Nodes)
            output.WriteLine($"{node.Address} [{string.Join(",", node.Roles)}]: {string.Join(", ", node.Entities.Select(e => $"{e.Key} {e.Value}"))}");
        foreach (var (worker, node) in report.Nodes!.Workers) output.WriteLine($"{worker} on {node}");

        Assert.True(report.Completed, log.ToString());
        Assert.Equal((0, 0, 0), (report.Lost, report.Duplicated, report.Unjudged));
        Assert.Equal(40, report.CommittedIterations);
        Assert.True(summary.HeldOutCount >= 200, $"heldout_count {summary.HeldOutCount}");
        Assert.True(gain >= 0.10, $"rl_accuracy {summary.RlAccuracy:F3} - sft_accuracy {summary.SftAccuracy:F3} = {gain:F3} < 0.10");

        // Both generator slots, on two different rollout nodes: by the Run's placement ...
        var rolloutNodes = report.Nodes.Roles["rollout"];
        Assert.Equal(2, rolloutNodes.Count);
        Assert.NotEqual(report.Nodes.Workers["rollout-0"], report.Nodes.Workers["rollout-1"]);
        Assert.Equal(report.Nodes.Workers["trainer"], Assert.Single(report.Nodes.Roles["run"]));
        // ... and by the shard regions' statistics: one generator entity on each node with the rollout role.
        var hosting = view.Nodes.Where(n => n.Roles.Contains("rollout")).Select(n => n.Entities.GetValueOrDefault("rollout")).ToList();
        Assert.Equal([1, 1], hosting);
        try { Directory.Delete(work, recursive: true); }
        catch (IOException) { }
    }
}
