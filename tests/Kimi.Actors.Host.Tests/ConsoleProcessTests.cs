using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kimi.Actors.Host.Tests.Support;
using Kimi.Actors.Reporting.Tests;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// <c>kimi train --serve 0</c> as a process (the system picks its port: nothing to collide with) steered by
/// <c>kimi-console</c> processes: a one-shot <c>status --json</c> reaches it at the printed contact; two interactive consoles
/// at once see the same run (one pauses and sets tau, the other reads the pending change and resumes); the next
/// iteration's metrics carry the new tau; <c>stop</c> ends the run and the process exits 0; then the same contact is dead
/// and a console fails within seconds naming it.
/// </summary>
public sealed partial class ConsoleProcessTests : IDisposable
{
    private static readonly TimeSpan Reply = TimeSpan.FromSeconds(60);
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [GeneratedRegex(@"kimi: run (run-[0-9a-f-]+) is reachable at (127\.0\.0\.1:[0-9]+); steer it with: kimi-console --contact \2 status")]
    private static partial Regex Reachable();

    /// <summary>A one-shot kimi-console process, to its exit: (exit code, stdout, stderr).</summary>
    private static (int Code, string Out, string Err) OneShot(params string[] args)
    {
        using var console = KimiProcess.StartProgram("kimi-console.dll", input: false, args);
        int code = console.WaitForExit(Reply);
        return (code, console.Stdout, console.Stderr);
    }

    /// <summary>Types <paramref name="line"/> into an interactive console (--json) and returns its one-line reply.</summary>
    private static JsonNode Ask(KimiProcess console, string line)
    {
        int before = Lines(console).Length;
        console.WriteLine(line);
        console.WaitUntil(() => Lines(console).Length > before, Reply, $"a reply to '{line}'");
        return JsonNode.Parse(Lines(console)[before])!;
    }

    /// <summary>Whether <paramref name="metrics"/> has a line for <paramref name="iteration"/> (a line being written counts as not yet).</summary>
    private static bool Reported(string metrics, int iteration)
    {
        try { return File.Exists(metrics) && MetricsJsonlReader.ReadNumericRows(metrics).Any(r => r["iteration"] == iteration); }
        catch (Exception e) when (e is System.Text.Json.JsonException or IOException) { return false; }
    }

    private static string[] Lines(KimiProcess p) => p.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void Two_console_processes_steer_a_served_run_and_see_the_same_state_and_stop_ends_the_process_cleanly()
    {
        var outDir = _tmp.File("run");
        using var kimi = KimiProcess.Start(["train", "--config", TinyRun.WriteConfig(_tmp.Path), "--iterations", "1000", "--serve", "0",
            "--set", "kimi.sft.steps=4", "--out", outDir, .. CliRunner.StorageIn(_tmp.Path)]);
        kimi.WaitUntil(() => Reachable().IsMatch(kimi.Stderr), TimeSpan.FromMinutes(2), "the kimi-console line");
        var reachable = Reachable().Match(kimi.Stderr);
        var (runId, contact) = (reachable.Groups[1].Value, reachable.Groups[2].Value);

        using var a = KimiProcess.StartProgram("kimi-console.dll", input: true, "--contact", contact, "--json");
        using var b = KimiProcess.StartProgram("kimi-console.dll", input: true, "--contact", contact, "--json");
        var clock = Stopwatch.StartNew();
        JsonNode Await(KimiProcess console, Func<JsonNode, bool> until, string what)
        {
            JsonNode seen;
            while (!until(seen = Ask(console, "status")))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"no {what}: {seen.ToJsonString()}");
                Thread.Sleep(300);
            }
            return seen;
        }
        // The line is printed before the run is journaled: until then a console finds no run (an error document).
        Await(b, s => s["error"] is null && s["iteration"]!.GetValue<int>() >= 1, "first committed iteration");
        var status = OneShot("--contact", contact, "status", "--json");
        Assert.True(status.Code == 0, status.Err);
        var first = JsonNode.Parse(status.Out.Trim())!;
        Assert.Equal((runId, 1000), (first["run_id"]!.GetValue<string>(), first["target_iterations"]!.GetValue<int>()));
        Assert.Equal("active", first["state"]!.GetValue<string>());
        Assert.NotEqual(0.5, first["hyperparameters"]!["tau"]!.GetValue<double>());
        Assert.Contains("run", Assert.Single(first["nodes"]!.AsArray())!["roles"]!.AsArray().Select(r => r!.GetValue<string>()));

        Assert.Equal(runId, Ask(a, "pause")["run_id"]!.GetValue<string>());
        // b sees a's pause take effect at the iteration boundary.
        int held = Await(b, s => s["state"]!.GetValue<string>() == "paused", "pause")["iteration"]!.GetValue<int>();

        var set = Ask(a, "set tau 0.5");
        Assert.Equal(("tau", 0.5, held), (set["key"]!.GetValue<string>(), set["value"]!.GetValue<double>(), set["applies_from_iteration"]!.GetValue<int>()));
        var get = Ask(b, "get tau");
        Assert.Equal((0.5, held), (get["pending"]!["value"]!.GetValue<double>(), get["pending"]!["applies_from_iteration"]!.GetValue<int>()));
        // Both consoles read one state: the same iteration, hyperparameters and pending change.
        static string State(JsonNode s) => new JsonArray(s["state"]!.DeepClone(), s["iteration"]!.DeepClone(), s["hyperparameters"]!.DeepClone(),
            s["pending"]!.DeepClone()).ToJsonString();
        var (fromA, fromB) = (Ask(a, "status"), Ask(b, "status"));
        Assert.Equal(State(fromA), State(fromB));
        Assert.Equal("tau", Assert.Single(fromB["pending"]!.AsArray())!["key"]!.GetValue<string>());

        Assert.Equal("active", Ask(b, "resume")["state"]!.GetValue<string>());
        var metrics = Path.Combine(outDir, "metrics.jsonl");
        kimi.WaitUntil(() => Reported(metrics, held), Reply, $"iteration {held} in {metrics}");
        Assert.Equal(runId, Ask(a, "stop")["run_id"]!.GetValue<string>());
        a.WriteLine("exit");
        b.CloseInput();
        Assert.Equal((0, 0), (a.WaitForExit(Reply), b.WaitForExit(Reply)));

        Assert.Equal(0, kimi.WaitForExit(TimeSpan.FromSeconds(90)));
        Assert.Contains($"run {runId} written to", kimi.Stdout);
        // The iteration the change named, and every one after it, trained with the new tau.
        var rows = MetricsJsonlReader.ReadNumericRows(metrics);
        Assert.All(rows.Where(r => r["iteration"] < held), r => Assert.Equal(first["hyperparameters"]!["tau"]!.GetValue<double>(), r["tau"]));
        Assert.All(rows.Where(r => r["iteration"] >= held), r => Assert.Equal(0.5, r["tau"]));

        // The node is gone: a console aimed at it fails within seconds, naming the contact (exit 3).
        var config = _tmp.File("short.conf");
        File.WriteAllText(config, "kimi.console.connect-timeout = 2s\n");
        clock.Restart();
        var dead = OneShot("--contact", contact, "--config", config, "status", "--json");
        Assert.Equal(3, dead.Code);
        Assert.Contains(contact, dead.Err);
        // 2 s of connect timeout; the rest is starting a process and an ActorSystem on a loaded machine.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
