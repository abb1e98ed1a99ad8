using System.Diagnostics;
using System.Text.RegularExpressions;
using Kimi.Actors.Host.Chaos;
using Xunit.Abstractions;

// A scenario starts three kimi node processes with their worker processes, and a client: one at a time is all a small
// machine takes.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Kimi.Actors.Chaos.Tests;

/// <summary>
/// <c>kimi chaos</c> as a real multi-process cluster on this machine, CI-sized (<c>--size tiny</c>: a 2-layer model,
/// 4 iterations of 4 prompts x 4 samples), its journal in a database of its own on the PostgreSQL server of
/// KIMI_TEST_POSTGRES (<c>.ci/run</c> starts one; locally <c>export KIMI_TEST_POSTGRES=$(.ci/postgres.sh)</c>). Each test
/// asserts the run completed, the fault really fired (the node's process was killed), the journal's exactly-once audit by
/// trajectory id found nothing lost, doubled or trained unjudged, and the recovery that the fault forced.
/// </summary>
public sealed partial class ChaosScenarioTests(ITestOutputHelper output) : IDisposable
{
    private const string PostgresVariable = "KIMI_TEST_POSTGRES";
    private readonly string _work = Path.Combine(Path.GetTempPath(), "kimi-chaos-test-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Runs <c>kimi chaos</c> as a process with <paramref name="server"/> as its PostgreSQL server (none: unset).</summary>
    private (int Exit, string Json, string Stdout, string Stderr) Chaos(string scenario, string? server)
    {
        var json = Path.Combine(_work, "report.json");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "kimi.dll"), "chaos", "--scenario", scenario, "--size", "tiny", "--json", json,
                     "--work", Path.Combine(_work, "run"), "--keep", "--timeout", "8" })
            info.ArgumentList.Add(a);
        if (server is null) info.Environment.Remove("KIMI_PERSISTENCE_CONNECTION_STRING");
        else info.Environment["KIMI_PERSISTENCE_CONNECTION_STRING"] = server;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(12)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"kimi chaos {scenario} did not end within 12 min\n{stderr.Result}");
        }
        output.WriteLine(stderr.Result);
        output.WriteLine(stdout.Result);
        return (process.ExitCode, json, stdout.Result, stderr.Result);
    }

    /// <summary>The report and the scenario's own log (its stderr), after a run that must have passed.</summary>
    private (ChaosReport Report, string Log) Run(string scenario)
    {
        var server = Environment.GetEnvironmentVariable(PostgresVariable);
        Assert.False(string.IsNullOrWhiteSpace(server),
            $"{PostgresVariable} is not set: this test needs a PostgreSQL server whose role may create databases " +
            "(export KIMI_TEST_POSTGRES=$(.ci/postgres.sh) starts one on loopback; .ci/run does on CI)");
        var (exit, json, stdout, stderr) = Chaos(scenario, server);
        Assert.True(File.Exists(json), $"no report\n{stderr}");
        var report = ChaosReport.Read(json);
        Assert.True(report.Unavailable is null, $"scenario {scenario} cannot run on this machine: {report.Unavailable}");
        Assert.True(report.Error is null, report.Error);
        Assert.True(exit == 0, $"kimi chaos exited {exit}\n{stdout}\n{stderr}");
        return (report, stderr);
    }

    [Fact]
    public void Kill_run_node()
    {
        var (r, log) = Run("kill-run-node");
        Assert.True(r.Completed, "the run did not complete");
        // The fault fired: the node hosting the Run was killed (the scenario waits for its exit to count it).
        Assert.Equal(1, r.FaultsInjected);
        var kill = Regex.Match(log, @"kill -9 (n[12]) \(pid \d+\)");
        Assert.True(kill.Success, "no kill in the scenario's log");
        Assert.Contains($"{kill.Groups[1].Value} exited 137", log);
        string victim = kill.Groups[1].Value, survivor = victim == "n1" ? "n2" : "n1";

        // Remember-entities started the Run on the other run node, which continued the run by itself from its last
        // committed iteration (1 to 3 of 4 were committed when the node went).
        var survivorLog = File.ReadAllText(Directory.GetFiles(Path.Combine(_work, "run"), $"{survivor}-*.log").Single());
        var continued = Regex.Match(survivorLog, @"recovered on \S+ while active; continuing from iteration (\d+)");
        Assert.True(continued.Success, $"{survivor} did not continue the run");
        Assert.InRange(int.Parse(continued.Groups[1].Value), 1, 3);
        Assert.True(r.Recoveries >= 1, $"recoveries {r.Recoveries}");
        // The summary names where the Run finished: the survivor.
        var survivorAt = Regex.Match(log, $@"{survivor} \(run,prompt,judge\) is up at (\S+)").Groups[1].Value;
        Assert.Equal([survivorAt], r.Nodes!.Roles["run"]);

        // Exactly once, by trajectory id, over the whole run: every judged group trained once, none lost or unjudged.
        Assert.Equal((0, 0, 0), (r.Lost, r.Duplicated, r.Unjudged));
        Assert.Equal(4, r.CommittedIterations);
        Assert.Equal(16, r.GroupsExpected);
        Assert.Equal(r.GroupsExpected, r.GroupsTrained);
        Assert.Equal(r.GroupsTrained * r.SamplesPerPrompt, r.TrainedTrajectories);
        // Version 1 is the SFT policy; each committed iteration publishes the next, never an older one.
        Assert.Equal([2L, 3, 4, 5], r.WeightVersions);
        Assert.NotNull(r.FinalAccuracy);
    }

    [Fact]
    public void Without_a_postgres_server_a_scenario_says_so_and_exits_1()
    {
        var (exit, json, _, stderr) = Chaos("kill-run-node", server: null);
        Assert.Equal(1, exit);
        Assert.Contains("cannot run on this machine: KIMI_PERSISTENCE_CONNECTION_STRING is not set", stderr);
        Assert.Contains("KIMI_PERSISTENCE_CONNECTION_STRING is not set", ChaosReport.Read(json).Unavailable);
    }
}
