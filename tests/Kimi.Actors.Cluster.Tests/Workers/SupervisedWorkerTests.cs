using Akka.Actor;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.Rl.Identity;
using static Kimi.Actors.Cluster.Protocol.WorkerProtocol;
using static Kimi.Actors.Cluster.Workers.SupervisedWorker;

namespace Kimi.Actors.Cluster.Tests.Workers;

public sealed class SupervisedWorkerTests() : Akka.TestKit.Xunit2.TestKit(TestAkka.Config)
{
    private readonly InMemoryWeightStore _store = new();
    private readonly RunId _run = TinyWorkload.NewRunId();

    /// <summary>A supervised in-process worker whose parent is the test actor (so WorkerAvailable/Unavailable arrive here).</summary>
    private IActorRef Start(FaultPlan faults, int maxRestarts = 5, IActorRef? pool = null) =>
        ChildActorOf(SupervisedWorker.Props(new SupervisedWorkerOptions("gen-0", TinyWorkload.Settings(WorkerMode.InProcess, faults, maxRestarts))
        {
            Store = _store, DevicePool = pool,
        }));

    // Starting a worker and building its first policy loads libtorch; on a loaded 2-core machine that passed the
    // TestKit's 3 s default (seen on an idle machine too, right after a build).
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);

    private WorkerStats Stats(IActorRef worker)
    {
        worker.Tell(GetWorkerStats.Instance);
        return ExpectMsg<WorkerStats>();
    }

    [Fact]
    public void A_worker_that_throws_on_every_third_batch_still_yields_every_trajectory_exactly_once()
    {
        var worker = Start(new FaultPlan(new FaultRule("GenerateBatch", FaultAction.Throw, Every: 3)));
        Assert.Null(ExpectMsg<WorkerAvailable>(StartDeadline).RestartReason);
        worker.Tell(TinyWorkload.Init("init", _run));
        ExpectMsg<PolicyReady>(StartDeadline);

        const int batches = 8, prompts = 3;
        // Everything is sent at once, so several requests sit in the mailbox of a worker when it dies.
        for (int i = 0; i < batches; i++) worker.Tell(TinyWorkload.Batch($"b{i}", iteration: i, prompts));

        var replies = new List<BatchGenerated>();
        var restarts = new List<WorkerAvailable>();
        while (replies.Count < batches)
        {
            var m = ExpectMsg<object>(TimeSpan.FromSeconds(10));
            if (m is BatchGenerated b) replies.Add(b);
            else if (m is WorkerAvailable a) restarts.Add(a);
            else Assert.Fail($"unexpected {m}");
        }
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // and no duplicate afterwards

        Assert.Equal(Enumerable.Range(0, batches).Select(i => $"b{i}").Order(), replies.Select(r => Req.Name(r.RequestId)).Order());
        var ids = replies.SelectMany(r => r.Trajectories).Select(t => t.Id).ToList();
        Assert.Equal(batches * prompts, ids.Distinct().Count());
        Assert.Equal(batches * prompts, ids.Count);
        // Each incarnation handles two batches and throws on its third: batches 3, 5 and 7 fail once each.
        Assert.Equal([2, 3, 4], restarts.Select(r => r.Incarnation));
        Assert.All(restarts, r => Assert.Contains("InjectedFaultException", r.RestartReason));
        Assert.All(restarts, r => Assert.Equal(0, r.PolicyVersion)); // the InitPolicy was replayed

        var stats = Stats(worker);
        Assert.Equal(("ready", 4, 3, 0), (stats.State, stats.Incarnation, stats.Restarts, stats.InFlight));
        Assert.True(stats.ResentRequests >= 3, $"re-sent {stats.ResentRequests}");
    }

    [Fact]
    public void A_restarted_worker_reloads_the_last_confirmed_weights()
    {
        using var policy = TinyWorkload.Policy(seed: 5);
        var v3 = PolicyWeights.Publish(_store, _run, 3, policy);
        var worker = Start(new FaultPlan(new FaultRule("GenerateBatch", FaultAction.Throw, Nth: 1, Incarnation: 1)));
        ExpectMsg<WorkerAvailable>(StartDeadline);
        worker.Tell(new LoadPolicy(Req.Of("load"), v3));
        Assert.Equal(3, ExpectMsg<PolicyReady>(StartDeadline).Version);

        worker.Tell(TinyWorkload.Batch("b", 0, 2));
        var restarted = ExpectMsg<WorkerAvailable>(TimeSpan.FromSeconds(10));
        Assert.Equal((2, 3L), (restarted.Incarnation, restarted.PolicyVersion));
        var batch = ExpectMsg<BatchGenerated>(TimeSpan.FromSeconds(10));
        Assert.Equal(3, batch.PolicyVersion);
        Assert.All(batch.Trajectories, t => Assert.Equal(3, Assert.Single(t.Segments).PolicyVersion));
        Assert.Equal(1, Stats(worker).ResentRequests);
    }

    [Fact]
    public void A_real_device_out_of_memory_error_restarts_the_worker_and_the_batch_is_sent_again()
    {
        var worker = Start(new FaultPlan(new FaultRule("GenerateBatch", FaultAction.DeviceOutOfMemory, Nth: 1, Incarnation: 1)));
        ExpectMsg<WorkerAvailable>(TimeSpan.FromSeconds(10));
        worker.Tell(TinyWorkload.Init("init", _run));
        ExpectMsg<PolicyReady>(TimeSpan.FromSeconds(10));
        worker.Tell(TinyWorkload.Batch("b", 0, 2));

        var restarted = ExpectMsg<WorkerAvailable>(TimeSpan.FromSeconds(10));
        Assert.Equal(2, restarted.Incarnation);
        // libtorch's allocator itself refused (TorchSharp surfaces its error as an ExternalException), not a stand-in throw.
        Assert.Contains("ExternalException", restarted.RestartReason);
        Assert.DoesNotContain("InjectedFaultException", restarted.RestartReason);
        Assert.Contains("memory", restarted.RestartReason, StringComparison.OrdinalIgnoreCase);
        var batch = ExpectMsg<BatchGenerated>(TimeSpan.FromSeconds(10));
        Assert.Equal(2, batch.Trajectories.Count);
        Assert.Equal((1, 1), (Stats(worker).Restarts, Stats(worker).ResentRequests));
        Assert.Equal(1, FaultRegistry.Get(Sys).Injected);
    }

    [Fact]
    public void Past_the_restart_budget_the_parent_hears_WorkerUnavailable()
    {
        var worker = Start(new FaultPlan(new FaultRule("GenerateBatch", FaultAction.Throw)), maxRestarts: 2);
        ExpectMsg<WorkerAvailable>(StartDeadline);
        worker.Tell(TinyWorkload.Init("init", _run));
        ExpectMsg<PolicyReady>(StartDeadline);
        worker.Tell(TinyWorkload.Batch("doomed", 0, 1));

        ExpectMsg<WorkerAvailable>(a => a.Incarnation == 2, TimeSpan.FromSeconds(10));
        ExpectMsg<WorkerAvailable>(a => a.Incarnation == 3, TimeSpan.FromSeconds(10));
        var gone = ExpectMsg<WorkerUnavailable>(TimeSpan.FromSeconds(10));
        Assert.Equal("gen-0", gone.WorkerId);
        Assert.Equal([Req.Of("doomed").ToString()], gone.PendingRequests);
        Assert.Contains("restart budget spent (2 restarts", gone.Reason);
        Assert.Contains("InjectedFaultException", gone.Reason);

        worker.Tell(TinyWorkload.Batch("later", 0, 1));
        Assert.Contains("unavailable", ExpectMsg<WorkRejected>().Reason);
        Assert.Equal(("unavailable", 2), (Stats(worker).State, Stats(worker).Restarts));
    }

    [Fact]
    public void Each_incarnation_takes_a_device_from_the_pool_and_gives_it_back()
    {
        var pool = Sys.ActorOf(DevicePool.Props(["cpu"], slotsPerDevice: 1));
        var worker = Start(new FaultPlan(new FaultRule("GenerateBatch", FaultAction.Throw, Nth: 1, Incarnation: 1)), pool: pool);
        Assert.Equal("cpu", ExpectMsg<WorkerAvailable>(StartDeadline).Device);
        worker.Tell(TinyWorkload.Init("init", _run));
        ExpectMsg<PolicyReady>(StartDeadline);
        worker.Tell(TinyWorkload.Batch("b", 0, 1));
        // With one slot, incarnation 2 can only start because incarnation 1 gave its slot back.
        Assert.Equal(2, ExpectMsg<WorkerAvailable>(TimeSpan.FromSeconds(10)).Incarnation);
        ExpectMsg<BatchGenerated>();
        pool.Tell(DevicePool.GetPoolState.Instance);
        Assert.Equal("gen-0#2", Assert.Single(ExpectMsg<DevicePool.PoolState>().Leases).WorkerId);

        Watch(worker);
        Sys.Stop(worker);
        ExpectTerminated(worker);
        AwaitAssert(() =>
        {
            pool.Tell(DevicePool.GetPoolState.Instance);
            Assert.Equal(1, ExpectMsg<DevicePool.PoolState>().FreeSlots);
        }, TimeSpan.FromSeconds(5));
    }
}
