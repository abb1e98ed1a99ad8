using Akka.Actor;
using Akka.Configuration;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Tests.Run;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using static Kimi.Actors.Cluster.Faults.FaultProtocol;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Tests.Faults;

/// <summary>
/// Fault rules for the sharded entities on a real one-node cluster: a crashed Run is restarted by its back-off supervisor
/// and continues its run by itself; a crashed Prompt and a dropped judging request are recovered by the Run's re-sends.
/// Each test asserts that its fault fired (the node's <see cref="FaultRegistry"/> count) and that every judged trajectory
/// was trained exactly once. Plus rules read from configuration and injected at run time.
/// </summary>
[Collection("run entity")]
public sealed class EntityFaultTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(240);

    private static RunId NewRunId() => RunId.Parse("run-" + Guid.NewGuid().ToString("N")[..10]);

    private const string QuickRecovery = """
        kimi.cluster { resend-after = 2s, persistence-backoff { min = 200ms, max = 1s } }
        """;

    [Fact]
    public void Entity_rules_are_read_from_configuration_and_a_rule_round_trips_as_hocon()
    {
        var plan = FaultPlan.FromConfig(ConfigurationFactory.ParseString("""
            kimi.faults {
              enabled = on
              rules = [
                { target = run, message = BatchGenerated, action = throw, nth = 2, incarnation = 1 }
                { target = reward-judge, message = JudgeTrajectories, action = drop, nth = 1 }
                { target = prompt, message = RecordJudgedGroup, action = delay, delay = 50ms, every = 4 }
              ]
            }
            """));
        Assert.Equal(
        [
            new FaultRule("BatchGenerated", FaultAction.Throw, Nth: 2, Incarnation: 1, Target: FaultTargets.Run),
            new FaultRule("JudgeTrajectories", FaultAction.Drop, Nth: 1, Target: FaultTargets.RewardJudge),
            new FaultRule("RecordJudgedGroup", FaultAction.Delay, Every: 4, Delay: TimeSpan.FromMilliseconds(50), Target: FaultTargets.Prompt),
        ], plan.Rules);
        Assert.All(plan.Rules, r => Assert.Equal(r, FaultPlan.ParseRule(r.ToHocon())));

        var e = Assert.Throws<ArgumentException>(() => FaultPlan.FromConfig(ConfigurationFactory.ParseString(
            "kimi.faults { enabled = on, rules = [{ target = database, message = X, action = throw }] }")));
        Assert.Contains("kimi.faults.rules[0]", e.Message);
        Assert.Contains("target database is not one of gpu-worker, run, prompt, rollout-generator, trainer, reward-judge", e.Message);
        Assert.Contains("fault rule: expected an object", Assert.Throws<ArgumentException>(() => FaultPlan.ParseRule("42")).Message);
    }

    [Fact]
    public async Task A_run_entity_that_crashes_mid_iteration_is_restarted_and_continues_its_run_by_itself()
    {
        using var db = new TempDatabase();
        // The Run's first incarnation throws when the second generation batch comes back (iteration 1 is in flight).
        await using var node = await RunNode.StartAsync(db, extraNode: QuickRecovery + """
            kimi.faults { enabled = on, rules = [{ target = run, message = BatchGenerated, action = throw, nth = 2, incarnation = 1 }] }
            """);
        var runId = NewRunId();
        var (recorder, _, _) = ProgressRecorders.Start(node.System);
        node.Node.Runs.Tell(new StartRun(runId, RunNode.RunConfig(iterations: 3)), recorder);

        // Nobody continues the run: the restarted entity does, from its last committed iteration.
        var status = await WaitForStatusAsync(node, runId, s => s.State == RunStatusKind.Completed);
        Assert.Equal((3, 3), (status.Iteration, status.TargetIterations));
        var registry = FaultRegistry.Get(node.System);
        Assert.Equal(1, registry.Injected);
        Assert.Equal(1, Assert.Single(registry.Counts).Value);
        var audit = await RunEntityTests.AssertExactlyOnceAsync(node, runId, iterations: 3);
        Assert.Equal(3 * 16, audit.Trained);
    }

    [Fact]
    public async Task Crashed_prompt_entities_and_dropped_judging_requests_are_recovered_by_the_runs_resends()
    {
        using var db = new TempDatabase();
        await using var node = await RunNode.StartAsync(db, extraNode: QuickRecovery + """
            kimi.faults {
              enabled = on
              rules = [
                { target = prompt, message = RecordJudgedGroup, action = throw, nth = 1, incarnation = 1 }
                { target = reward-judge, message = JudgeTrajectories, action = drop, nth = 2 }
              ]
            }
            """);
        var runId = NewRunId();
        var (recorder, _, done) = ProgressRecorders.Start(node.System);
        node.Node.Runs.Tell(new SubscribeRun(runId, recorder), ActorRefs.NoSender);
        node.Node.Runs.Tell(new StartRun(runId, RunNode.RunConfig(iterations: 2)), recorder);
        Assert.IsType<RunFinished>(await done.Task.WaitAsync(RunTimeout));

        var counts = FaultRegistry.Get(node.System).Counts;
        // Every Prompt entity's first incarnation crashed on its first group (4 prompts in iteration 0 at least).
        Assert.True(counts.Single(c => c.Key.Contains("RecordJudgedGroup")).Value >= 4, string.Join("; ", counts));
        Assert.Equal(1, counts.Single(c => c.Key.Contains("JudgeTrajectories")).Value);
        await RunEntityTests.AssertExactlyOnceAsync(node, runId, iterations: 2);
    }

    [Fact]
    public async Task Rules_injected_at_run_time_apply_where_fault_injection_is_enabled()
    {
        using var db = new TempDatabase();
        await using (var off = await RunNode.StartAsync(db))
        {
            var answer = await off.System.ActorSelection(FaultAgent.PathOnNode)
                .Ask<object>(new InjectFaults([new FaultRule("JudgeTrajectories", FaultAction.Drop, Nth: 1, Target: FaultTargets.RewardJudge)]), TimeSpan.FromSeconds(20));
            Assert.Contains("fault injection is off", Assert.IsType<FaultsRefused>(answer).Reason);
            Assert.True(FaultRegistry.Get(off.System).Plan.IsEmpty);
        }

        await using var node = await RunNode.StartAsync(db, extraNode: QuickRecovery + "kimi.faults.enabled = on");
        var rule = new FaultRule("JudgeTrajectories", FaultAction.Drop, Nth: 1, Target: FaultTargets.RewardJudge);
        var agent = node.System.ActorSelection(FaultAgent.PathOnNode);
        var injected = Assert.IsType<FaultsInjected>(await agent.Ask<object>(new InjectFaults([rule]), TimeSpan.FromSeconds(20)));
        Assert.Equal([rule], injected.InForce);
        Assert.Equal([rule], FaultRegistry.Get(node.System).Plan.Rules);

        var runId = NewRunId();
        var (recorder, _, done) = ProgressRecorders.Start(node.System);
        node.Node.Runs.Tell(new SubscribeRun(runId, recorder), ActorRefs.NoSender);
        node.Node.Runs.Tell(new StartRun(runId, RunNode.RunConfig(iterations: 1)), recorder);
        Assert.IsType<RunFinished>(await done.Task.WaitAsync(RunTimeout));
        var counts = await agent.Ask<FaultCounts>(new GetFaultCounts(), TimeSpan.FromSeconds(20));
        Assert.Equal((true, 1), (counts.Enabled, counts.Injected));
        await RunEntityTests.AssertExactlyOnceAsync(node, runId, iterations: 1);

        Assert.Empty(Assert.IsType<FaultsInjected>(await agent.Ask<object>(new ClearFaults(), TimeSpan.FromSeconds(20))).InForce);
    }

    private static async Task<RunStatus> WaitForStatusAsync(RunNode node, RunId runId, Func<RunStatus, bool> done)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        RunStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await node.Node.Runs.Ask<RunStatus>(new GetRunStatus(runId), TimeSpan.FromSeconds(5));
                if (done(last)) return last;
            }
            catch (AskTimeoutException) { } // the entity is being restarted
            await Task.Delay(250);
        }
        throw new TimeoutException($"run {runId} did not get there within {RunTimeout.TotalSeconds} s; last status {last}");
    }
}
