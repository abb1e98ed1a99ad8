using Akka.Actor;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Objectives;
using Kimi.Actors.Rl.Optimization;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;
using static Kimi.Actors.Cluster.Protocol.WorkerProtocol;
using CheckpointSaved = Kimi.Actors.Cluster.Protocol.WorkerProtocol.CheckpointSaved;
using InitPolicy = Kimi.Actors.Cluster.Protocol.WorkerProtocol.InitPolicy;
using IterationTrained = Kimi.Actors.Cluster.Protocol.WorkerProtocol.IterationTrained;
using PolicyReady = Kimi.Actors.Cluster.Protocol.WorkerProtocol.PolicyReady;
using PolicyRestored = Kimi.Actors.Cluster.Protocol.WorkerProtocol.PolicyRestored;
using CheckpointUnusable = Kimi.Actors.Cluster.Protocol.WorkerProtocol.CheckpointUnusable;
using RestoreCheckpoint = Kimi.Actors.Cluster.Protocol.WorkerProtocol.RestoreCheckpoint;
using RunWarmupSft = Kimi.Actors.Cluster.Protocol.WorkerProtocol.RunWarmupSft;
using SaveCheckpoint = Kimi.Actors.Cluster.Protocol.WorkerProtocol.SaveCheckpoint;
using WorkRejected = Kimi.Actors.Cluster.Protocol.WorkerProtocol.WorkRejected;
using GroupRecorded = Kimi.Actors.Cluster.Protocol.PromptProtocol.GroupRecorded;
using BatchGenerated = Kimi.Actors.Cluster.Protocol.WorkerProtocol.BatchGenerated;
using HeldOutEvaluated = Kimi.Actors.Cluster.Protocol.WorkerProtocol.HeldOutEvaluated;

namespace Kimi.Actors.Cluster.Tests.Serialization;

/// <summary>
/// At least one filled-in sample of every protocol message type, for the serializer round-trip test. A new
/// IKimiMessage type fails that test until a sample is added here. The samples use the collection shapes producers
/// really create: collection expressions (compiler-synthesized types), List, arrays, dictionaries, nulls.
/// </summary>
internal static class ProtocolSamples
{
    public static readonly RunId Run = RunId.Parse("run-1");
    public static readonly PromptId Prompt = new("p-1");
    /// <summary>An image reference: where the bytes are and their hash, never the pixels.</summary>
    public static readonly Kimi.Actors.Tasks.Images.PromptImage Image = new("render:shapes:7:0cr7", new string('a', 64));

    public static IEnumerable<IKimiMessage> All(IActorRef someActor)
    {
        var weights = new WeightsPublished(Run, 7, "mem://run-1/7", new string('a', 64), 123_456);
        var checkpoint = new CheckpointRef("/data/checkpoints/run-1/v000007", new string('b', 64));
        var trajectory = new Trajectory(new TrajectoryId(Prompt, 3, 0), [5, 6, 7], [-0.5f, -1.25f, -0.125f], StopReason.Stop,
            [new Segment(0, 2, 6), new Segment(2, 1, 7)]);
        var continued = trajectory with { Id = new TrajectoryId(Prompt, 3, 1), StopReason = StopReason.Budget, Segments = new List<Segment> { new(0, 3, 7) } };
        var report = new EvaluationReport("greedy", 2, new SliceAccuracy(2, 1),
            new Dictionary<int, SliceAccuracy> { [1] = new(1, 1), [2] = new(1, 0) },
            new Dictionary<string, SliceAccuracy> { ["arithmetic"] = new(2, 1) }, 17.5, TimeSpan.FromMilliseconds(1234))
        {
            // Image against text prompts travels with the report (the worker measures it, the run's shell reports it).
            ByModality = new Dictionary<string, SliceAccuracy> { [EvaluationReport.Image] = new(1, 1), [EvaluationReport.Text] = new(1, 0) },
        };
        var evaluation = new HeldOutEvaluation(report, report with { Mode = "pass@1" }, PrimaryMetric.Sampled);
        var plan = new EvaluationPlan(new EvalSettings { Temperature = 0, MaxResponseTokens = 32 },
            new EvalSettings { Temperature = 1.0, SamplesPerPrompt = 4, Seed = 5 }, PrimaryMetric.Sampled);
        var request = new RequestId(77, 3);
        var group = new GroupKey(Prompt, 3);

        // Prompt entity
        yield return new RecordJudgedGroup(Run, Prompt, 3, 2, [new SampleVerdict(group.Sample(0), true), new SampleVerdict(group.Sample(1), false)]);
        yield return new RecordJudgedGroup(Run, Prompt, 3, 2, new List<SampleVerdict> { new(group.Sample(2), true) });
        yield return new RecordJudgedGroup(Run, Prompt, 3, 2, []);
        yield return new GroupRecorded(Run, Prompt, 3, 2, 1, 10, 4);
        yield return new GetPromptStats(Run, Prompt);
        yield return new PromptStats(Run, Prompt, 2, 10, 4, 3);

        // Worker
        yield return new WorkerReady("worker-1", someActor, 4242);
        yield return new InitPolicy(request, Run, """{"hidden_size":128}""", 99, null);
        yield return new InitPolicy(request, Run, "{}", 99, "/models/sft");
        yield return new LoadPolicy(request, weights);
        yield return new PolicyReady(request, 7, 1_000_000, "cpu");
        yield return new RestoreCheckpoint(request, Run, 7, checkpoint);
        yield return new PolicyRestored(request, weights, 1_000_000, "cuda:0");
        yield return new CheckpointUnusable(request, "/data/checkpoints/run-1/v000007", "model.safetensors: SHA-256 differs");
        yield return new GenerateBatch(request,
            [
                new RolloutRequest(group.Sample(0), [1, 2, 3]),
                new RolloutRequest(group.Sample(1), [1, 2, 3], [5, 6], [-0.5f, -1f], [new Segment(0, 2, 6)], 40),
                new RolloutRequest(group.Sample(2), [1, 99, 99, 3], Images: [Image]),
            ],
            new RolloutSettings { Temperature = 0.8, TopP = 0.95, MaxResponseTokens = 96, TokenBudget = 4096, RepeatDetector = new PeriodicRepeatDetector(8, 32) }, 11);
        yield return new GenerateBatch(request, new List<RolloutRequest> { new(new TrajectoryId(new PromptId("p-2"), 0, 0), [4]) }, new RolloutSettings(), 12);
        yield return new BatchGenerated(request, 7, [trajectory, continued], 4, 0.25);
        yield return new EvaluateHeldOut(request,
            [
                new PromptSpec("h-1", "1+1=", "2", "arithmetic", 1, ["sum"], null),
                new PromptSpec("h-2", "2+2=", "4", "arithmetic", 2, [], """{"source":"test"}"""),
                new PromptSpec("h-3", "count red:", "1", "visual-counting", 1, ["shapes"], null, [Image, Image with { Source = "file:/data/b.png" }]),
            ], plan, TokenizerSpec.Char);
        yield return new HeldOutEvaluated(request, 7, evaluation with { PrimaryMetric = PrimaryMetric.Greedy }, 1.5);
        yield return new RunWarmupSft(request, Run, new TaskOptions(), new SftOptions { Steps = 10 }, 13, TokenizerSpec.Char);
        yield return new RunWarmupSft(request, Run, new TaskOptions { Families = new List<string> { "sum" }, TrainFile = "train.jsonl" }, new SftOptions(), 14,
            new TokenizerSpec("hf", "/models/qwen"));
        yield return new SftProgress(request, new SftStepStats(3, 1.25, 1e-3, 64, 12, 3000, TimeSpan.FromSeconds(2)));
        yield return new SftCompleted(request, weights, 42.0);
        yield return new TrainIteration(request, Run, 3,
            [
                new TrainingGroup(group, [1, 2, 3],
                    [new JudgedTrajectory(trajectory, 1, true, "correct"), new JudgedTrajectory(continued, 0, false, "unfinished")],
                    [0.5, -0.5], [0.1, -0.1]),
                new TrainingGroup(group, [1, 99, 99, 3], [new JudgedTrajectory(trajectory, 1, true, "correct")], [0.5], [0.1]) { Images = [Image] },
            ],
            new PolicyOptimizationOptions
            {
                Objective = ObjectiveKind.Grpo, Optimizer = OptimizerKind.Sgd, Reduction = LogProbReduction.TokenMean, Epochs = 2,
                Segments = SegmentSelection.CurrentPolicy, LrSchedule = LearningRateSchedule.Cosine, LrWarmupIterations = 3, LrMinRatio = 0.2,
            }, 6, 15, 2.5e-5);
        yield return new IterationTrained(request, 3,
            new TrainStepStats(0.5, 0.01, 0.02, 1.5, 0.1, 0.003, 2048, 8, 5e-5, TimeSpan.FromSeconds(3)) { SkippedSteps = 1 }, weights,
            [new TrainedGroup(group, [group.Sample(0), group.Sample(1)])], 3.0);
        yield return new SaveCheckpoint(request, Run, 7);
        yield return new CheckpointSaved(request, 7, checkpoint);
        yield return new WorkRejected(request, "no policy loaded");

        // Run entity
        var metrics = new IterationMetrics
        {
            Iteration = 3, WeightVersion = 5, Prompts = 2, Samples = 16, RewardMean = 0.5, Accuracy = 0.5, ValidationAccuracy = 0.7,
            ValidationAccuracyByDifficulty = new Dictionary<int, double> { [1] = 0.8, [2] = 0.6 }, OverheadFraction = 0.02,
        };
        yield return new RunProtocol.StartRun(Run, "kimi.run { seed = 1 }");
        yield return new RunProtocol.ContinueRun(Run, 5);
        yield return new RunProtocol.ContinueRun(Run, null);
        yield return new RunProtocol.SubscribeRun(Run, someActor);
        yield return new RunProtocol.GetRunStatus(Run);
        yield return new RunProtocol.PauseRun(Run);
        yield return new RunProtocol.ResumeRun(Run);
        yield return new RunProtocol.StopRun(Run);
        yield return new RunProtocol.SetHyperparameter(Run, "kimi.optimization.learning-rate", "1e-5");
        yield return new RunProtocol.RunAccepted(Run, 3, 10);
        yield return new RunProtocol.RunRejected(Run, "no such run");
        yield return new RunProtocol.RunStatus(Run, RunStatusKind.Active, RunPhase.Iterating, 3, 5, 10, 0.7);
        yield return new RunProtocol.RunStatus(Run, RunStatusKind.New, null, 0, 0, 0, null);

        // Run control (the console)
        var status = new RunProtocol.RunStatus(Run, RunStatusKind.Active, RunPhase.Iterating, 3, 5, 10, 0.7);
        var pending = new RunControlProtocol.PendingChange("tau", "kimi.optimization.tau", "0.5", 4);
        yield return new RunControlProtocol.GetRunDetails(Run);
        yield return new RunControlProtocol.RunDetails(status, new Dictionary<string, string> { ["tau"] = "1", ["top-p"] = "1" }, [pending], metrics, 2,
            null, new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc));
        yield return new RunControlProtocol.RunDetails(status with { State = RunStatusKind.Failed }, new Dictionary<string, string>(), [], null, 0,
            "the trainer's worker is unavailable", null);
        yield return new RunControlProtocol.GetHyperparameter(Run, "tau");
        yield return new RunControlProtocol.HyperparameterValue(Run, "tau", "kimi.optimization.tau", "1", "a number > 0", "the KL weight", pending);
        yield return new RunControlProtocol.HyperparameterValue(Run, "top-p", "kimi.rollout.top-p", "1", "a number in (0, 1]", null, null);
        yield return new RunControlProtocol.GetHyperparameterHistory(Run, "tau");
        yield return new RunControlProtocol.GetHyperparameterHistory(Run, null);
        yield return new RunControlProtocol.HyperparameterHistory(Run,
            [new RunControlProtocol.HyperparameterChangeEntry("tau", "kimi.optimization.tau", "1", "0.5", 4, new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc)),
             new RunControlProtocol.HyperparameterChangeEntry("top-p", "kimi.rollout.top-p", "1", "0.9", 2, null)]);
        yield return new RunControlProtocol.GetWeakestPrompts(Run, 5, "sum", null);
        yield return new RunControlProtocol.WeakestPrompts(Run,
            [new RunControlProtocol.PromptSuccess("p-1", "arithmetic", 2, ["sum"], 16, 4, 0.25)], 10, 40);
        yield return new RunControlProtocol.PinCheckpoint(Run);
        yield return new RunControlProtocol.CheckpointPinned(Run, 3, 5, "/data/checkpoints/run-1/iter-000003", new string('a', 64), true, "");

        // Placement (summary.json's nodes)
        yield return new PlacementProtocol.GetRunPlacement(Run);
        yield return new PlacementProtocol.RunPlacement(Run, "akka.tcp://kimi@10.0.0.1:4053",
            new Dictionary<string, IReadOnlyList<string>> { ["trainer"] = ["akka.tcp://kimi@10.0.0.2:4053"], ["rollout"] = new List<string> { "a", "b" } },
            new Dictionary<string, string> { ["trainer"] = "akka.tcp://kimi@10.0.0.2:4053" });

        // Fault injection at run time
        var rule = new FaultRule("GenerateBatch", FaultAction.Throw, Every: 3);
        yield return new FaultProtocol.InjectFaults([rule, new FaultRule("TrainIteration", FaultAction.Delay, Nth: 2, Delay: TimeSpan.FromMilliseconds(250), Incarnation: 1)]);
        yield return new FaultProtocol.ClearFaults();
        yield return new FaultProtocol.FaultsInjected("akka.tcp://kimi@10.0.0.1:4053", [rule]);
        yield return new FaultProtocol.FaultsRefused("akka.tcp://kimi@10.0.0.1:4053", "fault injection is not enabled on this node");
        yield return new FaultProtocol.GetFaultCounts();
        yield return new FaultProtocol.FaultCounts("akka.tcp://kimi@10.0.0.1:4053", true, 3, new Dictionary<string, int> { [rule.ToString()] = 3 });
        yield return new FaultProtocol.SetFaultPlan(new FaultPlan([rule]));
        yield return new RunProtocol.HyperparameterAccepted(Run, "kimi.rollout.temperature", "0.8", 4);
        yield return new RunProtocol.RunReported(Run, new SftStepReported(new SftStepStats(3, 1.25, 1e-3, 64, 12, 3000, TimeSpan.FromSeconds(2))));
        yield return new RunProtocol.RunReported(Run, new EvaluationReported(EvaluationLabel.Sft, 0, evaluation));
        yield return new RunProtocol.RunReported(Run, new IterationReported(metrics));
        yield return new RunProtocol.RunReported(Run, new CheckpointReported(CheckpointLabel.Final, 11, checkpoint));
        yield return new RunProtocol.RunReported(Run, new RunFinished(0, 10, 11, evaluation, evaluation, checkpoint, 0.02, 738816, "cpu", 120));
        yield return new RunProtocol.RunReported(Run, new RunFinished(5, 10, 11, null, evaluation, checkpoint, 0.02, 738816, "cpu", 0));
        yield return new RunProtocol.RunReported(Run, new RunFailed("trainer unavailable"));
        yield return new RunProtocol.RunReported(Run, new RunWarning("2 prompts in the journal are not in the prompt set"));

        // Device pool and supervised workers
        yield return new Kimi.Actors.Cluster.Workers.DevicePool.Acquire("w-1");
        yield return new Kimi.Actors.Cluster.Workers.DevicePool.DeviceGranted("w-1", "cuda:0", 1);
        yield return new Kimi.Actors.Cluster.Workers.DevicePool.Release("w-1");
        yield return Kimi.Actors.Cluster.Workers.DevicePool.GetPoolState.Instance;
        yield return new Kimi.Actors.Cluster.Workers.DevicePool.PoolState([new Kimi.Actors.Cluster.Workers.DevicePool.DeviceLease("cpu", 0, "w-1", someActor)], 3, ["w-2"]);
        yield return Kimi.Actors.Cluster.Workers.SupervisedWorker.GetWorkerStats.Instance;
        yield return Kimi.Actors.Cluster.Workers.SupervisedWorker.RestorePolicy.From(weights);
        yield return Kimi.Actors.Cluster.Workers.SupervisedWorker.RestorePolicy.From(new InitPolicy(request, Run, "{}", 1, null));
        yield return new Kimi.Actors.Cluster.Workers.SupervisedWorker.WorkerAvailable("w-1", 2, 4242, "cpu", 7, "exit code 137");
        yield return new Kimi.Actors.Cluster.Workers.SupervisedWorker.WorkerUnavailable("w-1", "restart budget spent", ["r-3", "r-4"]);
        yield return new Kimi.Actors.Cluster.Workers.SupervisedWorker.WorkerStats("w-1", "ready", 2, 1, 3, 0, 1, 4242, "cpu", 7);

        // Generator, trainer and judge entities
        yield return new GeneratorProtocol.AttachGenerator(Run, new GeneratorSlot(0));
        yield return new GeneratorProtocol.ToGenerator(Run, new GeneratorSlot(0), new LoadPolicy(request, weights));
        yield return new GeneratorProtocol.DetachGenerator(Run, new GeneratorSlot(0));
        yield return new GeneratorProtocol.GeneratorAvailable(Run, new GeneratorSlot(0), 2, 7, "the worker process exited with code 137");
        yield return new GeneratorProtocol.GeneratorAvailable(Run, new GeneratorSlot(1), 1, null, null);
        yield return new GeneratorProtocol.GeneratorUnavailable(Run, new GeneratorSlot(0), "restart budget spent", ["r-3"]);
        yield return new TrainerProtocol.AttachTrainer(Run);
        yield return new TrainerProtocol.ToTrainer(Run, new InitPolicy(request, Run, "{}", 1, null));
        yield return new TrainerProtocol.ReleaseWeights(Run, 7);
        yield return new TrainerProtocol.DetachTrainer(Run);
        yield return new TrainerProtocol.TrainerAvailable(Run, 1, null, null);
        yield return new TrainerProtocol.TrainerUnavailable(Run, "restart budget spent", []);
        yield return new JudgeProtocol.JudgeTrajectories(new JudgeSlot(0), Run, request,
            [new JudgeProtocol.JudgeItem(trajectory, new PromptSpec("p-1", "1+1=", "2", "arithmetic", 1, ["sum"], null))], TokenizerSpec.Char);
        yield return new JudgeProtocol.TrajectoriesJudged(Run, request, [new JudgedTrajectory(trajectory, 1, true, "ok")], 0.001);

        // Run gateway (clients outside the cluster)
        yield return new ControlProtocol.Ping();
        yield return new ControlProtocol.Pong("akka.tcp://kimi@127.0.0.1:4053", ["rollout", "run"], true);
        yield return new ControlProtocol.ListRuns();
        yield return new ControlProtocol.RunList([new RunProtocol.RunStatus(Run, RunStatusKind.Paused, RunPhase.Paused, 3, 5, 10, 0.7)], [RunId.Parse("run-2")]);
        yield return new ControlProtocol.RunList([], []);
        yield return new ControlProtocol.GetClusterView();
        yield return new ControlProtocol.ClusterView(
            [new ControlProtocol.NodeView("akka.tcp://kimi@127.0.0.1:4053", "up", true, ["run", "trainer"], new Dictionary<string, int> { ["run"] = 1, ["prompt"] = 20 })],
            null);
        yield return new ControlProtocol.ClusterView([], "entity counts incomplete: prompt: timeout");
        yield return new ControlProtocol.WatchRun(Run);
        yield return new ControlProtocol.UnwatchRun(Run);
        yield return new ControlProtocol.WatchAlive(Run);
        var dropped = new FaultRule("JudgeTrajectories", FaultAction.Drop, Nth: 1, Target: FaultTargets.RewardJudge);
        yield return new ControlProtocol.GetFaults();
        yield return new ControlProtocol.ClusterFaults("akka.tcp://kimi@127.0.0.1:4053", true, [dropped], [dropped],
            [new FaultProtocol.FaultCounts("akka.tcp://kimi@127.0.0.1:4053", true, 1, new Dictionary<string, int> { [dropped.ToString()] = 1 })],
            ["akka.tcp://kimi@127.0.0.1:4054"]);
        yield return new ControlProtocol.ClusterFaults("akka.tcp://kimi@127.0.0.1:4053", false, [], [], [], []);
    }
}
