namespace Kimi.Actors.Host.Chaos;

/// <summary>One node of a scenario's cluster: its name, roles and whether it is a seed.</summary>
public sealed record ChaosNodeSpec(string Name, string Roles, bool Seed = false);

/// <summary>
/// A chaos scenario: the cluster it starts (nodes and their roles), the fault plan its nodes run with, and what it does
/// to the cluster while the run goes on (<see cref="Inject"/>, which returns how many faults it injected itself).
/// </summary>
public sealed record ChaosScenario(string Name, string Summary, IReadOnlyList<ChaosNodeSpec> Nodes, Func<ChaosRun, int> Inject,
    string NodeConfig = "", bool NeedsNamespaces = false);

/// <summary>The scenarios of <c>kimi chaos</c>.</summary>
public static class ChaosScenarios
{
    // The run node also hosts the Prompt entities, the judges and the trainer; two rollout nodes share the generator slots.
    private static readonly IReadOnlyList<ChaosNodeSpec> ThreeNodes =
    [
        new("n1", "run,prompt,judge,trainer", Seed: true),
        new("n2", "rollout"),
        new("n3", "rollout"),
    ];

    public static readonly IReadOnlyList<ChaosScenario> All =
    [
        new("kill-rollout-node", "kill -9 a node hosting a rollout generator mid-iteration, then start a replacement node",
            ThreeNodes, run =>
            {
                run.WaitForIteration(1);
                var victim = run.NodeHosting("rollout", exclude: "n1");
                run.Kill(victim);
                run.StartReplacement(new ChaosNodeSpec("n4", "rollout"));
                return 1;
            }),
        new("kill-run-node", "kill -9 the node hosting the Run entity mid-iteration: the Run starts again on the other run node and continues",
            [new("n1", "run,prompt,judge", Seed: true), new("n2", "run,prompt,judge", Seed: true), new("n3", "trainer,rollout")],
            run =>
            {
                run.WaitForIteration(1);
                run.Kill(run.NodeHostingRun());
                return 1;
            }),
        new("gpu-worker-faults", "every 10th request a GPU worker gets (10 %: generation, weight loads, training, checkpoints) throws; " +
            "the worker process is replaced and the work re-sent",
            ThreeNodes, run => 0,
            NodeConfig: """
                kimi.faults {
                  enabled = on
                  rules = [ { target = gpu-worker, message = "*", action = throw, every = 10 } ]
                }
                """),
        new("kill-trainer-node", "kill -9 the trainer's node mid-iteration, then start a replacement: training resumes from the last " +
            "durable checkpoint (shared folder) and committed weight versions never go backwards",
            [new("n1", "run,prompt,judge", Seed: true), new("n2", "trainer"), new("n3", "rollout")],
            run =>
            {
                run.WaitForIteration(1);
                run.Kill("n2");
                run.StartReplacement(new ChaosNodeSpec("n4", "trainer"));
                return 1;
            }),
        new("restart-database", "stop PostgreSQL mid-iteration for a few seconds, then start it again: journal writes fail, the entities " +
            "are restarted with back-off and the run continues with no event lost or doubled",
            ThreeNodes, run =>
            {
                run.WaitForIteration(1);
                run.RestartDatabase(TimeSpan.FromSeconds(8));
                return 1;
            }),
        new("partition", "cut a rollout node off the network (its own network namespace) for longer than the split-brain resolver's " +
            "stable-after: the minority side is downed and exits, the link is restored, the node restarts and rejoins",
            ThreeNodes, run =>
            {
                run.WaitForIteration(1);
                run.Partition(run.NodeHosting("rollout", exclude: "n1"));
                return 1;
            },
            NeedsNamespaces: true),
    ];

    public static ChaosScenario? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    public static string Names => string.Join(", ", All.Select(s => s.Name));
}
