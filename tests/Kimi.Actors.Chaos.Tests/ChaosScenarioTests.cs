using System.Diagnostics;
using Kimi.Actors.Host.Chaos;
using Xunit.Abstractions;

// Each scenario starts a PostgreSQL server, three or four kimi node processes with their worker processes, and a client:
// one at a time is all a small machine takes.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Kimi.Actors.Chaos.Tests;

/// <summary>
/// The CI-sized chaos campaign: every scenario of <c>kimi chaos</c> as a real multi-process cluster on this machine
/// (<c>--size tiny</c>: a 2-layer model, 4 iterations of 4 prompts x 4 samples). Each test asserts what the issue asks —
/// the run completed, the fault really fired (counted by the scenario, or by the nodes' fault registries from their logs),
/// and the journal's exactly-once audit by trajectory id found nothing lost, doubled or trained unjudged — and the
/// scenario's own evidence in the nodes' logs: the recovery that the fault forced.
/// </summary>
public sealed class ChaosScenarioTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "kimi-chaos-test-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Runs <c>kimi chaos</c> as a process; returns its report and the text of every node's log.</summary>
    private (ChaosReport Report, string NodeLogs) Run(string scenario)
    {
        var json = Path.Combine(_work, "report.json");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "kimi.dll"), "chaos", "--scenario", scenario, "--size", "tiny", "--json", json,
                     "--work", Path.Combine(_work, "run"), "--keep", "--timeout", "20" })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(30)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"kimi chaos {scenario} did not end within 30 min\n{stderr.Result}");
        }
        output.WriteLine(stderr.Result);
        output.WriteLine(stdout.Result);
        Assert.True(File.Exists(json), $"no report\n{stderr.Result}");
        var report = ChaosReport.Read(json);
        Assert.True(report.Unavailable is null, $"scenario {scenario} cannot run on this machine: {report.Unavailable}");
        Assert.True(report.Error is null, report.Error);
        var logs = string.Join("\n", Directory.GetFiles(Path.Combine(_work, "run"), "n*.log").Select(File.ReadAllText));
        Assert.True(process.ExitCode == 0, $"kimi chaos exited {process.ExitCode}\n{stdout.Result}\n{stderr.Result}");
        return (report, logs);
    }

    /// <summary>What every scenario must show.</summary>
    private static void AssertSurvived(ChaosReport r)
    {
        Assert.True(r.Completed, "the run did not complete");
        Assert.True(r.FaultsInjected >= 1, $"faults_injected {r.FaultsInjected}");
        Assert.Equal((0, 0, 0), (r.Lost, r.Duplicated, r.Unjudged));
        Assert.Equal(4, r.CommittedIterations);
        Assert.Equal(16, r.GroupsExpected);
        Assert.Equal(r.GroupsExpected, r.GroupsTrained);
        Assert.Equal(r.GroupsTrained * r.SamplesPerPrompt, r.TrainedTrajectories);
        // Version 1 is the SFT policy; each committed iteration publishes the next, never an older one.
        Assert.Equal([2L, 3, 4, 5], r.WeightVersions);
        Assert.True(r.VersionsIncrease);
        Assert.NotNull(r.FinalAccuracy);
    }

    [Fact]
    public void Kill_rollout_node()
    {
        var (r, logs) = Run("kill-rollout-node");
        AssertSurvived(r);
        // The Run saw its generator's node go and started its session again from the last commit.
        Assert.Contains("is gone: its node left or died; the session starts again from iteration", logs);
        Assert.True(r.Recoveries >= 1, $"recoveries {r.Recoveries}");
    }

    [Fact]
    public void Kill_run_node()
    {
        var (r, logs) = Run("kill-run-node");
        AssertSurvived(r);
        // Remember-entities started the Run on the surviving run node, which continued the run by itself.
        Assert.Contains("while active; continuing from iteration", logs);
        Assert.Contains("SBR took decision", logs);
    }

    [Fact]
    public void Gpu_worker_faults()
    {
        var (r, logs) = Run("gpu-worker-faults");
        AssertSurvived(r);
        // Every injection is a line of its own in the node's log (from the worker process's output), and a worker restart.
        Assert.Equal(r.FaultsInjected, logs.Split('\n').Count(l => l.Contains("kimi: fault injected: throw on every 10-th message * of gpu-worker")));
        Assert.True(r.FaultsInjected >= 2, $"faults_injected {r.FaultsInjected}");
        Assert.True(r.Recoveries >= r.FaultsInjected, $"recoveries {r.Recoveries} < faults {r.FaultsInjected}");
    }

    [Fact]
    public void Kill_trainer_node()
    {
        var (r, logs) = Run("kill-trainer-node");
        AssertSurvived(r);
        Assert.Contains("trainer (akka.tcp://", logs);
        Assert.Contains("is gone: its node left or died; the session starts again from iteration", logs);
        // The replacement trainer node restored the last durable checkpoint (shared folder) and trained on from it.
        Assert.Equal(2, r.Nodes!.Roles["trainer"].Count);
        Assert.NotEqual(r.Nodes.Roles["trainer"][0], r.Nodes.Roles["trainer"][1]);
    }

    [Fact]
    public void Restart_database()
    {
        var (r, logs) = Run("restart-database");
        AssertSurvived(r);
        Assert.True(r.Recoveries >= 1, $"recoveries {r.Recoveries}");
    }

    [Fact]
    public void Partition()
    {
        var (r, logs) = Run("partition");
        AssertSurvived(r);
        // The cut-off node was downed by the majority's resolver, exited, and joined again once its link was back.
        Assert.Contains("SBR took decision", logs);
        Assert.Contains("removed from the cluster (downed", logs);
        Assert.True(logs.Split('\n').Count(l => l.Contains("listening on")) >= 4, "the downed node did not come back");
    }
}
