using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Tests.Run;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Rl.Identity;
using Kimi.Console;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Tests.Management;

/// <summary>
/// kimi-console's commands, run in-process exactly as its Main runs them, against a real one-node cluster over loopback
/// (the console is a cluster client, never a member): a tunable set while the run is paused is in the very next
/// iteration's metrics as watch prints them; a value out of range and an unknown key exit 2 naming the key and what is
/// allowed; a contact point where nothing listens fails within its deadline naming it.
/// </summary>
[Collection("run entity")]
public class ConsoleTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(180);

    private sealed record Reply(int Code, string Out, string Err)
    {
        /// <summary>The one JSON document of a reply.</summary>
        public JsonNode Json => JsonNode.Parse(Assert.Single(Lines))!;

        public string[] Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Runs kimi-console on a pool thread (as a process would: no synchronisation context), capturing its output.</summary>
    /// <param name="stdout">Where stdout goes, read while the command runs (through <paramref name="sync"/>, its lock).</param>
    private static async Task<Reply> Console(ContactPoint contact, string[] args, TextReader? stdin = null, StringWriter? stdout = null,
        TextWriter? sync = null)
    {
        var output = stdout ?? new StringWriter();
        var error = new StringWriter();
        int code = await Task.Run(() => ConsoleProgram.Run(["--contact", contact.ToString(), .. args], sync ?? output, error, stdin ?? TextReader.Null));
        return new Reply(code, output.ToString(), error.ToString());
    }

    private static async Task<JsonNode> StatusAsync(ContactPoint contact, RunId run)
    {
        var reply = await Console(contact, ["status", run.Value, "--json"]);
        Assert.True(reply.Code == 0, reply.Err);
        return reply.Json;
    }

    [Fact]
    public async Task A_tunable_set_while_paused_is_in_the_next_iterations_metrics_and_out_of_range_values_exit_2()
    {
        using var db = new TempDatabase();
        await using var node = await RunNode.StartAsync(db);
        var contact = ControlClientTests.ContactOf(node);
        var runId = RunId.Parse("run-" + Guid.NewGuid().ToString("N")[..10]);
        await using (var starter = await ControlClient.ConnectAsync(ControlClientTests.Settings(contact)))
            // A target far away: each console call opens its own connection (seconds under load), and the run must still be going.
            Assert.IsType<RunAccepted>(await starter.AskAsync(new StartRun(runId, RunNode.RunConfig(iterations: 200)), "start"));

        await RunControlTests.Until(async () => (await StatusAsync(contact, runId))["iteration"]!.GetValue<int>() >= 1, "the first iteration");
        // The only run on the cluster: --run may be left out.
        var pause = await Console(contact, ["pause", "--json"]);
        Assert.True(pause.Code == 0, pause.Err);
        Assert.Equal(runId.Value, pause.Json["run_id"]!.GetValue<string>());
        await RunControlTests.Until(async () => (await StatusAsync(contact, runId))["state"]!.GetValue<string>() == "paused", "the pause");
        var paused = await StatusAsync(contact, runId);
        int held = paused["iteration"]!.GetValue<int>();
        Assert.Equal(200, paused["target_iterations"]!.GetValue<int>());
        Assert.Equal(1.0, paused["hyperparameters"]!["tau"]!.GetValue<double>());
        Assert.Equal(held - 1, paused["last_metrics"]!["iteration"]!.GetValue<int>());
        Assert.Equal(1.0, paused["last_metrics"]!["tau"]!.GetValue<double>());
        Assert.Equal("up", paused["nodes"]![0]!["status"]!.GetValue<string>());

        var set = await Console(contact, ["set", "tau", "0.5", "--json"]);
        Assert.True(set.Code == 0, set.Err);
        Assert.Equal(("tau", 0.5, held), (set.Json["key"]!.GetValue<string>(), set.Json["value"]!.GetValue<double>(),
            set.Json["applies_from_iteration"]!.GetValue<int>()));

        // Out of range: exit 2, the key and its range on stderr, {"error", "allowed"} on stdout.
        var topP = await Console(contact, ["set", "top-p", "1.5", "--json"]);
        Assert.Equal(ExitCodes.Refused, topP.Code);
        Assert.Contains("kimi.rollout.top-p = 1.5", topP.Json["error"]!.GetValue<string>());
        Assert.Equal("a number in (0, 1]", topP.Json["allowed"]!.GetValue<string>());
        Assert.Contains("kimi.rollout.top-p", topP.Err);
        Assert.Contains("allowed: a number in (0, 1]", topP.Err);
        var samples = await Console(contact, ["set", "samples-per-prompt", "0"]);
        Assert.Equal((ExitCodes.Refused, ""), (samples.Code, samples.Out));
        Assert.Contains("kimi.rollout.samples-per-prompt", samples.Err);
        Assert.Contains("an integer in [1, 4096]", samples.Err);
        var unknown = await Console(contact, ["set", "tua", "0.5"]);
        Assert.Equal(ExitCodes.Refused, unknown.Code);
        Assert.Contains("unknown hyperparameter 'tua' (did you mean tau?)", unknown.Err);

        var get = await Console(contact, ["get", "tau", "--json"]);
        Assert.True(get.Code == 0, get.Err);
        Assert.Equal((1.0, 0.5, held), (get.Json["value"]!.GetValue<double>(), get.Json["pending"]!["value"]!.GetValue<double>(),
            get.Json["pending"]!["applies_from_iteration"]!.GetValue<int>()));
        Assert.Equal("a number > 0", get.Json["allowed"]!.GetValue<string>());

        // watch from the pause on: every iteration from the one the reply named runs with the new tau; stop ends the run
        // after the iteration in flight, and the watch with it.
        var watchOut = new StringWriter();
        var syncOut = TextWriter.Synchronized(watchOut);
        var watch = Console(contact, ["watch", "--json"], stdout: watchOut, sync: syncOut);
        string Watched() { lock (syncOut) return watchOut.ToString(); }
        await RunControlTests.Until(() => Task.FromResult(Watched().Contains("\"watching\"")), "the watch to stand");
        var resume = await Console(contact, ["resume", "--run", runId.Value]);
        Assert.True(resume.Code == 0, resume.Err);
        Assert.Contains($"run {runId}: resume accepted", resume.Out);
        await RunControlTests.Until(() => Task.FromResult(Watched().Split('\n').Count(l => l.Contains("\"type\":\"iteration\"")) >= 2), "two iterations after resume");
        var stop = await Console(contact, ["stop", "--json"]);
        Assert.True(stop.Code == 0, stop.Err);
        var watched = await watch.WaitAsync(RunTimeout);
        Assert.True(watched.Code == 0, watched.Err);
        // One JSON document per line, nothing else.
        Assert.True(watched.Lines.All(l => l.StartsWith('{')), watched.Out);
        var documents = watched.Lines.Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal("watching", documents[0]["type"]!.GetValue<string>());
        var iterations = documents.Where(d => d["type"]!.GetValue<string>() == "iteration").Select(d => d["metrics"]!).ToList();
        int end = documents[^1]["end_iteration"]!.GetValue<int>();
        Assert.Equal(Enumerable.Range(held, end - held), iterations.Select(m => m["iteration"]!.GetValue<int>()));
        Assert.InRange(end, held + 2, 199);
        Assert.All(iterations, m => Assert.Equal((0.5, 0.5), (m["tau"]!.GetValue<double>(), m["hyperparameters"]!["tau"]!.GetValue<double>())));

        var history = await Console(contact, ["history", "tau", "--json"]);
        Assert.True(history.Code == 0, history.Err);
        var change = Assert.Single(history.Json["changes"]!.AsArray())!;
        Assert.Equal(("1", "0.5", held), (change["from"]!.GetValue<string>(), change["to"]!.GetValue<string>(), change["from_iteration"]!.GetValue<int>()));
        var done = await StatusAsync(contact, runId);
        Assert.Equal(("completed", end, 0.5), (done["state"]!.GetValue<string>(), done["iteration"]!.GetValue<int>(),
            done["hyperparameters"]!["tau"]!.GetValue<double>()));
        // A run that is not running has nothing to pause: refused at once.
        var late = await Console(contact, ["pause"]);
        Assert.Equal(ExitCodes.Refused, late.Code);
        Assert.Contains("not running", late.Err);

        // The interactive mode: the same commands typed over one connection; help COMMAND; exit.
        var typed = await Console(contact, [], new StringReader("get tau --json\nhelp set\nhistory --json\nexit\nruns\n"));
        Assert.True(typed.Code == 0, typed.Err);
        Assert.Contains("\"key\":\"tau\"", typed.Out);
        Assert.Contains("change a hyperparameter", typed.Out);
        Assert.Contains("\"changes\":[", typed.Out);
        Assert.DoesNotContain("| run ", typed.Out); // nothing after exit ran
    }

    [Fact]
    public async Task An_injected_fault_rule_fires_on_the_run_and_faults_lists_it_with_its_count_and_both_are_refused_where_injection_is_off()
    {
        using var db = new TempDatabase();
        await using (var off = await RunNode.StartAsync(db))
        {
            var contactOff = ControlClientTests.ContactOf(off);
            var refused = await Console(contactOff, ["inject", "target=reward-judge", "message=JudgeTrajectories", "action=drop", "nth=1", "--json"]);
            Assert.Equal(ExitCodes.Refused, refused.Code);
            Assert.Contains("fault injection is off", refused.Json["error"]!.GetValue<string>());
            Assert.Contains("kimi.faults.enabled = on", refused.Err);
            var listing = await Console(contactOff, ["faults"]);
            Assert.Equal(ExitCodes.Refused, listing.Code);
            Assert.Contains("kimi.faults.enabled = on", listing.Err);
        }

        // Judging requests dropped on purpose are sent again by the Run after resend-after.
        await using var node = await RunNode.StartAsync(db, extraNode: "kimi.faults.enabled = on\nkimi.cluster.resend-after = 2s");
        var contact = ControlClientTests.ContactOf(node);
        var empty = await Console(contact, ["faults", "--json"]);
        Assert.True(empty.Code == 0, empty.Err);
        Assert.True(empty.Json["enabled"]!.GetValue<bool>());
        Assert.Empty(empty.Json["rules"]!.AsArray());

        // A rule that names no actor kind is refused before it reaches the cluster, naming the field and what is allowed.
        var bad = await Console(contact, ["inject", "target=database", "message=JudgeTrajectories", "action=drop"]);
        Assert.Equal(ExitCodes.Refused, bad.Code);
        Assert.Contains("target database is not one of gpu-worker, run", bad.Err);
        Assert.Contains("allowed: target = one of", bad.Err);

        var inject = await Console(contact, ["inject", "target=reward-judge", "message=JudgeTrajectories", "action=drop", "nth=1", "--json"]);
        Assert.True(inject.Code == 0, inject.Err);
        const string rule = "drop on message #1 JudgeTrajectories of reward-judge";
        Assert.Equal(rule, inject.Json["rule"]!.GetValue<string>());
        Assert.Equal([rule], inject.Json["in_force"]!.AsArray().Select(r => r!.GetValue<string>()));
        var before = await Console(contact, ["faults", "--json"]);
        Assert.True(before.Code == 0, before.Err);
        var listed = Assert.Single(before.Json["rules"]!.AsArray())!;
        Assert.Equal((rule, "injected", 0), (listed["rule"]!.GetValue<string>(), listed["source"]!.GetValue<string>(), listed["injections"]!.GetValue<int>()));

        var runId = RunId.Parse("run-" + Guid.NewGuid().ToString("N")[..10]);
        await using (var starter = await ControlClient.ConnectAsync(ControlClientTests.Settings(contact)))
            Assert.IsType<RunAccepted>(await starter.AskAsync(new StartRun(runId, RunNode.RunConfig(iterations: 1)), "start"));
        await RunControlTests.Until(async () => (await StatusAsync(contact, runId))["state"]!.GetValue<string>() == "completed", "the run to complete");

        // The first judging request was dropped (and sent again): the rule fired exactly once, and the run still trained everything once.
        var after = await Console(contact, ["faults", "--json"]);
        Assert.True(after.Code == 0, after.Err);
        var fired = Assert.Single(after.Json["rules"]!.AsArray())!;
        Assert.Equal((rule, 1), (fired["rule"]!.GetValue<string>(), fired["injections"]!.GetValue<int>()));
        var counted = Assert.Single(after.Json["nodes"]!.AsArray())!;
        Assert.Equal((true, 1), (counted["enabled"]!.GetValue<bool>(), counted["injected"]!.GetValue<int>()));
        await RunEntityTests.AssertExactlyOnceAsync(node, runId, iterations: 1);
        var table = await Console(contact, ["faults"]);
        Assert.True(table.Code == 0, table.Err);
        Assert.Contains(table.Lines, l => l.Contains(rule) && l.Contains("injected") && l.TrimEnd('|', ' ').EndsWith('1'));

        // --clear removes the injected rule; what it did stays counted.
        var cleared = await Console(contact, ["faults", "--clear", "--json"]);
        Assert.True(cleared.Code == 0, cleared.Err);
        var gone = Assert.Single(cleared.Json["rules"]!.AsArray())!;
        Assert.Equal((rule, "no longer in force", 1), (gone["rule"]!.GetValue<string>(), gone["source"]!.GetValue<string>(), gone["injections"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_contact_point_where_nothing_listens_fails_within_its_deadline_naming_it()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var config = Path.Combine(Path.GetTempPath(), $"kimi-console-{Guid.NewGuid():N}.conf");
        File.WriteAllText(config, "kimi.console.connect-timeout = 2s\n");
        try
        {
            var clock = Stopwatch.StartNew();
            var reply = await Console(new ContactPoint("127.0.0.1", port), ["status", "--json", "--config", config]);
            clock.Stop();
            Assert.Equal(ExitCodes.Unreachable, reply.Code);
            Assert.Contains($"127.0.0.1:{port}", reply.Err);
            Assert.Contains($"127.0.0.1:{port}", reply.Json["error"]!.GetValue<string>());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally { File.Delete(config); }

        // A contact point that is no HOST:PORT is refused before anything connects.
        var bad = await Task.Run(() =>
        {
            var err = new StringWriter();
            return (Code: ConsoleProgram.Run(["--contact", "nohost", "runs"], new StringWriter(), err, TextReader.Null), Err: err.ToString());
        });
        Assert.Equal(ExitCodes.Refused, bad.Code);
        Assert.Contains("--contact", bad.Err);
        Assert.Contains("nohost", bad.Err);
    }
}
