using System.Text.Json.Nodes;
using Akka.Actor;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Tests.Run;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using Microsoft.Data.Sqlite;
using static Kimi.Actors.Cluster.Protocol.RunControlProtocol;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Tests.Management;

/// <summary>
/// Steering a live run from outside the cluster (through the cluster client and the run gateway, as kimi-console does)
/// on a real one-node cluster: pause holds it at a boundary and resume goes on; changes are persisted and take effect
/// at the next iteration, which the reply names, as the trainer's own record of tau and learning rate shows; sampling
/// changes redraw by the new rule; refusals say what is allowed; the weakest prompts are the journal's; two clients see
/// one state.
/// </summary>
[Collection("run entity")]
public class RunControlTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(180);

    private static RunId NewRunId() => RunId.Parse("run-" + Guid.NewGuid().ToString("N")[..10]);

    [Fact]
    public async Task Pause_set_and_resume_change_the_very_next_training_step_and_two_clients_see_the_same_run()
    {
        using var db = new TempDatabase();
        await using var node = await RunNode.StartAsync(db);
        var contact = ControlClientTests.ContactOf(node);
        await using var a = await ControlClient.ConnectAsync(ControlClientTests.Settings(contact));
        await using var b = await ControlClient.ConnectAsync(ControlClientTests.Settings(contact));
        var runId = NewRunId();
        var (recorder, seen, done) = ProgressRecorders.Start(a.System);
        a.Watch(runId, recorder);
        // Prioritized (every difficulty eligible) before the change, so the switch to the curriculum shows.
        Assert.IsType<RunAccepted>(await a.AskAsync(new StartRun(runId, RunNode.RunConfig(iterations: 6, extra: "kimi.sampling.strategy = prioritized\nkimi.optimization { learning-rate = 3e-5, lr-schedule = constant }")), "start"));
        await Until(() => Iterations(seen).Count >= 1, "the first iteration");

        Assert.IsType<RunStatus>(await a.AskAsync(new PauseRun(runId), "pause"));
        await Until(async () => ((RunStatus)await b.AskAsync(new GetRunStatus(runId), "status")).State == RunStatusKind.Paused, "paused");
        var held = (RunStatus)await b.AskAsync(new GetRunStatus(runId), "status");
        // At the boundary after the iteration in flight (iterations are short: a few may have committed meanwhile).
        Assert.InRange(held.Iteration, 1, 5);
        // Paused: no new iteration starts.
        await Task.Delay(1500);
        Assert.Equal(held.Iteration, ((RunStatus)await a.AskAsync(new GetRunStatus(runId), "status")).Iteration);
        Assert.Equal(held.Iteration, Iterations(seen).Count);

        var tau = Assert.IsType<HyperparameterAccepted>(await a.AskAsync(new SetHyperparameter(runId, "tau", "0.5"), "set tau"));
        Assert.Equal(("kimi.optimization.tau", "0.5", held.Iteration), (tau.Key, tau.Value, tau.AppliesFromIteration));
        var lr = Assert.IsType<HyperparameterAccepted>(await b.AskAsync(new SetHyperparameter(runId, "learning-rate", "0.00002"), "set lr"));
        Assert.Equal(("2E-05", held.Iteration), (lr.Value, lr.AppliesFromIteration));
        var strategy = Assert.IsType<HyperparameterAccepted>(await a.AskAsync(new SetHyperparameter(runId, "sampling-strategy", "curriculum"), "set strategy"));
        Assert.Equal(held.Iteration, strategy.AppliesFromIteration);

        // Both clients see the same run: the accepted changes wait for the next iteration.
        var detailsA = (RunDetails)await a.AskAsync(new GetRunDetails(runId), "details");
        var detailsB = (RunDetails)await b.AskAsync(new GetRunDetails(runId), "details");
        Assert.Equal(detailsA.Status, detailsB.Status);
        Assert.Equal(detailsA.Hyperparameters, detailsB.Hyperparameters);
        Assert.Equal((RunStatusKind.Paused, "1"), (detailsA.Status.State, detailsA.Hyperparameters["tau"]));
        Assert.Equal(held.Iteration - 1, detailsA.LastMetrics!.Iteration);
        Assert.Equal(0, detailsA.WorkerRestarts);
        Assert.Contains(detailsA.Pending, p => p is { Name: "tau", Value: "0.5" } && p.FromIteration == held.Iteration);
        var value = (HyperparameterValue)await b.AskAsync(new GetHyperparameter(runId, "tau"), "get tau");
        Assert.Equal(("1", "0.5"), (value.Value, value.Pending?.Value));
        Assert.Equal("a number > 0", value.Allowed);

        Assert.IsType<RunStatus>(await b.AskAsync(new ResumeRun(runId), "resume"));
        var finished = Assert.IsType<RunFinished>(await done.Task.WaitAsync(RunTimeout));
        Assert.Equal(6, finished.EndIteration);

        // The trainer's own record of what its loss and optimizer used: the old values up to the pause, the new ones from
        // the iteration the replies named.
        var iterations = Iterations(seen);
        Assert.Equal(Enumerable.Range(0, 6), iterations.Select(m => m.Iteration));
        foreach (var m in iterations)
        {
            bool changed = m.Iteration >= held.Iteration;
            Assert.Equal(changed ? 0.5 : 1.0, m.Tau);
            Assert.Equal(changed ? 2e-5 : 3e-5, m.LearningRate, 12);
            Assert.Equal(changed ? "0.5" : "1", m.Hyperparameters!["tau"]);
            Assert.Equal(changed ? "curriculum" : "prioritized", m.Hyperparameters["sampling-strategy"]);
            // The curriculum admits difficulty 2 from iteration 5 (kimi.sampling.curriculum.levels { "2" = 5, "3" = 10 }); sum has 1..3.
            Assert.Equal(changed ? (m.Iteration >= 5 ? 2 : 1) : 3, m.MaxEligibleDifficulty);
        }

        var history = (HyperparameterHistory)await b.AskAsync(new GetHyperparameterHistory(runId, "tau"), "history");
        var entry = Assert.Single(history.Changes);
        Assert.Equal(("tau", "1", "0.5", held.Iteration), (entry.Name, entry.From, entry.To, entry.FromIteration));
        Assert.InRange(entry.AtUtc!.Value, DateTime.UtcNow.AddMinutes(-10), DateTime.UtcNow);
        Assert.Equal(3, ((HyperparameterHistory)await a.AskAsync(new GetHyperparameterHistory(runId, null), "history")).Changes.Count);

        var pinned = Assert.IsType<CheckpointPinned>(await a.AskAsync(new PinCheckpoint(runId), "checkpoint"));
        Assert.Equal((6, 7L, true), (pinned.Iteration, pinned.WeightVersion, pinned.Pinned));
        Assert.True(File.Exists(Path.Combine(pinned.Directory, CheckpointStore.PinFile)));
        await RunEntityTests.AssertExactlyOnceAsync(node, runId, iterations: 6);
    }

    [Fact]
    public async Task Bad_changes_are_refused_with_what_is_allowed_and_the_weakest_prompts_are_the_journals()
    {
        using var db = new TempDatabase();
        await using var node = await RunNode.StartAsync(db);
        await using var client = await ControlClient.ConnectAsync(ControlClientTests.Settings(ControlClientTests.ContactOf(node)));
        var runId = NewRunId();
        var unknownRun = Assert.IsType<RunRejected>(await client.AskAsync(new GetRunDetails(runId), "details"));
        Assert.Contains("no run", unknownRun.Reason);

        var (recorder, _, done) = ProgressRecorders.Start(client.System);
        client.Watch(runId, recorder);
        Assert.IsType<RunAccepted>(await client.AskAsync(new StartRun(runId, RunNode.RunConfig(iterations: 3)), "start"));
        Assert.IsType<RunFinished>(await done.Task.WaitAsync(RunTimeout));

        async Task<RunRejected> Refused(string key, string value) =>
            Assert.IsType<RunRejected>(await client.AskAsync(new SetHyperparameter(runId, key, value), $"set {key}"));
        var negative = await Refused("tau", "-1");
        Assert.Contains("kimi.optimization.tau = -1", negative.Reason);
        Assert.Equal("a number > 0", negative.Allowed);
        Assert.Equal("a number in (0, 1]", (await Refused("top-p", "1.5")).Allowed);
        Assert.Equal("an integer in [1, 4096]", (await Refused("samples-per-prompt", "0")).Allowed);
        Assert.Contains("one of uniform, curriculum", (await Refused("sampling-strategy", "greedy")).Allowed);
        // A budget below the responses in flight (4 prompts x 4 samples) is refused with the bound of this run.
        Assert.Contains("(16)", (await Refused("token-budget", "8")).Allowed);
        Assert.Contains("DIFFICULTY:ITERATION", (await Refused("curriculum-levels", "2-5")).Reason);
        var unknown = await Refused("tua", "0.5");
        Assert.Contains("unknown hyperparameter 'tua' (did you mean tau?)", unknown.Reason);
        Assert.Contains("learning-rate", unknown.Allowed);
        Assert.Contains("cannot change during a run", (await Refused("kimi.model.layers", "8")).Reason);
        Assert.IsType<RunRejected>(await client.AskAsync(new GetHyperparameter(runId, "tua"), "get"));
        // Nothing refused was journaled.
        Assert.Empty(((HyperparameterHistory)await client.AskAsync(new GetHyperparameterHistory(runId, null), "history")).Changes);

        var expected = JudgedCounts(db.File, runId);
        var weakest = Assert.IsType<WeakestPrompts>(await client.AskAsync(new GetWeakestPrompts(runId, 5, null, null), "weakest"));
        Assert.Equal(expected.Count, weakest.Attempted);
        Assert.Equal(60, weakest.Matching);
        var order = expected.Select(p => (Id: p.Key, Attempts: p.Value.Attempts, Rate: (double)p.Value.Successes / p.Value.Attempts))
            .OrderBy(p => p.Rate).ThenByDescending(p => p.Attempts).ThenBy(p => p.Id, StringComparer.Ordinal).Take(5).ToList();
        Assert.Equal(order.Select(p => p.Id), weakest.Prompts.Select(p => p.Id));
        foreach (var p in weakest.Prompts)
            Assert.Equal((expected[p.Id].Attempts, expected[p.Id].Successes), (p.Attempts, p.Successes));
        Assert.All(weakest.Prompts, p => Assert.Equal("arithmetic", p.Domain));

        var none = Assert.IsType<WeakestPrompts>(await client.AskAsync(new GetWeakestPrompts(runId, 5, null, "code"), "weakest"));
        Assert.Equal((0, 0), (none.Matching, none.Prompts.Count));
    }

    /// <summary>Judged attempts and successes per prompt, read straight from the Prompt entities' rows in the SQLite journal.</summary>
    private static Dictionary<string, (long Attempts, long Successes)> JudgedCounts(string file, RunId runId)
    {
        using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT CAST(message AS TEXT) FROM journal WHERE manifest = 'group-judged' AND persistence_id LIKE $prefix";
        command.Parameters.AddWithValue("$prefix", $"prompt-{runId}|%");
        var counts = new Dictionary<string, (long, long)>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var e = JsonNode.Parse(reader.GetString(0))!;
            var prompt = e["prompt"]!.GetValue<string>();
            var correct = e["correct"]!.AsArray().Select(c => c!.GetValue<bool>()).ToList();
            var (attempts, successes) = counts.GetValueOrDefault(prompt);
            counts[prompt] = (attempts + correct.Count, successes + correct.Count(c => c));
        }
        return counts;
    }

    private static List<Rl.Training.IterationMetrics> Iterations(List<object> seen)
    {
        lock (seen) return seen.OfType<IterationReported>().Select(i => i.Metrics).ToList();
    }

    private static Task Until(Func<bool> condition, string what) => Until(() => Task.FromResult(condition()), what);

    /// <summary>Waits for <paramref name="condition"/>, failing after the run timeout with what it waited for.</summary>
    internal static async Task Until(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"no {what} within {RunTimeout.TotalSeconds} s");
            await Task.Delay(200);
        }
    }
}
