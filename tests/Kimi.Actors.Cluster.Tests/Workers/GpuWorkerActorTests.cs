using Akka.Actor;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Training;
using static Kimi.Actors.Cluster.Protocol.WorkerProtocol;

namespace Kimi.Actors.Cluster.Tests.Workers;

public sealed class GpuWorkerActorTests : Akka.TestKit.Xunit2.TestKit
{
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _checkpoints.Dispose();
    }

    private readonly InMemoryWeightStore _store = new();
    private readonly RunId _run = TinyWorkload.NewRunId();
    private readonly TempFolder _checkpoints = new();

    public GpuWorkerActorTests() : base(TestAkka.Config) => GpuWorkerActor.EnsureComputeDispatcher(Sys);

    private IActorRef StartWorker(FaultPlan? faults = null)
    {
        var worker = Sys.ActorOf(GpuWorkerActor.Props(new GpuWorkerOptions("w", "cpu"), _store, new CheckpointStore(_checkpoints.Path, 2), faults,
            readyTo: TestActor));
        var ready = ExpectMsg<WorkerReady>();
        Assert.Equal(("w#1", Environment.ProcessId), (ready.WorkerId, ready.ProcessId));
        return worker;
    }

    [Fact]
    public void Generates_after_init_and_rejects_bad_requests_without_crashing()
    {
        var worker = StartWorker();
        worker.Tell(TinyWorkload.Batch("early", 0, 2));
        Assert.Contains("no policy loaded", ExpectMsg<WorkRejected>().Reason);

        worker.Tell(TinyWorkload.Init("init", _run));
        var ready = ExpectMsg<PolicyReady>();
        Assert.Equal((Req.Of("init"), 0L, "cpu"), (ready.RequestId, ready.Version, ready.Device));
        Assert.True(ready.Parameters > 10_000);

        worker.Tell(TinyWorkload.Batch("b1", iteration: 0, prompts: 3, maxResponseTokens: 6));
        var batch = ExpectMsg<BatchGenerated>();
        Assert.Equal(["p0#0.0", "p1#0.1", "p2#0.2"], batch.Trajectories.Select(t => t.Id.ToString()));
        Assert.All(batch.Trajectories, t => Assert.InRange(t.Length, 1, 6));
        Assert.Equal(batch.Trajectories.Sum(t => t.Length), batch.NewTokens);
        Assert.True(batch.Seconds > 0);

        var bad = TinyWorkload.Batch("b2", 0, 1) is var b ? b with { Requests = [b.Requests[0] with { PromptTokens = [1, 9999] }] } : null!;
        worker.Tell(bad);
        Assert.Contains("token id 9999 is outside the vocabulary", ExpectMsg<WorkRejected>().Reason);
        worker.Tell(TinyWorkload.Batch("b3", 0, 1, maxResponseTokens: 500));
        Assert.Contains("exceed max_position_embeddings", ExpectMsg<WorkRejected>().Reason);

        worker.Tell(TinyWorkload.Batch("b4", 0, 1));
        Assert.Equal(Req.Of("b4"), ExpectMsg<BatchGenerated>().RequestId); // still alive and loaded
    }

    [Fact]
    public void Image_requests_are_generated_from_their_references_and_a_bad_reference_is_rejected_by_name()
    {
        var worker = StartWorker();
        var vision = TinyWorkload.Config with
        {
            VocabSize = CharTokenizer.Instance.VocabSize + 1,
            Vision = new Kimi.Actors.Model.Vision.VisionConfig
            {
                ImageSize = 32, PatchSize = 8, HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2,
                ImageTokenId = CharTokenizer.Instance.VocabSize,
            },
        };
        worker.Tell(new InitPolicy(Req.Of("init-v"), _run, vision.ToJson(), 1, null));
        ExpectMsg<PolicyReady>();
        var shapes = new Kimi.Actors.Tasks.ShapeCountTask().Generate(new Random(1), 1, "s");
        var tokens = PromptTokens.Encode(CharTokenizer.Instance, shapes, vision.Vision!.Layout);
        var request = new RolloutRequest(new TrajectoryId(new PromptId("s"), 0, 0), tokens, Images: shapes.Images);
        var settings = new RolloutSettings { MaxResponseTokens = 6 };

        worker.Tell(new GenerateBatch(Req.Of("img"), [request], settings, 1));
        Assert.InRange(ExpectMsg<BatchGenerated>().Trajectories.Single().Length, 1, 6);

        // A reference whose bytes no longer match its hash, and placeholders without their image.
        var forged = request with { Images = [shapes.Images[0] with { Sha256 = new string('0', 64) }] };
        worker.Tell(new GenerateBatch(Req.Of("forged"), [forged], settings, 1));
        var reason = ExpectMsg<WorkRejected>().Reason;
        Assert.Contains("request 0 (s#0.0): image render:shapes:", reason);
        Assert.Contains("differs from 0000", reason);
        worker.Tell(new GenerateBatch(Req.Of("bare"), [request with { Images = null }], settings, 1));
        Assert.Contains("16 image placeholder tokens (id 99) for 0 image(s)", ExpectMsg<WorkRejected>().Reason);
    }

    [Fact]
    public void Trains_publishes_the_next_version_and_loads_published_weights()
    {
        var worker = StartWorker();
        worker.Tell(TinyWorkload.Init("init", _run));
        ExpectMsg<PolicyReady>();
        worker.Tell(TinyWorkload.Batch("g", 0, 2));
        var generated = ExpectMsg<BatchGenerated>();
        var groups = generated.Trajectories.Select(t => new TrainingGroup(t.Id.Group, [1, 20, 21],
            [new JudgedTrajectory(t, 1, true, "ok"), new JudgedTrajectory(t with { Id = t.Id with { Sample = t.Sample + 10 } }, 0, false, "no")],
            [0.5, -0.5], [0, 0])).ToList();
        var options = new PolicyOptimizationOptions { Epochs = 1, LearningRate = 1e-3 };

        worker.Tell(new TrainIteration(Req.Of("t-wrong"), _run, 0, groups, options, CurrentVersion: 7, Seed: 1, LearningRate: 1e-3));
        Assert.Contains("expects version 7", ExpectMsg<WorkRejected>().Reason);

        worker.Tell(new TrainIteration(Req.Of("t0"), _run, 0, groups, options, CurrentVersion: 0, Seed: 1, LearningRate: 4e-4));
        var trained = ExpectMsg<IterationTrained>(TimeSpan.FromSeconds(10));
        Assert.Equal(4e-4, trained.Stats.LearningRate);   // the iteration's scheduled rate, not the options' base rate
        Assert.Equal((1L, _run), (trained.Weights.Version, trained.Weights.Run));
        Assert.Equal(1, _store.LatestVersion(_run));
        Assert.True(double.IsFinite(trained.Stats.Loss));
        // The trainer reports what it consumed, trajectory by trajectory, group by group.
        Assert.Equal(groups.Select(g => (g.Group, string.Join(",", g.Samples.Select(s => s.Trajectory.Id)))),
            trained.Consumed.Select(c => (c.Group, string.Join(",", c.Trajectories))));

        // A second worker loads version 1 and holds exactly those weights.
        var other = StartWorker();
        other.Tell(new LoadPolicy(Req.Of("load"), trained.Weights));
        Assert.Equal(1, ExpectMsg<PolicyReady>().Version);
        other.Tell(new LoadPolicy(Req.Of("forged"), trained.Weights with { Sha256 = new string('0', 64) }));
        Assert.Contains("SHA-256 mismatch", ExpectMsg<WorkRejected>().Reason);
        other.Tell(TinyWorkload.Batch("after", 1, 1));
        Assert.Equal(1, ExpectMsg<BatchGenerated>().PolicyVersion); // the rejected load kept version 1
    }

    [Fact]
    public void Warmup_sft_reports_progress_then_publishes_checkpoints_and_restores_only_an_intact_checkpoint()
    {
        var worker = StartWorker();
        worker.Tell(TinyWorkload.Init("init", _run));
        ExpectMsg<PolicyReady>();
        var tasks = new TaskOptions { Families = new[] { "sum" }, TrainPerLevel = 20, HeldOutPerLevel = 2 };
        var sft = new SftOptions { Steps = 2, SequencesPerStep = 4, PackLength = 128, WarmupSteps = 1 };
        worker.Tell(new RunWarmupSft(Req.Of("sft"), _run, tasks, sft, Seed: 3, TokenizerSpec.Char));
        Assert.Equal([0, 1], new[] { ExpectMsg<SftProgress>(), ExpectMsg<SftProgress>() }.Select(p => p.Step.Step));
        var done = ExpectMsg<SftCompleted>(TimeSpan.FromSeconds(10));
        Assert.Equal(1, done.Weights.Version);

        worker.Tell(new SaveCheckpoint(Req.Of("save-0"), _run, 0));
        Assert.Contains("cannot checkpoint version 0", ExpectMsg<WorkRejected>().Reason);
        worker.Tell(new SaveCheckpoint(Req.Of("save"), _run, 1));
        var saved = ExpectMsg<CheckpointSaved>().Checkpoint;
        Assert.Equal(Path.Combine(_checkpoints.Path, _run.Value, "v000001"), saved.Directory);
        var file = Path.Combine(saved.Directory, PolicyCheckpoint.WeightsFile);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file))), saved.Sha256);
        Assert.Equal(done.Weights.Sha256, saved.Sha256); // the published bytes, as they were
        var meta = SafeTensors.ReadHeader(file).Metadata;
        Assert.Equal(("1", _run.Value), (meta[PolicyWeights.VersionKey], meta[PolicyWeights.RunIdKey]));

        // A fresh worker restores it (and publishes it again as version 1); a damaged copy is answered unusable, naming the file.
        var restorer = StartWorker();
        _store.Prune(_run, long.MaxValue);
        restorer.Tell(new RestoreCheckpoint(Req.Of("restore"), _run, 1, saved));
        var restored = ExpectMsg<PolicyRestored>(TimeSpan.FromSeconds(10));
        Assert.Equal((1L, saved.Sha256), (restored.Weights.Version, restored.Weights.Sha256));
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0xff;
        File.WriteAllBytes(file, bytes);
        var other = StartWorker();
        other.Tell(new RestoreCheckpoint(Req.Of("restore-damaged"), _run, 1, saved));
        // Answered as unusable (not rejected work), so the Run can fall back to an older checkpoint.
        var unusable = ExpectMsg<CheckpointUnusable>();
        Assert.Equal(Req.Of("restore-damaged"), unusable.RequestId);
        Assert.Contains(file, unusable.Problem);
        Assert.Contains("SHA-256", unusable.Problem);
    }

    [Fact]
    public void An_injected_throw_reaches_supervision()
    {
        var worker = StartWorker(new FaultPlan(new FaultRule("GenerateBatch", FaultAction.Throw, Nth: 1)));
        Watch(worker);
        worker.Tell(TinyWorkload.Init("init", _run));
        ExpectMsg<PolicyReady>();
        EventFilter.Exception<InjectedFaultException>().ExpectOne(() => worker.Tell(TinyWorkload.Batch("b", 0, 1)));
        // The user guardian restarts it in place (SupervisedWorker stops and replaces it instead): it reports ready
        // again, without a policy, and the failed request is never answered.
        Assert.Equal("w#1", ExpectMsg<WorkerReady>().WorkerId);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }
}
