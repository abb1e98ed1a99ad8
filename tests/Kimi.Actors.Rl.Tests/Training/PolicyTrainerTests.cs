using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Scoring;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Rl.Objectives;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Tests.Training;

public class PolicyTrainerTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.Instance;
    private static readonly int[] Prompt = [Tok.BosId, .. Tok.Encode("3+4=")];

    private static TrainingGroup Group(params (string Response, double Reward, float[]? RolloutLogProbs)[] samples)
    {
        var judged = samples.Select((s, j) =>
        {
            var tokens = Tok.Encode(s.Response).Append(Tok.EosId).ToArray();
            var t = new Trajectory(new TrajectoryId(new PromptId("p"), 0, j), tokens, s.RolloutLogProbs ?? new float[tokens.Length], StopReason.Stop,
                [new Segment(0, tokens.Length, 0)]);
            return new JudgedTrajectory(t, s.Reward, s.Reward > 0, "test");
        }).ToList();
        var rewards = samples.Select(s => s.Reward).ToArray();
        return new TrainingGroup(new GroupKey(new PromptId("p"), 0), Prompt, judged, rewards, new double[samples.Length]);
    }

    private static float SeqLogProb(Kimi.Actors.Model.Llama.LlamaForCausalLM m, string response)
    {
        using var _ = no_grad();
        using var s = SequenceScorer.Score(m, [(Prompt, Tok.Encode(response).Append(Tok.EosId).ToArray())]);
        return s.SequenceLogProbs()[0].item<float>();
    }

    [Fact]
    public void Reference_is_recomputed_by_the_trainer_not_taken_from_the_rollout()
    {
        using var policy = TinyPolicy.Create(seed: 2);
        // Rollout log-probs that are plainly wrong (all zero): the first loss must still be the loss at log-ratio 0.
        var group = Group(("3,7#7", 1, null), ("3,8#8", 0, null), ("3,9#9", 0, null), ("3,7#7", 1, null));
        using var trainer = new PolicyTrainer(policy, new PolicyOptimizationOptions { LearningRate = 0, Epochs = 1 });
        var stats = trainer.Train([group], new Random(1));
        double mean = group.ShapedRewards.Average();
        double expected = group.ShapedRewards.Average(r => (r - mean) * (r - mean));
        Assert.Equal(expected, stats.Loss, 5);
        Assert.Equal(0, stats.MeanAbsLogRatio, 5);
        Assert.True(stats.RolloutMismatch > 0.5, $"mismatch {stats.RolloutMismatch} should expose the bogus rollout log-probs");
    }

    [Fact]
    public void Training_moves_probability_towards_the_rewarded_response()
    {
        using var policy = TinyPolicy.Create(seed: 3);
        float good0 = SeqLogProb(policy, "3,7#7"), bad0 = SeqLogProb(policy, "3,8#8");
        var group = Group(("3,7#7", 1, null), ("3,8#8", 0, null));
        using var trainer = new PolicyTrainer(policy, new PolicyOptimizationOptions { LearningRate = 1e-3, Epochs = 4 });
        var stats = trainer.Train([group], new Random(1));
        float good1 = SeqLogProb(policy, "3,7#7"), bad1 = SeqLogProb(policy, "3,8#8");
        Assert.True(good1 - good0 > 0.1, $"rewarded response: {good0} -> {good1}");
        Assert.True(bad1 - bad0 < -0.1, $"unrewarded response: {bad0} -> {bad1}");
        Assert.Equal(4, stats.OptimizerSteps);
        Assert.Equal(0, stats.SkippedSteps);
    }

    [Fact]
    public void Current_policy_selection_trains_only_the_latest_segment()
    {
        using var policy = TinyPolicy.Create(seed: 4);
        var tokens = Tok.Encode("3,7#7").Append(Tok.EosId).ToArray(); // 6 tokens: 4 from version 0, 2 from version 1
        JudgedTrajectory Sample(int j, double r) => new(new Trajectory(new TrajectoryId(new PromptId("p"), 1, j), tokens, new float[6], StopReason.Stop,
            [new Segment(0, 4, 0), new Segment(4, 2, 1)]), r, r > 0, "test");
        var group = new TrainingGroup(new GroupKey(new PromptId("p"), 1), Prompt, [Sample(0, 1), Sample(1, 0)], [1, 0], [0, 0]);
        using var all = new PolicyTrainer(policy, new PolicyOptimizationOptions { LearningRate = 0, Epochs = 1 });
        Assert.Equal(12, all.Train([group], new Random(1), currentVersion: 1, SegmentSelection.All).TrainedTokens);
        Assert.Equal(4, all.Train([group], new Random(1), currentVersion: 1, SegmentSelection.CurrentPolicy).TrainedTokens);
    }

    private static TrainingGroup GroupOf(string prompt, int group, params (string Response, double Reward)[] samples)
    {
        int[] promptTokens = [Tok.BosId, .. Tok.Encode(prompt)];
        var key = new GroupKey(new PromptId($"p{group}"), 0);
        var judged = samples.Select((s, j) =>
        {
            var tokens = Tok.Encode(s.Response).Append(Tok.EosId).ToArray();
            return new JudgedTrajectory(new Trajectory(key.Sample(j), tokens, new float[tokens.Length], StopReason.Stop, [new Segment(0, tokens.Length, 0)]),
                s.Reward, s.Reward > 0, "test");
        }).ToList();
        return new TrainingGroup(key, promptTokens, judged, samples.Select(s => s.Reward).ToArray(), new double[samples.Length]);
    }

    /// <summary>Four groups of two, of different lengths, rewards that differ within each group.</summary>
    private static readonly TrainingGroup[] FourGroups =
    [
        GroupOf("3+4=", 0, ("3,7#7", 1), ("3,8#8", 0)),
        GroupOf("2+2+5=", 1, ("2,4,9#9", 0), ("2,4,9,9#9", 1)),
        GroupOf("4 7 2>15:", 2, ("4*2=8,8+7=15 ok#4*2+7", 1), ("4+7=11 no#11", 0)),
        GroupOf("1+1=", 3, ("1,2#2", 1), ("1,3#3", 0)),
    ];

    private static float SeqLogProb(Kimi.Actors.Model.Llama.LlamaForCausalLM m, TrainingGroup g, int j)
    {
        using var _ = no_grad();
        using var s = SequenceScorer.Score(m, [(g.PromptTokens, g.Samples[j].Trajectory.ResponseTokens)]);
        return s.SequenceLogProbs()[0].item<float>();
    }

    [Fact]
    public void The_reference_stays_the_policy_of_the_iterations_start_across_every_optimizer_step()
    {
        using var policy = TinyPolicy.Create(seed: 6);
        var samples = FourGroups.SelectMany(g => Enumerable.Range(0, g.K).Select(j => (g, j))).ToList();
        var before = samples.Select(s => SeqLogProb(policy, s.g, s.j)).ToArray();   // π_i, computed here before any step

        // Learning rate > 0, three epochs of two mini-batches of one group per micro-batch: six optimizer steps.
        using var trainer = new PolicyTrainer(policy, new PolicyOptimizationOptions
        {
            LearningRate = 3e-3, Epochs = 3, MiniBatches = 2, MicroBatchSamples = 2, GradClip = 0,
        });
        var batches = new List<PolicyTrainer.LossBatch>();
        trainer.OnLossBatch = batches.Add;
        var stats = trainer.Train(FourGroups, new Random(1));

        Assert.Equal(6, stats.OptimizerSteps);
        Assert.Equal(3 * 4, batches.Count);
        Assert.Equal(Enumerable.Range(0, 6), batches.Select(b => b.Step).Distinct());
        foreach (var b in batches)
            for (int i = 0; i < b.Samples.Length; i++)
                Assert.True(Math.Abs(b.Reference[i] - before[b.Samples[i]]) < 1e-4,
                    $"step {b.Step} sample {b.Samples[i]}: reference {b.Reference[i]} != pre-step log-prob {before[b.Samples[i]]}");
        // The policy did move away from the reference, so the check above could have failed: after the first step the
        // loss sees policy log-probs that differ from the reference's.
        var later = batches.Where(b => b.Step > 0).SelectMany(b => b.Policy.Zip(b.Reference, (p, r) => Math.Abs(p - r))).ToList();
        Assert.True(later.Max() > 0.05, $"largest log-ratio after the first step {later.Max()}");
        Assert.True(batches.Where(b => b.Step == 0 && b.Epoch == 0).SelectMany(b => b.Policy.Zip(b.Reference, (p, r) => Math.Abs(p - r))).Max() < 1e-4);
    }

    [Fact]
    public void Several_micro_batches_accumulate_to_the_gradient_of_one_big_batch()
    {
        // Plain SGD without clipping: the update is the learning rate times the gradient, so equal weights after one
        // step mean equal gradients.
        var options = new PolicyOptimizationOptions { Optimizer = OptimizerKind.Sgd, LearningRate = 0.5, Epochs = 1, MiniBatches = 1, GradClip = 0 };
        using var small = TinyPolicy.Create(seed: 7);
        using var big = TinyPolicy.Create(seed: 7);
        using var initial = TinyPolicy.Create(seed: 7);
        int microBatches = 0;
        using (var t = new PolicyTrainer(small, options with { MicroBatchSamples = 2 }))
        {
            t.OnLossBatch = _ => microBatches++;
            t.Train(FourGroups, new Random(1));
        }
        int bigBatches = 0;
        using (var t = new PolicyTrainer(big, options with { MicroBatchSamples = 64 }))
        {
            t.OnLossBatch = _ => bigBatches++;
            t.Train(FourGroups, new Random(1));
        }
        Assert.Equal((4, 1), (microBatches, bigBatches));
        var moved = 0.0;
        foreach (var ((name, a), (_, b), (_, p0)) in small.named_parameters().Zip(big.named_parameters(), initial.named_parameters()))
        {
            double diff = (a - b).abs().max().item<float>(), step = (b - p0).abs().max().item<float>();
            Assert.True(diff <= 1e-6 + 1e-4 * step, $"{name}: micro-batched and whole-batch weights differ by {diff} (update {step})");
            moved = Math.Max(moved, step);
        }
        Assert.True(moved > 1e-3, $"the step moved the weights by at most {moved}");
    }

    [Fact]
    public void The_optimizer_reset_each_iteration_starts_adam_afresh_and_keeping_it_does_not()
    {
        // Two iterations on the same groups. With a reset, the second iteration's first step is a fresh Adam's: from the
        // same weights, a brand-new trainer takes exactly the same step. Kept moments make it differ.
        var options = new PolicyOptimizationOptions { LearningRate = 1e-3, Epochs = 1, GradClip = 0 };
        float[] After(bool reset)
        {
            using var policy = TinyPolicy.Create(seed: 8);
            using var trainer = new PolicyTrainer(policy, options with { ResetOptimizerEachIteration = reset });
            trainer.Train(FourGroups, new Random(1));
            using var fresh = TinyPolicy.Create(seed: 8);
            fresh.load_state_dict(policy.state_dict());
            trainer.Train(FourGroups, new Random(1));
            using (var other = new PolicyTrainer(fresh, options)) other.Train(FourGroups, new Random(1));
            return policy.parameters().Zip(fresh.parameters(), (a, b) => (a - b).abs().max().item<float>()).ToArray();
        }
        Assert.All(After(reset: true), d => Assert.True(d < 1e-7, $"reset: differs from a fresh optimizer by {d}"));
        Assert.True(After(reset: false).Max() > 1e-5, "kept moments should change the second iteration's step");
    }

    [Fact]
    public void Invalid_options_are_refused()
    {
        using var policy = TinyPolicy.Create();
        Assert.Throws<ArgumentException>(() => new PolicyTrainer(policy, new PolicyOptimizationOptions { Epochs = 0 }));
        Assert.Throws<ArgumentException>(() => new PolicyTrainer(policy, new PolicyOptimizationOptions { LearningRate = -1 }));
    }

    [Fact]
    public void Micro_batches_by_tokens_and_a_chunked_reference_pass_give_the_step_of_one_pass()
    {
        // Groups of different lengths; one pass over everything against a micro-batch (and reference chunk) per group.
        TrainingGroup G(int id, string a, string b) => Group((a, 1, null), (b, 0, null)) with { Group = new GroupKey(new PromptId($"p{id}"), 0) };
        var groups = new[] { G(0, "7", "8"), G(1, "3,7#7", "3,9#1"), G(2, "12,13,14#14", "1") };
        Dictionary<string, Tensor> After(PolicyOptimizationOptions options)
        {
            using var policy = TinyPolicy.Create(seed: 4);
            using var trainer = new PolicyTrainer(policy, options with { Optimizer = OptimizerKind.Sgd, LearningRate = 0.05, Epochs = 1 });
            trainer.Train(groups, new Random(3));
            return policy.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        }
        var whole = After(new PolicyOptimizationOptions { MicroBatchSamples = 64 });
        var split = After(new PolicyOptimizationOptions { MicroBatchTokens = 1, ReferenceBatchTokens = 1 });
        using var initial = TinyPolicy.Create(seed: 4);
        var before = initial.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        Assert.Contains(whole, kv => !kv.Value.allclose(before[kv.Key], rtol: 0, atol: 1e-6));
        foreach (var (name, w) in whole)
            Assert.True(w.allclose(split[name], rtol: 1e-4, atol: 1e-6), $"{name}: max diff {(w - split[name]).abs().max().item<float>()}");
    }
}
