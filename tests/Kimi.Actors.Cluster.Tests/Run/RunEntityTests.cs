using Akka.Actor;
using Akka.TestKit;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Sampling;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Tests.Run;

/// <summary>
/// The Run entity on a real one-node cluster (sharding, a SQLite journal or, for the lifecycle and the resume, also a
/// PostgreSQL one, serialize-messages on), driven through its protocol with TestKit probes: lifecycle and state transitions, persistence across a fresh ActorSystem, control
/// commands, and faults in the GPU workers under it. Exactly-once is checked by trajectory id: what the Prompt
/// entities journaled as judged against what the trainer reported it consumed (<see cref="RunAuditReport"/>).
/// </summary>
[Collection("run entity")]
public class RunEntityTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    private static RunId NewRunId() => RunId.Parse("run-" + Guid.NewGuid().ToString("N")[..10]);

    private static TestProbe Probe(RunNode node) => new Akka.TestKit.Xunit2.TestKit(node.System).CreateTestProbe();

    [SkippableTheory]
    [InlineData(TempDatabase.Sqlite)]
    [InlineData(TempDatabase.Postgres)]
    public async Task A_run_goes_through_sft_iterations_and_finishes_with_its_progress_in_order(string provider)
    {
        using var db = TempDatabase.For(provider);
        await using var node = await RunNode.StartAsync(db);
        var runId = NewRunId();
        var (recorder, seen, done) = ProgressRecorders.Start(node.System);
        var probe = Probe(node);
        node.Node.Runs.Tell(new SubscribeRun(runId, recorder), probe.Ref);
        node.Node.Runs.Tell(new GetRunStatus(runId), probe.Ref);
        Assert.Equal(RunStatusKind.New, probe.ExpectMsg<RunStatus>(TimeSpan.FromSeconds(20)).State);

        node.Node.Runs.Tell(new StartRun(runId, RunNode.RunConfig(iterations: 3)), probe.Ref);
        var accepted = probe.ExpectMsg<RunAccepted>(TimeSpan.FromSeconds(20));
        Assert.Equal((0, 3), (accepted.StartIteration, accepted.TargetIterations));

        var finished = Assert.IsType<RunFinished>(await done.Task.WaitAsync(RunTimeout));
        List<object> log;
        lock (seen) log = [.. seen];

        // SFT steps, then the SFT evaluation, then three iterations in order, then the final evaluation.
        Assert.Equal(4, log.OfType<SftStepReported>().Count());
        int firstIteration = log.FindIndex(m => m is IterationReported);
        Assert.True(log.FindIndex(m => m is EvaluationReported { Label: EvaluationLabel.Sft }) < firstIteration);
        Assert.True(log.FindLastIndex(m => m is SftStepReported) < firstIteration);
        Assert.True(log.FindIndex(m => m is EvaluationReported { Label: EvaluationLabel.Final }) > log.FindLastIndex(m => m is IterationReported));
        var iterations = log.OfType<IterationReported>().ToList();
        Assert.Equal([0, 1, 2], iterations.Select(i => i.Metrics.Iteration));
        // Version 1 is the SFT policy; each iteration publishes the next.
        Assert.Equal([2L, 3L, 4L], iterations.Select(i => i.Metrics.WeightVersion));
        Assert.All(iterations, i => Assert.Equal(16, i.Metrics.Samples));
        Assert.All(iterations, i => Assert.InRange(i.Metrics.OverheadFraction, 0, 1));
        var sftCheckpoint = Assert.Single(log.OfType<CheckpointReported>(), c => c.Label == CheckpointLabel.Sft);
        Assert.Equal(1, sftCheckpoint.WeightVersion);
        var finalCheckpoint = Assert.Single(log.OfType<CheckpointReported>(), c => c.Label == CheckpointLabel.Final);
        Assert.Equal(4, finalCheckpoint.WeightVersion);
        Assert.Equal((0, 3, 4L), (finished.StartIteration, finished.EndIteration, finished.WeightVersion));
        Assert.NotNull(finished.Sft);
        Assert.True(finished.Parameters > 10_000);
        Assert.Equal("cpu", finished.Device);
        // The durable checkpoint is the hash the journal recorded.
        var weightsFile = Path.Combine(finished.Checkpoint.Directory, "model.safetensors");
        Assert.Equal(finished.Checkpoint.Sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(weightsFile))));
        // The published weights are released with the workers (the Run tells the Trainer as it finishes, so shortly
        // after RunFinished); the durable checkpoint is what a continuation uses.
        var store = Kimi.Actors.Cluster.Workers.WorkerEnvironment.Get(node.System).WeightStore;
        for (var deadline = DateTime.UtcNow.AddSeconds(10); store.LatestVersion(runId) is not null && DateTime.UtcNow < deadline;)
            await Task.Delay(50);
        Assert.Null(store.LatestVersion(runId));

        // The requester hears how its run ended even without subscribing.
        Assert.IsType<RunFinished>(probe.FishForMessage<RunReported>(_ => true).Report);
        node.Node.Runs.Tell(new GetRunStatus(runId), probe.Ref);
        var status = probe.ExpectMsg<RunStatus>();
        Assert.Equal((RunStatusKind.Completed, 3, 4L), (status.State, status.Iteration, status.WeightVersion));

        // A second start of the same run is refused; it can only be continued.
        node.Node.Runs.Tell(new StartRun(runId, RunNode.RunConfig()), probe.Ref);
        Assert.Contains("--resume", probe.ExpectMsg<RunRejected>().Reason);

        var audit = await AssertExactlyOnceAsync(node, runId, iterations: 3);
        Assert.Equal(3 * 16, audit.Trained);
    }

    [SkippableTheory]
    [InlineData(TempDatabase.Sqlite)]
    [InlineData(TempDatabase.Postgres)]
    public async Task A_continued_run_resumes_from_the_journal_of_a_fresh_actor_system(string provider)
    {
        using var db = TempDatabase.For(provider);
        var runId = NewRunId();
        IReadOnlyDictionary<PromptId, PromptCounts> before;
        await using (var first = await RunNode.StartAsync(db))
        {
            var (recorder, _, done) = ProgressRecorders.Start(first.System);
            first.Node.Runs.Tell(new SubscribeRun(runId, recorder), ActorRefs.NoSender);
            first.Node.Runs.Tell(new StartRun(runId, RunNode.RunConfig(iterations: 2)), recorder);
            Assert.IsType<RunFinished>(await done.Task.WaitAsync(RunTimeout));
            before = await PromptIndexRebuild.LoadAsync(first.System, runId, upToIteration: 2);
        }

        await using var second = await RunNode.StartAsync(db);
        var probe = Probe(second);
        second.Node.Runs.Tell(new GetRunStatus(runId), probe.Ref);
        var recovered = probe.ExpectMsg<RunStatus>(TimeSpan.FromSeconds(20));
        Assert.Equal((RunStatusKind.Completed, 2, 3L), (recovered.State, recovered.Iteration, recovered.WeightVersion));

        var (rec2, seen, done2) = ProgressRecorders.Start(second.System);
        second.Node.Runs.Tell(new SubscribeRun(runId, rec2), ActorRefs.NoSender);
        second.Node.Runs.Tell(new ContinueRun(runId, 2), probe.Ref);
        var accepted = probe.ExpectMsg<RunAccepted>(TimeSpan.FromSeconds(20));
        Assert.Equal((2, 4), (accepted.StartIteration, accepted.TargetIterations));
        var finished = Assert.IsType<RunFinished>(await done2.Task.WaitAsync(RunTimeout));
        Assert.Equal((2, 4, 5L), (finished.StartIteration, finished.EndIteration, finished.WeightVersion));
        List<object> log;
        lock (seen) log = [.. seen];
        Assert.Empty(log.OfType<SftStepReported>()); // SFT is not repeated
        Assert.Equal([2, 3], log.OfType<IterationReported>().Select(i => i.Metrics.Iteration));

        // The counts the first system left are exactly what the rebuilt sampler starts from.
        var rebuilt = await PromptIndexRebuild.LoadAsync(second.System, runId, upToIteration: 2);
        Assert.Equal(before.OrderBy(p => p.Key.Value), rebuilt.OrderBy(p => p.Key.Value));
        await AssertExactlyOnceAsync(second, runId, iterations: 4);
    }

    [Fact]
    public async Task Unknown_runs_bad_configuration_and_fixed_keys_are_refused()
    {
        using var db = new TempDatabase();
        await using var node = await RunNode.StartAsync(db);
        var probe = Probe(node);
        var runId = NewRunId();
        node.Node.Runs.Tell(new ContinueRun(runId, 1), probe.Ref);
        Assert.Contains("no run", probe.ExpectMsg<RunRejected>(TimeSpan.FromSeconds(20)).Reason);

        node.Node.Runs.Tell(new StartRun(runId, RunNode.RunConfig(extra: "kimi.rollout.temperature = -1")), probe.Ref);
        Assert.Contains("kimi.rollout.temperature", probe.ExpectMsg<RunRejected>().Reason);

        node.Node.Runs.Tell(new StartRun(runId, RunNode.RunConfig(iterations: 1)), probe.Ref);
        probe.ExpectMsg<RunAccepted>(TimeSpan.FromSeconds(20));
        node.Node.Runs.Tell(new SetHyperparameter(runId, "kimi.model.layers", "8"), probe.Ref);
        Assert.Contains("cannot change", probe.FishForMessage<RunRejected>(_ => true, TimeSpan.FromSeconds(20)).Reason);
        node.Node.Runs.Tell(new SetHyperparameter(runId, "optimization.tau", "0"), probe.Ref);
        Assert.Contains("kimi.optimization.tau", probe.FishForMessage<RunRejected>(_ => true).Reason);
        node.Node.Runs.Tell(new SetHyperparameter(runId, "optimization.learning-rate", "1e-5"), probe.Ref);
        Assert.Equal("kimi.optimization.learning-rate", probe.FishForMessage<HyperparameterAccepted>(_ => true).Key);
    }

    [Fact]
    public async Task Pause_holds_the_run_at_an_iteration_boundary_and_resume_continues_it()
    {
        using var db = new TempDatabase();
        await using var node = await RunNode.StartAsync(db);
        var runId = NewRunId();
        var probe = Probe(node);
        node.Node.Runs.Tell(new SubscribeRun(runId, probe.Ref), ActorRefs.NoSender);
        node.Node.Runs.Tell(new StartRun(runId, RunNode.RunConfig(iterations: 3)), probe.Ref);
        probe.FishForMessage<RunAccepted>(_ => true, TimeSpan.FromSeconds(20));
        probe.FishForMessage<RunReported>(m => m.Report is IterationReported { Metrics.Iteration: 0 }, RunTimeout);
        node.Node.Runs.Tell(new PauseRun(runId), probe.Ref);

        // At most the iteration in flight commits; then the run reports paused and stays there.
        await AwaitAssertAsync(async () =>
        {
            var status = await node.Node.Runs.Ask<RunStatus>(new GetRunStatus(runId), TimeSpan.FromSeconds(5));
            Assert.Equal(RunStatusKind.Paused, status.State);
        });
        var paused = await node.Node.Runs.Ask<RunStatus>(new GetRunStatus(runId), TimeSpan.FromSeconds(5));
        Assert.InRange(paused.Iteration, 1, 2);
        await Task.Delay(1000);
        Assert.Equal(paused.Iteration, (await node.Node.Runs.Ask<RunStatus>(new GetRunStatus(runId), TimeSpan.FromSeconds(5))).Iteration);

        node.Node.Runs.Tell(new ResumeRun(runId), probe.Ref);
        var finished = (RunFinished)probe.FishForMessage<RunReported>(m => m.Report is RunFinished, RunTimeout).Report;
        Assert.Equal(3, finished.EndIteration);
        await AssertExactlyOnceAsync(node, runId, iterations: 3);
    }

    [Fact]
    public async Task A_worker_that_throws_on_every_third_batch_still_trains_every_judged_trajectory_exactly_once()
    {
        using var db = new TempDatabase();
        await using var node = await RunNode.StartAsync(db, extraNode: """
            kimi.faults { enabled = on, rules = [{ target = gpu-worker, message = GenerateBatch, action = throw, every = 3 }] }
            """);
        var runId = NewRunId();
        var (finished, log) = await RunToEndAsync(node, runId, RunNode.RunConfig(iterations: 5));
        Assert.Equal(5, finished.EndIteration);
        Assert.Equal(Enumerable.Range(0, 5), log.OfType<IterationReported>().Select(i => i.Metrics.Iteration));
        // The fault fired: the rollout worker was replaced after throwing, at least once.
        Assert.Contains(log.OfType<WorkerRestarted>(), r => r.Worker == "rollout-0" && r.Reason.Contains("InjectedFaultException"));
        await AssertExactlyOnceAsync(node, runId, iterations: 5);
    }

    [Fact]
    public async Task A_worker_process_killed_mid_run_is_replaced_and_no_trajectory_is_lost_or_doubled()
    {
        using var db = new TempDatabase();
        // The rollout worker's first incarnation SIGKILLs itself when its second generation batch arrives.
        await using var node = await RunNode.StartAsync(db, workerMode: "process", extraNode: """
            kimi.faults { enabled = on, rules = [{ target = gpu-worker, message = GenerateBatch, action = kill-process, nth = 2, incarnation = 1 }] }
            """);
        var runId = NewRunId();
        var (finished, log) = await RunToEndAsync(node, runId, RunNode.RunConfig(iterations: 3));
        Assert.Equal(3, finished.EndIteration);
        var restart = Assert.Single(log.OfType<WorkerRestarted>());
        Assert.Equal(("rollout-0", 2), (restart.Worker, restart.Incarnation));
        Assert.Contains("SIGKILL", restart.Reason);
        await AssertExactlyOnceAsync(node, runId, iterations: 3);
    }

    [Fact]
    public async Task Responses_cut_by_the_budget_survive_generator_crashes_and_every_group_trains_exactly_once()
    {
        using var db = new TempDatabase();
        await using var node = await RunNode.StartAsync(db, extraNode: """
            kimi.faults { enabled = on, rules = [{ target = gpu-worker, message = GenerateBatch, action = throw, every = 3 }] }
            """);
        var runId = NewRunId();
        // 16 responses in flight and 128 tokens per iteration: at most 8 tokens per response per iteration, so a
        // 24-token response is cut at least twice and resumed, on a generator that throws on every third batch.
        var (finished, log) = await RunToEndAsync(node, runId, RunNode.RunConfig(iterations: 5, extra: "kimi.rollout.token-budget = 128"));
        Assert.Equal(5, finished.EndIteration);
        var iterations = log.OfType<IterationReported>().ToList();
        Assert.Equal([0, 1, 2, 3, 4], iterations.Select(i => i.Metrics.Iteration));
        // Four groups in flight: 16 responses at first, later the unfinished ones of open groups plus fresh groups.
        Assert.Equal((16, 0), (iterations[0].Metrics.Responses, iterations[0].Metrics.Resumed));
        Assert.All(iterations, i => Assert.InRange(i.Metrics.Responses, 1, 16));
        Assert.Contains(iterations, i => i.Metrics.Resumed > 0);
        Assert.Contains(iterations, i => i.Metrics.CutFraction > 0);
        Assert.Contains(iterations, i => i.Metrics.SegmentsPerResponse > 1);
        Assert.All(iterations, i => Assert.InRange(i.Metrics.GeneratorIdleFraction, 0, 1));
        Assert.Contains(log.OfType<WorkerRestarted>(), r => r.Reason.Contains("InjectedFaultException"));

        // Whole groups only, and each trained trajectory was judged and trained once.
        int trained = iterations.Sum(i => i.Metrics.Samples);
        Assert.True(trained > 0);
        Assert.Equal(0, trained % 4);
        var audit = await AssertExactlyOnceAsync(node, runId, iterations: 5);
        Assert.Equal(trained, audit.Trained);
        // The rest is still in flight, kept by the run (not lost with a crashed worker).
        Assert.True(iterations[^1].Metrics.PendingResponses > 0);
    }

    [Fact]
    public async Task Responses_in_flight_when_a_run_stops_are_resumed_by_the_continued_run()
    {
        using var db = new TempDatabase();
        var runId = NewRunId();
        string config = RunNode.RunConfig(iterations: 4, extra: "kimi.rollout.token-budget = 128");
        IterationReported last;
        await using (var first = await RunNode.StartAsync(db))
        {
            var (recorder, seen, done) = ProgressRecorders.Start(first.System);
            first.Node.Runs.Tell(new SubscribeRun(runId, recorder), ActorRefs.NoSender);
            first.Node.Runs.Tell(new StartRun(runId, config), recorder);
            Assert.IsType<RunFinished>(await done.Task.WaitAsync(RunTimeout));
            lock (seen) last = seen.OfType<IterationReported>().Last();
        }
        Assert.True(last.Metrics.PendingResponses > 0);

        await using var second = await RunNode.StartAsync(db);
        var (rec2, seen2, done2) = ProgressRecorders.Start(second.System);
        second.Node.Runs.Tell(new SubscribeRun(runId, rec2), ActorRefs.NoSender);
        second.Node.Runs.Tell(new ContinueRun(runId, 1), rec2);
        Assert.IsType<RunFinished>(await done2.Task.WaitAsync(RunTimeout));
        IterationReported resumed;
        lock (seen2) resumed = seen2.OfType<IterationReported>().Single();
        // The journaled replay buffer came back: exactly the responses left pending are resumed first.
        Assert.Equal(4, resumed.Metrics.Iteration);
        Assert.Equal(last.Metrics.PendingResponses, resumed.Metrics.Resumed);
        await AssertExactlyOnceAsync(second, runId, iterations: 5);
    }

    /// <summary>Starts <paramref name="runId"/> and waits for it to finish; returns its end and every progress report in order.</summary>
    private static async Task<(RunFinished Finished, List<object> Log)> RunToEndAsync(RunNode node, RunId runId, string config)
    {
        var (recorder, seen, done) = ProgressRecorders.Start(node.System);
        node.Node.Runs.Tell(new SubscribeRun(runId, recorder), ActorRefs.NoSender);
        node.Node.Runs.Tell(new StartRun(runId, config), recorder);
        var finished = Assert.IsType<RunFinished>(await done.Task.WaitAsync(RunTimeout));
        lock (seen) return (finished, [.. seen]);
    }

    /// <summary>
    /// Exactly once by trajectory id: every trajectory the Prompt entities journaled as judged was trained on once, and
    /// nothing was trained on that was not judged.
    /// </summary>
    internal static async Task<RunAuditReport> AssertExactlyOnceAsync(RunNode node, RunId runId, int iterations)
    {
        var audit = await RunAuditReport.AuditAsync(node.System, runId);
        Assert.Equal(iterations, audit.CommittedIterations);
        Assert.True(audit.Trained > 0, "nothing was trained");
        Assert.Empty(audit.Duplicated);
        Assert.Empty(audit.Lost);
        Assert.Empty(audit.Unjudged);
        Assert.Empty(audit.Pending);
        Assert.Equal(audit.Judged, audit.Trained);
        return audit;
    }

    private static async Task AwaitAssertAsync(Func<Task> assertion)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (true)
        {
            try { await assertion(); return; }
            catch (Exception) when (DateTime.UtcNow < deadline) { await Task.Delay(200); }
        }
    }
}
