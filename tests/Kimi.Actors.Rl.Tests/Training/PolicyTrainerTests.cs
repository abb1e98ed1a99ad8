using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Scoring;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Training;
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

    [Fact]
    public void Invalid_options_are_refused()
    {
        using var policy = TinyPolicy.Create();
        Assert.Throws<ArgumentException>(() => new PolicyTrainer(policy, new PolicyOptimizationOptions { Epochs = 0 }));
        Assert.Throws<ArgumentException>(() => new PolicyTrainer(policy, new PolicyOptimizationOptions { LearningRate = -1 }));
    }
}
