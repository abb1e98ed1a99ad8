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
            new RolloutSettings { Temperature = 0.8, TopP = 0.95, MaxResponseTokens = 96, TokenBudget = 4096 }, 11);
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
    }
}
