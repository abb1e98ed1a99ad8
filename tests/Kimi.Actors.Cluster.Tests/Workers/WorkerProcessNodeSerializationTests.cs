using Akka.Actor;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Cluster.Workers;
using Xunit.Abstractions;
using static Kimi.Actors.Cluster.Protocol.WorkerProtocol;
using static Kimi.Actors.Cluster.Workers.SupervisedWorker;

namespace Kimi.Actors.Cluster.Tests.Workers;

/// <summary>
/// A worker process that speaks the node's own serialization (hocon/akka.conf: Kimi's Hyperion serializer, preserved
/// references, version tolerance), as a real node starts it, rather than the plain Hyperion of <see cref="TestAkka"/>.
/// </summary>
[Collection(WorkerProcessCollection.Name)]
public sealed class WorkerProcessNodeSerializationTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ClusterBootstrap.Setup(NodeConfig.For(extra: """
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        """)), "node", output)
{
    private static readonly TimeSpan ProcessStart = TimeSpan.FromSeconds(30);

    [Fact]
    public void A_trainer_process_killed_after_publishing_comes_back_holding_its_run_and_trains_on()
    {
        var run = TinyWorkload.NewRunId();
        // Killed on its second iteration: the replacement restores the weights of the first, whose run id came over the wire.
        var settings = TinyWorkload.Settings(WorkerMode.Process, new FaultPlan(new FaultRule("TrainIteration", FaultAction.KillProcess, Nth: 2, Incarnation: 1)));
        var store = settings.Weights.Create();
        try
        {
            var worker = ChildActorOf(SupervisedWorker.Props(new SupervisedWorkerOptions("node-serialization", settings)
            {
                ProcessConfig = WorkerEnvironment.WorkerProcessConfig(Sys.Settings.Config),
            }));
            ExpectMsg<WorkerAvailable>(ProcessStart);
            worker.Tell(TinyWorkload.Init("init-node", run));
            ExpectMsg<PolicyReady>(ProcessStart);
            worker.Tell(TinyWorkload.Batch("g-node", 0, 2));
            var generated = ExpectMsg<BatchGenerated>(ProcessStart);
            var groups = generated.Trajectories.Select(t => new Kimi.Actors.Rl.Rollouts.TrainingGroup(t.Id.Group, new[] { 1, 20, 21 },
                new[] { new Kimi.Actors.Rl.Rollouts.JudgedTrajectory(t, 1, true, "ok"), new Kimi.Actors.Rl.Rollouts.JudgedTrajectory(t with { Id = t.Id with { Sample = t.Sample + 10 } }, 0, false, "no") },
                new[] { 0.5, -0.5 }, new[] { 0.0, 0.0 })).ToList();
            worker.Tell(new TrainIteration(Req.Of("t-node"), run, 0, groups, new Kimi.Actors.Rl.Training.PolicyOptimizationOptions { Epochs = 1, LearningRate = 1e-3 },
                CurrentVersion: 0, Seed: 1, LearningRate: 1e-3));
            var trained = ExpectMsg<IterationTrained>(TimeSpan.FromSeconds(120));
            Assert.Equal((1L, run), (trained.Weights.Version, trained.Weights.Run));

            worker.Tell(new TrainIteration(Req.Of("t-node-2"), run, 1, groups, new Kimi.Actors.Rl.Training.PolicyOptimizationOptions { Epochs = 1, LearningRate = 1e-3 },
                CurrentVersion: 1, Seed: 1, LearningRate: 1e-3));
            var restarted = ExpectMsg<WorkerAvailable>(ProcessStart);
            Assert.Equal((2, 1L), (restarted.Incarnation, restarted.PolicyVersion));
            // Before the fix this was WorkRejected: "worker holds run '', not 'run-…'".
            var again = Assert.IsType<IterationTrained>(ExpectMsg<object>(TimeSpan.FromSeconds(120)));
            Assert.Equal((2L, run), (again.Weights.Version, again.Weights.Run));
            Watch(worker);
            Sys.Stop(worker);
            ExpectTerminated(worker);
        }
        finally
        {
            store.Retract(run, 0);
        }
    }
}
