using Kimi.Actors.Model.Scoring;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Model.Vision;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Tests.Runs;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Rl.Vision;
using Kimi.Actors.Tasks;
using Kimi.Actors.Tasks.Images;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Tests.Vision;

/// <summary>Image prompts through the Rl operations: their tokens, packing, rollouts, training groups, evaluation.</summary>
public sealed class ImagePromptTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.Instance;
    private static readonly ImageLayout Layout = TinyPolicy.VisionConfig.Vision!.Layout;

    private static PromptRecord Shapes(int seed, string id = "s") => new ShapeCountTask().Generate(new Random(seed), 1 + seed % 3, id);

    [Fact]
    public void An_image_prompt_is_bos_then_one_placeholder_per_patch_then_its_text()
    {
        var prompt = Shapes(1);

        var tokens = PromptTokens.Encode(Tok, prompt, Layout);

        Assert.Equal([Tok.BosId, .. Enumerable.Repeat(Tok.VocabSize, 16), .. Tok.Encode(prompt.Prompt)], tokens);
        var text = new PromptRecord("t", "3+4=", "7", "arithmetic", 1, []);
        Assert.Equal(PromptTokens.Encode(Tok, "3+4="), PromptTokens.Encode(Tok, text, Layout));
        var e = Assert.Throws<ArgumentException>(() => PromptTokens.Encode(Tok, prompt, null));
        Assert.Contains("has 1 image(s) but the policy has no vision encoder", e.Message);
    }

    [Fact]
    public void A_run_of_image_prompts_needs_a_vision_encoder()
    {
        var suite = TaskSuite.Of([Shapes(1)], [], [Shapes(2, "h")], []);
        var e = Assert.Throws<ArgumentException>(() => new RunContext(MachineHarness.Run, suite, Tok, new Kimi.Actors.Rl.Sampling.SamplerOptions()));
        Assert.Contains("set kimi.model.vision.enabled = on", e.Message);
    }

    [Fact]
    public void Packed_image_demonstrations_keep_each_image_with_its_document()
    {
        using var policy = TinyPolicy.CreateWithVision(seed: 3);
        var family = new ShapeCountTask();
        // Different lengths, so first-fit-decreasing packs them in another order than given.
        var prompts = Enumerable.Range(0, 5).Select(i => Shapes(i, $"s{i}")).ToList();
        var docs = prompts.Select((p, i) => (PromptTokens.Encode(Tok, p, Layout), PromptTokens.EncodeResponse(Tok, family.Demonstrate(p, new Random(i), false)))).ToList();
        var images = prompts.Select(p => PromptImageCache.Shared.Pixels(p.Images, 32)).ToList();
        var batch = PackedBatch.Pack(docs, rowLength: 80, padId: Tok.PadId, images);
        Assert.True(batch.Rows < docs.Count, "documents share rows");

        using var noGrad = no_grad();
        double packed = batch.Loss(policy).item<float>();
        // The same documents scored one by one with their own images: the mean over all response tokens.
        double sum = 0, tokens = 0;
        for (int i = 0; i < docs.Count; i++)
        {
            using var scored = SequenceScorer.Score(policy, [docs[i]], [images[i]]);
            sum -= scored.SequenceLogProbs().item<float>();
            tokens += docs[i].Item2.Length;
        }
        Assert.Equal(sum / tokens, packed, 4);
        // Were the images handed out in the order given rather than packed, the loss would differ.
        var shuffled = PackedBatch.Pack(docs, 80, Tok.PadId, [.. images.Skip(1), images[0]]);
        Assert.NotEqual(packed, shuffled.Loss(policy).item<float>(), 4);
    }

    [Fact]
    public void Rollout_requests_and_training_groups_carry_their_prompts_image_references_resumed_ones_too()
    {
        var train = Enumerable.Range(0, 6).Select(i => Shapes(i, $"p{i}")).ToList();
        // Every fresh response is cut by the budget and finishes when resumed the next iteration.
        var harness = new MachineHarness(MachineHarness.Options(iterations: 2, budget: 4), train: train, images: Layout, generators: 1);
        harness.Decode = r => r.PriorTokens is null ? (3, Model.Generation.StopReason.Budget) : (3, Model.Generation.StopReason.Stop);

        harness.DriveToEnd();

        var generated = harness.Issued.OfType<Generate>().SelectMany(g => g.Requests).ToList();
        Assert.Contains(generated, r => r.PriorTokens is not null);
        foreach (var r in generated)
        {
            var prompt = train.Single(p => p.Id == r.PromptId.Value);
            Assert.Equal(prompt.Images, r.Images);
            Assert.Equal(PromptTokens.Encode(Tok, prompt, Layout), r.PromptTokens);
        }
        var groups = harness.Issued.OfType<TrainGroups>().SelectMany(t => t.Groups).ToList();
        Assert.NotEmpty(groups);
        Assert.All(groups, g => Assert.Equal(train.Single(p => p.Id == g.PromptId.Value).Images, g.Images));
    }

    [Fact]
    public void Rollouts_training_and_evaluation_run_on_image_prompts()
    {
        using var policy = TinyPolicy.CreateWithVision(seed: 5);
        var prompts = Enumerable.Range(0, 4).Select(i => Shapes(i, $"p{i}")).ToList();
        var requests = prompts.SelectMany(p => Enumerable.Range(0, 2).Select(k =>
            new RolloutRequest(new Identity.TrajectoryId(new Identity.PromptId(p.Id), 0, k), PromptTokens.Encode(Tok, p, Layout), Images: p.Images))).ToList();
        var (trajectories, _) = RolloutWorker.Generate(policy, requests, new RolloutSettings { MaxResponseTokens = 8 }, 0, seed: 1);

        var groups = prompts.Select((p, g) => new TrainingGroup(new Identity.GroupKey(new Identity.PromptId(p.Id), 0), requests[2 * g].PromptTokens,
            [.. trajectories.Skip(2 * g).Take(2).Select((t, j) => new JudgedTrajectory(t, j, j == 1, "test"))], [0, 1], [0, 0]) { Images = p.Images }).ToList();
        using var trainer = new PolicyTrainer(policy, new PolicyOptimizationOptions { LearningRate = 1e-3 });
        var stats = trainer.Train(groups, new Random(1));
        // The trainer's recomputed reference equals what the generator logged (same images, same weights).
        Assert.InRange(stats.RolloutMismatch, 0, 1e-4);
        Assert.True(double.IsFinite(stats.Loss) && stats.GradNorm > 0);

        var report = Evaluator.Evaluate(policy, [.. prompts, new PromptRecord("t", "1+1=", "2", "arithmetic", 1, [])], Tok, 8);
        Assert.Equal((4, 1), (report.ByModality[EvaluationReport.Image].Count, report.ByModality[EvaluationReport.Text].Count));
    }

    [Fact]
    public void The_image_cache_decodes_an_image_once_and_refuses_a_changed_one()
    {
        var dir = Directory.CreateTempSubdirectory("kimi-cache-").FullName;
        try
        {
            var file = Path.Combine(dir, "a.png");
            File.WriteAllBytes(file, ImageRenderers.Render("shapes", "1:0cr7"));
            var image = PromptImage.OfFile(file, File.ReadAllBytes(file));
            var cache = new PromptImageCache(capacity: 4);

            var first = cache.Pixels(image, 32);
            File.WriteAllBytes(file, ImageRenderers.Render("shapes", "1:0cb7"));

            Assert.Same(first, cache.Pixels(image, 32));   // cached: not read again
            Assert.Equal(32, first.Size);
            var e = Assert.Throws<PromptImageException>(() => new PromptImageCache().Pixels(image, 32));
            Assert.Contains("differs from", e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
