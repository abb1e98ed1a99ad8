using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Optimization;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Tests.Training;

/// <summary>kimi.optimization.master-weights: a bf16 policy trains through float32 masters, or its small updates vanish.</summary>
public class MasterWeightsTrainingTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.Instance;

    private static TrainingGroup Group()
    {
        int[] prompt = [Tok.BosId, .. Tok.Encode("3+4=")];
        var responses = new[] { ("3,7#7", 1.0), ("3,8#8", 0.0), ("3,9#9", 0.0), ("3,7#7", 1.0) };
        var judged = responses.Select((s, j) =>
        {
            var tokens = Tok.Encode(s.Item1).Append(Tok.EosId).ToArray();
            var t = new Trajectory(new TrajectoryId(new PromptId("p"), 0, j), tokens, new float[tokens.Length], StopReason.Stop, [new Segment(0, tokens.Length, 0)]);
            return new JudgedTrajectory(t, s.Item2, s.Item2 > 0, "test");
        }).ToList();
        return new TrainingGroup(new GroupKey(new PromptId("p"), 0), prompt, judged, responses.Select(r => r.Item2).ToArray(), new double[4]);
    }

    /// <summary>
    /// Ten AdamW steps of about 1e-3 each on the final norm's weights (1.0): each is below half of bf16's unit in the last
    /// place there (2^-8), so without masters the bf16 weights never move; through masters they move by about 1e-2.
    /// </summary>
    [Theory]
    [InlineData(MasterWeightsMode.Auto, true)]
    [InlineData(MasterWeightsMode.On, true)]
    [InlineData(MasterWeightsMode.Off, false)]
    public void A_bf16_policy_keeps_its_small_updates_only_through_masters(MasterWeightsMode mode, bool moves)
    {
        using var policy = TinyPolicy.Create(seed: 3);
        policy.to(ScalarType.BFloat16);
        var options = new PolicyOptimizationOptions { LearningRate = 1e-3, Epochs = 10, GradClip = 0, MasterWeights = mode };
        using var trainer = new PolicyTrainer(policy, options);
        Assert.Equal(moves, trainer.UsesMasterWeights);
        trainer.Train([Group()], new Random(1));
        var norm = policy.state_dict()["model.norm.weight"].to_type(ScalarType.Float32);
        double moved = (norm - 1.0).abs().max().item<float>();
        if (moves) Assert.InRange(moved, 4e-3, 2e-2);
        else Assert.Equal(0.0, moved);
    }

    [Fact]
    public void A_float32_policy_needs_no_masters_unless_asked()
    {
        using var policy = TinyPolicy.Create();
        using var auto = new TrainableWeights(policy, MasterWeightsMode.Auto);
        using var on = new TrainableWeights(policy, MasterWeightsMode.On);
        Assert.False(auto.UsesMasters);
        Assert.True(on.UsesMasters);
        Assert.All(on.Parameters, p => Assert.Equal(ScalarType.Float32, p.dtype));
    }
}
