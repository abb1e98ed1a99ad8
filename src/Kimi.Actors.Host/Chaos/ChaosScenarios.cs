namespace Kimi.Actors.Host.Chaos;

/// <summary>
/// One node of a scenario's cluster: its name, roles and whether it is a seed; <paramref name="Cpus"/>: the CPUs it and
/// its workers may use (taskset's list, e.g. "0"), null for all.
/// </summary>
public sealed record ChaosNodeSpec(string Name, string Roles, bool Seed = false, string? Cpus = null);

/// <summary>
/// A chaos scenario: the cluster it starts (nodes and their roles), the fault plan its nodes run with, and what it does
/// to the cluster while the run goes on (<see cref="Inject"/>, which returns how many faults it injected itself).
/// <paramref name="RunConfig"/> is HOCON over the size's run configuration (later keys win).
/// </summary>
/// <param name="OwnServer">A PostgreSQL server of the scenario's own (it restarts it, or needs it on the namespaces' bridge).</param>
/// <param name="NeedsNamespaces">Each node in a network namespace of its own, so that one can be cut off (root only).</param>
/// <param name="InjectsFaults">False for a scenario that only runs (three-node): it passes without a fault.</param>
public sealed record ChaosScenario(string Name, string Summary, IReadOnlyList<ChaosNodeSpec> Nodes, Func<ChaosRun, int> Inject,
    string NodeConfig = "", string RunConfig = "", bool OwnServer = false, bool NeedsNamespaces = false, bool InjectsFaults = true);

/// <summary>
/// The scenarios of <c>kimi chaos</c>, each run end to end by a test (tests/Kimi.Actors.Chaos.Tests) that asserts the
/// fault fired and the recovery it forced.
/// </summary>
public static class ChaosScenarios
{
    // The run node also hosts the Prompt entities, the judges and the trainer; two rollout nodes can host the generator.
    private static readonly IReadOnlyList<ChaosNodeSpec> RunAndTwoRolloutNodes =
    [
        new("n1", "run,prompt,judge,trainer", Seed: true),
        new("n2", "rollout"),
        new("n3", "rollout"),
    ];

    public static readonly IReadOnlyList<ChaosScenario> All =
    [
        new("three-node", "no fault: the run spread over three nodes (run, prompt, judge and trainer on one; two rollout nodes, " +
            "one generator each), weights over HTTP; at --size smoke it is the smoke preset's learning run on a cluster",
            RunAndTwoRolloutNodes, run => 0,
            NodeConfig: """
                # Two generators, so each rollout node hosts one (one shard per slot).
                kimi.cluster.rollout-slots = 2
                # Weights as separate machines would get them: pulled from the trainer's node over HTTP.
                kimi.workers.weights.transport = http
                """,
            InjectsFaults: false),
        new("kill-run-node", "kill -9 the node hosting the Run entity mid-iteration: the Run starts again on the other run node and " +
            "continues from its last committed iteration",
            // Two nodes may host the Run (and the Prompt entities and judges); the third hosts the trainer and the generators.
            [new("n1", "run,prompt,judge", Seed: true), new("n2", "run,prompt,judge", Seed: true), new("n3", "trainer,rollout")],
            run =>
            {
                // Where the Run is, asked first: a tiny run's iterations take about a second, so the kill must follow
                // the first commit at once to land mid-run.
                var host = run.NodeHostingRun();
                run.WaitForIteration(1);
                run.Kill(host);
                return 1;
            }),
        new("gpu-worker-faults", "every 10th request of each kind a GPU worker gets (10 %: batches to generate, iterations to " +
            "train, weights to load, checkpoints to save) throws; its supervisor replaces the worker process, restores the policy " +
            "it held and re-sends the request",
            [new("n1", "run,prompt,judge,trainer,rollout", Seed: true)],
            // The faults are the nodes' own (their log lines are counted): the scenario does nothing itself.
            run => 0,
            NodeConfig: """
                kimi.faults {
                  enabled = on
                  rules = [ { target = gpu-worker, message = "*", action = throw, every = 10 } ]
                }
                # Room for every fault of a run: a worker process replaced per 10 batches.
                kimi.workers.restart-budget { max-restarts = 20, within = 10m }
                """,
            // One batch, one weight load, one training iteration and one checkpoint per iteration: 12 iterations give the
            // 10th of each (a tiny iteration is about 2 s; the smoke size runs 12 iterations too).
            RunConfig: "kimi.run.iterations = 12"),
        new("kill-rollout-node", "kill -9 the node hosting the rollout generator mid-iteration, then start a replacement node: the " +
            "generator starts again on a rollout node that is left and the session continues from the last committed iteration",
            RunAndTwoRolloutNodes, run =>
            {
                run.WaitForIteration(1);
                run.Kill(run.NodeHosting("rollout"));
                run.Join(new ChaosNodeSpec("n4", "rollout"));
                return 1;
            }),
        new("kill-trainer-node", "kill -9 the trainer's node mid-iteration, then start a replacement: the trainer resumes there from " +
            "the last durable checkpoint (shared folder) and committed weight versions never go backwards",
            [new("n1", "run,prompt,judge", Seed: true), new("n2", "trainer"), new("n3", "rollout")],
            run =>
            {
                run.WaitForIteration(1);
                run.Kill(run.NodeHosting("trainer"));
                run.Join(new ChaosNodeSpec("n4", "trainer"));
                return 1;
            }),
        new("restart-database", "stop the scenario's own PostgreSQL server mid-iteration for a few seconds, then start it again: " +
            "journal writes fail, the entities are started again with back-off and the run continues, no event lost or doubled",
            [new("n1", "run,prompt,judge,trainer,rollout", Seed: true)],
            run =>
            {
                run.WaitForIteration(1);
                run.RestartDatabase(TimeSpan.FromSeconds(6));
                return 1;
            },
            OwnServer: true),
        new("partition", "cut the node hosting the rollout generator off the network (its own network namespace) for longer than " +
            "the split-brain resolver's stable-after: the minority side is downed and exits, the link is restored, the node " +
            "starts again and rejoins, and no judged group is counted twice",
            RunAndTwoRolloutNodes, run =>
            {
                run.WaitForIteration(1);
                run.Partition(run.NodeHosting("rollout"), exitTimeout: TimeSpan.FromMinutes(2));
                return 1;
            },
            OwnServer: true, NeedsNamespaces: true),
        ScaleOutScenario.ScaleRollout,
    ];

    public static ChaosScenario? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    public static string Names => string.Join(", ", All.Select(s => s.Name));
}
