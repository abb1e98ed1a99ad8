using System.Text.RegularExpressions;
using Kimi.Actors.Host.Output;
using Kimi.Actors.Host.Tests.Support;
using Kimi.Actors.Reporting.Tests;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// <c>kimi train</c> as a real process, stopped mid-run by Ctrl-C (SIGINT) or killed outright (SIGKILL), then continued
/// with <c>kimi train --resume</c>: it continues from the last committed iteration, with the success rates the journal
/// holds for exactly those iterations.
/// </summary>
public sealed partial class StopAndResumeTests : IDisposable
{
    private const int SigInt = 2;
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [GeneratedRegex(@"^run (run-[0-9a-f-]+): a one-node cluster, writing ", RegexOptions.Multiline)]
    private static partial Regex RunStarted();

    /// <summary>Starts a long tiny run and waits until it has reported <paramref name="iterations"/> iterations.</summary>
    private (KimiProcess Kimi, string RunId, string Metrics) StartAndWaitFor(int iterations)
    {
        var outDir = _tmp.File("A");
        var metrics = Path.Combine(outDir, "metrics.jsonl");
        var kimi = KimiProcess.Start(["train", "--config", TinyRun.WriteConfig(_tmp.Path), "--iterations", "1000", "--out", outDir,
            .. CliRunner.StorageIn(_tmp.Path)]);
        try
        {
            kimi.WaitUntil(() => File.Exists(metrics) && File.ReadLines(metrics).Count() >= iterations, TimeSpan.FromMinutes(3),
                $"{iterations} iterations in {metrics}");
        }
        catch
        {
            kimi.Dispose(); // a 1000-iteration run must not outlive a failed test
            throw;
        }
        var runId = RunStarted().Match(kimi.Stderr).Groups[1].Value;
        Assert.NotEmpty(runId);
        return (kimi, runId, metrics);
    }

    /// <summary>
    /// Resumes <paramref name="runId"/> in-process for 2 iterations; checks where it started against what the stopped run
    /// reported, and that the audit finds every judged trajectory trained exactly once, before (nothing lost or doubled,
    /// maybe some pending) and after the resume (nothing pending either).
    /// </summary>
    private void AssertResumesWhereItStopped(string runId, int reported)
    {
        var stopped = Audit(runId);
        Assert.Equal((0, 0, 0), (stopped["lost"], stopped["duplicated"], stopped["unjudged"]));
        var outDir = _tmp.File("B");
        var resumed = CliRunner.Run(["train", "--resume", runId, "--out", outDir, "--iterations", "2", .. CliRunner.StorageIn(_tmp.Path)]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());

        // Iterations are committed before they are reported, so the stopped run may have committed one it never reported.
        int start = ResumedRun.Summary(outDir).GetProperty("start_iteration").GetInt32();
        Assert.InRange(start, reported, reported + 1);
        Assert.Equal([start, start + 1.0], MetricsJsonlReader.ReadNumericRows(Path.Combine(outDir, "metrics.jsonl")).Select(r => r["iteration"]));
        var resumedFrom = PromptStatsFile.Read(Path.Combine(outDir, PromptStatsFile.StartFileName));
        Assert.Equal(start * TinyRun.PromptsPerIteration * TinyRun.SamplesPerPrompt, resumedFrom.Values.Sum(c => c.Attempts));

        var audit = Audit(runId);
        Assert.Equal((0, 0, 0, 0), (audit["lost"], audit["duplicated"], audit["unjudged"], audit["pending"]));
        Assert.Equal((start + 2) * TinyRun.PromptsPerIteration * TinyRun.SamplesPerPrompt, audit["trained"]);
        Assert.Equal(audit["judged"], audit["trained"]);
    }

    /// <summary><c>kimi runs audit RUN --json</c>, its counts by name.</summary>
    private Dictionary<string, int> Audit(string runId)
    {
        var result = CliRunner.Run(["runs", "audit", runId, "--json", "--set", $"kimi.persistence.sqlite-file={Path.Combine(_tmp.Path, "kimi.db")}"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(result.Stdout);
        return json.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == System.Text.Json.JsonValueKind.Number)
            .ToDictionary(p => p.Name, p => p.Value.GetInt32());
    }

    [Fact]
    public void Ctrl_C_stops_the_run_within_seconds_with_exit_130_and_the_run_resumes()
    {
        var (kimi, runId, metrics) = StartAndWaitFor(2);
        using (kimi)
        {
            kimi.Signal(SigInt);
            Assert.Equal(130, kimi.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.Contains($"kimi: run {runId} interrupted (SIGINT); its committed iterations are kept; continue it with: kimi train --resume {runId}", kimi.Stderr);
            Assert.DoesNotContain("   at ", kimi.Stderr);
        }
        AssertResumesWhereItStopped(runId, File.ReadLines(metrics).Count());
    }

    [Fact]
    public void A_killed_run_leaves_no_worker_behind_and_resumes()
    {
        var (kimi, runId, metrics) = StartAndWaitFor(2);
        using (kimi)
        {
            kimi.Signal(9);
            kimi.WaitForExit(TimeSpan.FromSeconds(30));
        }
        // Its worker processes notice (their standard input closes) and exit.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (WorkersOf(runId).Any() && DateTime.UtcNow < deadline) Thread.Sleep(200);
        Assert.Empty(WorkersOf(runId));

        AssertResumesWhereItStopped(runId, File.ReadLines(metrics).Count());
    }

    /// <summary>Process ids whose command line names the run (its `kimi worker` processes carry the run id).</summary>
    private static IEnumerable<int> WorkersOf(string runId) =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(d => d!.All(char.IsDigit)).Select(d => int.Parse(d!)).Where(pid =>
        {
            try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains($"worker-id {runId}"); }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }).ToList();
}
