using System.Diagnostics;
using Akka.Actor;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.Rl.Identity;
using Xunit.Abstractions;
using static Kimi.Actors.Cluster.Protocol.WorkerProtocol;
using static Kimi.Actors.Cluster.Workers.SupervisedWorker;

namespace Kimi.Actors.Cluster.Tests.Workers;

/// <summary>
/// Workers in real `kimi-worker` child processes (kimi-worker.dll is copied next to the tests by the Worker reference). Run
/// alone: process start-up competing with the other tests for two cores would stretch the timings several-fold.
/// </summary>
[Collection(WorkerProcessCollection.Name)]
public sealed class WorkerProcessTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public WorkerProcessTests(ITestOutputHelper output) : base(TestAkka.Config, output: output) => _output = output;

    private static readonly TimeSpan ProcessStart = TimeSpan.FromSeconds(30);

    [Fact]
    public void A_worker_process_killed_mid_run_is_restarted_reloads_the_weights_and_answers_every_request_once()
    {
        var run = TinyWorkload.NewRunId();
        // SIGKILL on receipt of the 2nd batch of the first incarnation: batch 1 is answered, batches 2..4 are lost with the process.
        var settings = TinyWorkload.Settings(WorkerMode.Process, new FaultPlan(new FaultRule("GenerateBatch", FaultAction.KillProcess, Nth: 2, Incarnation: 1)));
        var store = settings.Weights.Create();
        using var policy = TinyWorkload.Policy(seed: 7);
        var v3 = PolicyWeights.Publish(store, run, 3, policy);
        try
        {
            var sw = Stopwatch.StartNew();
            var worker = ChildActorOf(SupervisedWorker.Props(new SupervisedWorkerOptions("gen-p", settings) { ProcessConfig = TestAkka.Config }));
            var first = ExpectMsg<WorkerAvailable>(ProcessStart);
            _output.WriteLine($"process start to WorkerReady: {sw.ElapsedMilliseconds} ms");
            Assert.NotEqual(Environment.ProcessId, first.ProcessId);
            worker.Tell(new LoadPolicy(Req.Of("load"), v3));
            Assert.Equal(3, ExpectMsg<PolicyReady>().Version);

            const int batches = 4, prompts = 3;
            for (int i = 0; i < batches; i++) worker.Tell(TinyWorkload.Batch($"b{i}", i, prompts));
            var replies = new List<BatchGenerated>();
            WorkerAvailable? restarted = null;
            sw.Restart();
            while (replies.Count < batches)
            {
                switch (ExpectMsg<object>(ProcessStart))
                {
                    case BatchGenerated b: replies.Add(b); break;
                    case WorkerAvailable a: restarted = a; _output.WriteLine($"kill to restored: {sw.ElapsedMilliseconds} ms"); break;
                    case var m: Assert.Fail($"unexpected {m}"); break;
                }
            }
            ExpectNoMsg(TimeSpan.FromMilliseconds(300));

            Assert.NotNull(restarted);
            Assert.Equal((2, 3L), (restarted.Incarnation, restarted.PolicyVersion));
            Assert.NotEqual(first.ProcessId, restarted.ProcessId);
            Assert.Contains("SIGKILL", restarted.RestartReason);
            Assert.True(IsGone(first.ProcessId), "the killed worker process is gone");

            Assert.Equal(["b0", "b1", "b2", "b3"], replies.Select(r => Req.Name(r.RequestId)).Order());
            var trajectories = replies.SelectMany(r => r.Trajectories).ToList();
            Assert.Equal(batches * prompts, trajectories.Select(t => t.Id).Distinct().Count());
            Assert.Equal(batches * prompts, trajectories.Count);
            Assert.All(replies, r => Assert.Equal(3, r.PolicyVersion));

            worker.Tell(GetWorkerStats.Instance);
            var stats = ExpectMsg<WorkerStats>();
            Assert.Equal((1, 0), (stats.Restarts, stats.InFlight));
            // b1..b3 died with the process; b0's answer too when the kill beat it out of the socket.
            Assert.InRange(stats.ResentRequests, 3, 4);

            Watch(worker);
            Sys.Stop(worker);
            ExpectTerminated(worker);
            AwaitCondition(() => IsGone(restarted.ProcessId), TimeSpan.FromSeconds(10)); // stopping the supervisor kills its process
        }
        finally
        {
            store.Retract(run, 0);
        }
    }

    [Fact]
    public void A_device_out_of_memory_error_in_a_worker_process_restarts_it_and_the_restart_reason_names_the_allocator()
    {
        var run = TinyWorkload.NewRunId();
        var settings = TinyWorkload.Settings(WorkerMode.Process, new FaultPlan(new FaultRule("GenerateBatch", FaultAction.DeviceOutOfMemory, Nth: 1, Incarnation: 1)));
        var store = settings.Weights.Create();
        using var policy = TinyWorkload.Policy(seed: 7);
        var v2 = PolicyWeights.Publish(store, run, 2, policy);
        try
        {
            var worker = ChildActorOf(SupervisedWorker.Props(new SupervisedWorkerOptions("gen-oom", settings) { ProcessConfig = TestAkka.Config }));
            var first = ExpectMsg<WorkerAvailable>(ProcessStart);
            worker.Tell(new LoadPolicy(Req.Of("load"), v2));
            Assert.Equal(2, ExpectMsg<PolicyReady>().Version);
            worker.Tell(TinyWorkload.Batch("b", 0, 3));

            var restarted = ExpectMsg<WorkerAvailable>(ProcessStart);
            _output.WriteLine(restarted.RestartReason);
            Assert.Equal((2, 2L), (restarted.Incarnation, restarted.PolicyVersion));
            Assert.NotEqual(first.ProcessId, restarted.ProcessId);
            // The allocator's own error (libtorch's, through TorchSharp), as the worker process reported it before exiting.
            Assert.Contains("worker failed: ExternalException", restarted.RestartReason);
            Assert.Contains("memory", restarted.RestartReason, StringComparison.OrdinalIgnoreCase);
            var batch = ExpectMsg<BatchGenerated>(ProcessStart);
            Assert.Equal((3, 2L), (batch.Trajectories.Count, batch.PolicyVersion));
            worker.Tell(GetWorkerStats.Instance);
            Assert.Equal(1, ExpectMsg<WorkerStats>().Restarts);
            Watch(worker);
            Sys.Stop(worker);
            ExpectTerminated(worker);
        }
        finally
        {
            store.Retract(run, 0);
        }
    }

    [Fact]
    public async Task A_worker_process_exits_when_its_parent_system_terminates()
    {
        var parentSystem = ActorSystem.Create("parent", TestAkka.Config);
        var ready = new TaskCompletionSource<WorkerReady>(TaskCreationOptions.RunContinuationsAsynchronously);
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var parent = parentSystem.ActorOf(Akka.Actor.Props.Create(() => new ReadyCatcher(ready)), "parent");
        var address = ((ExtendedActorSystem)parentSystem).Provider.DefaultAddress;
        var sw = Stopwatch.StartNew();
        // This test keeps the worker's stdin open: only death watch can tell it that the parent is gone.
        using var handle = WorkerProcessLauncher.Start(new WorkerProcessArguments(parent.Path.ToStringWithAddress(address), "orphan"),
            TestAkka.Config, TinyWorkload.Settings(WorkerMode.Process), line => _output.WriteLine("worker: " + line), code => exited.TrySetResult(code));

        var worker = await ready.Task.WaitAsync(ProcessStart);
        _output.WriteLine($"spawn to WorkerReady: {sw.ElapsedMilliseconds} ms");
        Assert.Equal(("orphan#1", handle.ProcessId), (worker.WorkerId, worker.ProcessId));

        sw.Restart();
        await parentSystem.Terminate();
        Assert.Equal(WorkerProcess.ExitParentGone, await exited.Task.WaitAsync(TimeSpan.FromSeconds(15)));
        _output.WriteLine($"parent terminated to worker exit: {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_worker_process_exits_when_its_standard_input_closes()
    {
        var ready = new TaskCompletionSource<WorkerReady>(TaskCreationOptions.RunContinuationsAsynchronously);
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        var parent = Sys.ActorOf(Akka.Actor.Props.Create(() => new ReadyCatcher(ready)));
        var address = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;
        using var handle = WorkerProcessLauncher.Start(new WorkerProcessArguments(parent.Path.ToStringWithAddress(address), "stdin"),
            TestAkka.Config, TinyWorkload.Settings(WorkerMode.Process), line => { lock (lines) lines.Add(line); }, code => exited.TrySetResult(code));
        await ready.Task.WaitAsync(ProcessStart);

        handle.CloseStandardInput(); // as when the parent process dies, however abruptly: the parent system here stays up
        Assert.Equal(WorkerProcess.ExitParentGone, await exited.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        AwaitCondition(() => { lock (lines) return lines.Any(l => l.Contains("standard input closed")); }, TimeSpan.FromSeconds(5));
    }

    private static bool IsGone(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.HasExited;
        }
        catch (ArgumentException) { return true; }
    }

    private sealed class ReadyCatcher : ReceiveActor
    {
        public ReadyCatcher(TaskCompletionSource<WorkerReady> ready) => Receive<WorkerReady>(r => ready.TrySetResult(r));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WorkerProcessCollection
{
    public const string Name = "worker processes";
}
