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
public sealed record ChaosScenario(string Name, string Summary, IReadOnlyList<ChaosNodeSpec> Nodes, Func<ChaosRun, int> Inject,
    string NodeConfig = "", string RunConfig = "");

/// <summary>
/// The scenarios of <c>kimi chaos</c>: only those a test runs end to end (tests/Kimi.Actors.Chaos.Tests). The issue's
/// others (kill-rollout-node, gpu-worker-faults, kill-trainer-node, restart-database, partition) are not offered until
/// they are tested too.
/// </summary>
public static class ChaosScenarios
{
    public static readonly IReadOnlyList<ChaosScenario> All =
    [
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
        ScaleOutScenario.ScaleRollout,
    ];

    public static ChaosScenario? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    public static string Names => string.Join(", ", All.Select(s => s.Name));
}
