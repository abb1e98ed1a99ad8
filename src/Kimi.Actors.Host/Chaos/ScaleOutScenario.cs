namespace Kimi.Actors.Host.Chaos;

/// <summary>
/// Scaling by role on loopback (<c>kimi chaos --scenario scale-rollout</c>): a run with three generators on two rollout
/// nodes, a third rollout node that joins while it runs, then one of the first two that leaves in order.
/// <para>
/// What a rollout node adds is its hardware. On one machine each node is given CPUs of its own (taskset, as a pod gets
/// a CPU limit): the two first rollout nodes share CPU 0, and the run's other roles (and the joining node) have CPU 1.
/// Before the join every generator decodes on CPU 0; the shard coordinator then moves one generator shard onto the new
/// node (2,1 → 1,1,1), so CPU 1 decodes a third of each iteration's groups and rollout tokens/s rise, by up to 1.5x
/// (the slowest generator sets an iteration's generation time). Without the move nothing would change: the joined node
/// would sit idle.
/// </para>
/// </summary>
public static class ScaleOutScenario
{
    private const int Generators = 3;
    /// <summary>Iterations measured on each placement, after the first on it (its worker's warm-up).</summary>
    private const int Measured = 3;
    private static readonly TimeSpan MoveTimeout = TimeSpan.FromMinutes(4);

    public static readonly ChaosScenario ScaleRollout = new("scale-rollout",
        "two rollout nodes share CPU 0, a third joins on CPU 1: a generator shard moves onto it and rollout tokens/s rise; then one of the " +
        "first two leaves on SIGTERM, handing its generator off, and nothing judged is lost",
        [
            new("n1", "run,prompt,judge,trainer", Seed: true, Cpus: "1"),
            new("r1", "rollout", Cpus: "0"),
            new("r2", "rollout", Cpus: "0"),
        ],
        Inject,
        NodeConfig: $$"""
            # Three generators: more than rollout nodes, so that a joining one takes some.
            kimi.cluster.rollout-slots = {{Generators}}
            # Each generator decodes on one thread: a node's CPUs are what it has.
            kimi.workers.threads = 1
            # The coordinator looks for a better spread every 2 s (10 s by default), so a test sees the move soon.
            akka.cluster.sharding.rebalance-interval = 2s
            """,
        // Enough decoding per iteration for throughput to be measured above the noise (12 groups of 8, up to 96 tokens,
        // 4 groups per generator), and iterations enough for the join, the measurements and the leave.
        RunConfig: """
            kimi {
              run.iterations = 12
              model { hidden-size = 128, intermediate-size = 256, layers = 4, max-positions = 192 }
              rollout { prompts-per-iteration = 12, samples-per-prompt = 8, max-response-tokens = 96 }
            }
            """);

    private static int Inject(ChaosRun run)
    {
        // Two rollout nodes: every generator on r1 or r2. Three committed iterations before the join, so at least two
        // measured ones precede it (iteration 0 is the workers' warm-up) however soon the move lands.
        var cpuFrom = CpuSample.Take(Environment.ProcessId); // the nodes and their workers are this process's children
        var (_, before) = run.WaitForRun((committed, g) => committed >= 3 && g.Count == Generators, MoveTimeout, "3 committed iterations");
        if (before.Values.Any(n => n is not ("r1" or "r2")))
            throw new ScenarioFailedException($"before the join, generators were on {ChaosRun.Describe(before)}");
        run.Note($"generators on {ChaosRun.Describe(before)}");

        double load = ScaleMarks.ReadLoadAverage();
        run.Join(new ChaosNodeSpec("r3", "rollout", Cpus: "1"));
        // The move: the generator stops on its old node, the Run starts its session again and attaches it on r3.
        var (joinFrom, afterJoin) = run.WaitForRun((_, g) => g.Count == Generators && g.Values.Contains("r3"), MoveTimeout, "a generator on r3");
        run.Note($"generators on {ChaosRun.Describe(afterJoin)} from iteration {joinFrom}");

        var (leaveFrom, _) = run.WaitForRun((committed, _) => committed >= joinFrom + 1 + Measured, MoveTimeout,
            $"iteration {joinFrom + 1 + Measured}");
        load = Math.Max(load, ScaleMarks.ReadLoadAverage());
        double? foreign = CpuSample.ForeignCpus(cpuFrom, CpuSample.Take(Environment.ProcessId));
        int exit = run.Leave("r1");
        var (_, afterLeave) = run.WaitForRun((_, g) => g.Count == Generators && !g.Values.Contains("r1"), MoveTimeout, "r1's generators elsewhere");
        run.Note($"generators on {ChaosRun.Describe(afterLeave)}");
        run.Note($"load average {load:0.0} on {Environment.ProcessorCount} CPUs; other processes used {foreign:0.00} CPUs while it was measured");
        run.Mark(new ScaleMarks("r3", "r1", before, joinFrom, afterJoin, leaveFrom, exit, afterLeave, load, foreign));
        return 1;
    }
}
