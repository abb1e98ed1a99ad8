using System.Collections.ObjectModel;
using Akka.Actor;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Objectives;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Training;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;
using static Kimi.Actors.Cluster.Protocol.WeightSyncProtocol;
using static Kimi.Actors.Cluster.Protocol.WorkerProtocol;

namespace Kimi.Actors.Cluster.Tests.Serialization;

/// <summary>
/// At least one filled-in sample of every protocol message type, for the serializer round-trip test. A new
/// IKimiMessage type fails that test until a sample is added here. The samples use the collection shapes producers
/// really create: collection expressions (compiler-synthesized types), List, arrays, dictionaries, nulls.
/// </summary>
internal static class ProtocolSamples
{
    public static IEnumerable<IKimiMessage> All(IActorRef someActor)
    {
        var weights = new WeightsPublished("run-1", 7, "mem://run-1/7", new string('a', 64), 123_456);
        var trajectory = new Trajectory("p-1#3.0", "p-1", 3, 0, [5, 6, 7], [-0.5f, -1.25f, -0.125f], StopReason.Stop,
            [new Segment(0, 2, 6), new Segment(2, 1, 7)]);
        var continued = trajectory with { TrajectoryId = "p-1#3.1", Sample = 1, StopReason = StopReason.Budget, Segments = new List<Segment> { new(0, 3, 7) } };
        var report = new EvaluationReport("greedy", 2, new SliceAccuracy(2, 1),
            new Dictionary<int, SliceAccuracy> { [1] = new(1, 1), [2] = new(1, 0) },
            new Dictionary<string, SliceAccuracy> { ["arithmetic"] = new(2, 1) }, 17.5, TimeSpan.FromMilliseconds(1234));

        // Prompt entity
        yield return new RecordJudgedGroup("run-1", "p-1", 3, 2, [new SampleVerdict(0, true, "p-1#3.0"), new SampleVerdict(1, false, "p-1#3.1")]);
        yield return new RecordJudgedGroup("run-1", "p-1", 3, 2, new List<SampleVerdict> { new(2, true, "p-1#3.2") });
        yield return new RecordJudgedGroup("run-1", "p-1", 3, 2, [new SampleVerdict(3, false, "p-1#3.3")]);
        yield return new RecordJudgedGroup("run-1", "p-1", 3, 2, []);
        yield return new GroupRecorded("run-1", "p-1", 3, 2, 1, 10, 4);
        yield return new GetPromptStats("run-1", "p-1");
        yield return new PromptStats("run-1", "p-1", 2, 10, 4, 3);
        yield return new GroupJudged("run-1", "p-1", 3, 2, [0, 1], [true, false]);
        yield return new PromptSnapshot("run-1", "p-1", 2, 10, 4, 3, new Dictionary<int, int[]> { [2] = [0, 1, 2], [3] = [0] });

        // Weight sync
        yield return weights;
        yield return new WeightsAcknowledged("run-1", 7, 2);
        yield return new WeightsRejected("run-1", 7, 2, "sha-256 mismatch");

        // Worker
        yield return new WorkerReady("worker-1", someActor, 4242);
        yield return new InitPolicy("r-1", "run-1", """{"hidden_size":128}""", 99);
        yield return new LoadPolicy("r-2", weights);
        yield return new PolicyReady("r-2", 7, 1_000_000);
        yield return new GenerateBatch("r-3",
            [
                new RolloutRequest("p-1", [1, 2, 3], 3, 0),
                new RolloutRequest("p-1", [1, 2, 3], 3, 1, [5, 6], [-0.5f, -1f], [new Segment(0, 2, 6)]),
            ],
            new RolloutSettings { Temperature = 0.8, TopP = 0.95, MaxResponseTokens = 96, TokenBudget = 4096, RepeatDetector = new PeriodicRepeatDetector(8, 32) }, 11);
        yield return new GenerateBatch("r-3b", new List<RolloutRequest> { new("p-2", [4], 0, 0) }, new RolloutSettings(), 12);
        yield return new BatchGenerated("r-3", 7, [trajectory, continued], 4, 0.25);
        yield return new EvaluateHeldOut("r-4",
            [
                new PromptSpec("h-1", "1+1=", "2", "arithmetic", 1, ["sum"], null),
                new PromptSpec("h-2", "2+2=", "4", "arithmetic", 2, [], """{"source":"test"}"""),
            ],
            new EvalSettings { Temperature = 0, MaxResponseTokens = 32 },
            new EvalSettings { Temperature = 1.0, SamplesPerPrompt = 4, Seed = 5 }, PrimaryMetric.Sampled);
        yield return new HeldOutEvaluated("r-4", 7, new HeldOutEvaluation(report, report with { Mode = "pass@1" }, PrimaryMetric.Greedy), 1.5);
        yield return new RunWarmupSft("r-5", "run-1", new TaskOptions(), new SftOptions { Steps = 10 }, 13);
        yield return new RunWarmupSft("r-5b", "run-1", new TaskOptions { Families = new List<string> { "sum" }, TrainFile = "train.jsonl" }, new SftOptions(), 14);
        yield return new SftProgress("r-5", new SftStepStats(3, 1.25, 1e-3, 64, 12, 3000, TimeSpan.FromSeconds(2)));
        yield return new SftCompleted("r-5", weights, 42.0);
        yield return new TrainIteration("r-6", "run-1", 3,
            [
                new TrainingGroup("p-1", [1, 2, 3],
                    [new JudgedTrajectory(trajectory, 1, true, "correct"), new JudgedTrajectory(continued, 0, false, "unfinished")],
                    [0.5, -0.5], [0.1, -0.1]),
            ],
            new PolicyOptimizationOptions { Objective = ObjectiveKind.Grpo, Optimizer = OptimizerKind.Sgd, Reduction = LogProbReduction.TokenMean, Epochs = 2 },
            SegmentSelection.CurrentPolicy, 6, 15);
        yield return new IterationTrained("r-6", 3,
            new TrainStepStats(0.5, 0.01, 0.02, 1.5, 0.1, 0.003, 2048, 8, 5e-5, TimeSpan.FromSeconds(3)) { SkippedSteps = 1 }, weights, 3.0);
        yield return new SaveCheckpoint("r-7", "/tmp/checkpoints/7", new Dictionary<string, string> { ["version"] = "7", ["run"] = "run-1" });
        yield return new SaveCheckpoint("r-7b", "/tmp/checkpoints/8", new ReadOnlyDictionary<string, string>(new Dictionary<string, string> { ["version"] = "8" }));
        yield return new CheckpointSaved("r-7", "/tmp/checkpoints/7");
        yield return new WorkRejected("r-8", "no policy loaded");

        // Run entity
        var metrics = new IterationMetrics
        {
            Iteration = 3, WeightVersion = 5, Prompts = 2, Samples = 16, RewardMean = 0.5, Accuracy = 0.5, HeldOutAccuracy = 0.7,
            HeldOutAccuracyByDifficulty = new Dictionary<int, double> { [1] = 0.8, [2] = 0.6 },
        };
        var evaluation = new HeldOutEvaluation(report, report with { Mode = "pass@1" }, PrimaryMetric.Sampled);
        yield return new RunProtocol.StartRun("run-1", "kimi.run { seed = 1 }");
        yield return new RunProtocol.ContinueRun("run-1", 5);
        yield return new RunProtocol.ContinueRun("run-1", null);
        yield return new RunProtocol.SubscribeRun("run-1", someActor);
        yield return new RunProtocol.GetRunStatus("run-1");
        yield return new RunProtocol.PauseRun("run-1");
        yield return new RunProtocol.ResumeRun("run-1");
        yield return new RunProtocol.StopRun("run-1");
        yield return new RunProtocol.SetHyperparameter("run-1", "kimi.optimization.learning-rate", "1e-5");
        yield return new RunProtocol.RunAccepted("run-1", 3, 10);
        yield return new RunProtocol.RunRejected("run-1", "no such run");
        yield return new RunProtocol.RunStatus("run-1", "rolling-out", 3, 5, 10, 0.7);
        yield return new RunProtocol.RunStatus("run-1", "new", 0, 0, 0, null);
        yield return new RunProtocol.HyperparameterAccepted("run-1", "kimi.rollout.temperature", "0.8");
        yield return new RunProtocol.SftStepReported("run-1", new SftStepStats(3, 1.25, 1e-3, 64, 12, 3000, TimeSpan.FromSeconds(2)));
        yield return new RunProtocol.EvaluationReported("run-1", "sft", 0, evaluation);
        yield return new RunProtocol.IterationReported("run-1", metrics, 0.02);
        yield return new RunProtocol.RunFinished("run-1", 0, 10, 11, evaluation, evaluation, "/data/checkpoints/run-1/v000011", 0.02, 738816, "cpu", 120);
        yield return new RunProtocol.RunFinished("run-1", 5, 10, 11, null, evaluation, "/data/checkpoints/run-1/v000011", 0.02, 738816, "cpu", 0);
        yield return new RunProtocol.RunFailed("run-1", "trainer unavailable");
        yield return new RunProtocol.CheckpointReported("run-1", "sft", 1, "/data/checkpoints/run-1/v000001");
        yield return new RunProtocol.RunStarted("run-1", "kimi.run { seed = 1 }", 10, new DateTime(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc));
        yield return new RunProtocol.TargetExtended("run-1", 15);
        yield return new RunProtocol.SftFinished("run-1", 1, "/data/checkpoints/run-1/v000001", 120.5);
        yield return new RunProtocol.HeldOutRecorded("run-1", "final", 10, evaluation);
        yield return new RunProtocol.IterationCommitted("run-1", 3, 5, "/data/checkpoints/run-1/v000005", metrics, 0.015,
            new ReplaySnapshot([new OpenGroup("p-1", 3, 2, [1, 2, 3], [new JudgedTrajectory(trajectory, 1, true, "correct")], [continued])]));
        yield return new RunProtocol.HyperparameterChanged("run-1", "kimi.optimization.tau", "2");
        yield return new RunProtocol.RunPaused("run-1");
        yield return new RunProtocol.RunUnpaused("run-1");
        yield return new RunProtocol.RunCompleted("run-1", 10);

        // Device pool and supervised workers
        yield return new Kimi.Actors.Cluster.Workers.DevicePool.Acquire("w-1");
        yield return new Kimi.Actors.Cluster.Workers.DevicePool.DeviceGranted("w-1", "cuda:0", 1);
        yield return new Kimi.Actors.Cluster.Workers.DevicePool.Release("w-1");
        yield return Kimi.Actors.Cluster.Workers.DevicePool.GetPoolState.Instance;
        yield return new Kimi.Actors.Cluster.Workers.DevicePool.PoolState([new Kimi.Actors.Cluster.Workers.DevicePool.DeviceLease("cpu", 0, "w-1", someActor)], 3, ["w-2"]);
        yield return Kimi.Actors.Cluster.Workers.SupervisedWorker.GetWorkerStats.Instance;
        yield return Kimi.Actors.Cluster.Workers.SupervisedWorker.RestorePolicy.From(weights);
        yield return Kimi.Actors.Cluster.Workers.SupervisedWorker.RestorePolicy.From(new InitPolicy("r-12", "run-1", "{}", 1));
        yield return new Kimi.Actors.Cluster.Workers.SupervisedWorker.WorkerAvailable("w-1", 2, 4242, "cpu", 7, "exit code 137");
        yield return new Kimi.Actors.Cluster.Workers.SupervisedWorker.WorkerUnavailable("w-1", "restart budget spent", ["r-3", "r-4"]);
        yield return new Kimi.Actors.Cluster.Workers.SupervisedWorker.WorkerStats("w-1", "ready", 2, 1, 3, 0, 1, 4242, "cpu", 7);

        // Generator, trainer and judge entities
        yield return new GeneratorProtocol.AttachGenerator("run-1", 0);
        yield return new GeneratorProtocol.ToGenerator("run-1", 0, new LoadPolicy("r-9", weights));
        yield return new GeneratorProtocol.DetachGenerator("run-1", 0);
        yield return new GeneratorProtocol.GeneratorAvailable("run-1", 0, 2, 7, "the worker process exited with code 137");
        yield return new GeneratorProtocol.GeneratorAvailable("run-1", 1, 1, null, null);
        yield return new GeneratorProtocol.GeneratorUnavailable("run-1", 0, "restart budget spent", ["r-3"]);
        yield return new TrainerProtocol.AttachTrainer("run-1");
        yield return new TrainerProtocol.ToTrainer("run-1", new InitPolicy("r-10", "run-1", "{}", 1));
        yield return new TrainerProtocol.DetachTrainer("run-1");
        yield return new TrainerProtocol.TrainerAvailable("run-1", 1, null, null);
        yield return new TrainerProtocol.TrainerUnavailable("run-1", "restart budget spent", []);
        yield return new JudgeProtocol.JudgeTrajectories(0, "run-1", "r-11",
            [new JudgeProtocol.JudgeItem(trajectory, new PromptSpec("p-1", "1+1=", "2", "arithmetic", 1, ["sum"], null))]);
        yield return new JudgeProtocol.TrajectoriesJudged("run-1", "r-11", [new JudgedTrajectory(trajectory, 1, true, "ok")], 0.001);
    }
}
