using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Scoring;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Objectives;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Tests.Objectives;

/// <summary>
/// The loss's autograd gradient against the report's formulas, assembled by hand from per-sample
/// gradients ∇log π(y_j|x), parameter element by parameter element.
/// </summary>
public class PolicyLossGradientTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.Instance;

    // Two prompts (groups) with k = 3 responses each; rewards 0/1.
    private static readonly (string Prompt, string Response, float Reward)[] Data =
    [
        ("3+4=", "3,7#7", 1f), ("3+4=", "3,8#8", 0f), ("3+4=", "3,7,9#9", 0f),
        ("2 5>10:", "2*5=10 ok#2*5", 1f), ("2 5>10:", "2+5=7 no#7", 0f), ("2 5>10:", "5*2=10 ok#5*2", 1f),
    ];
    private static readonly int[] Groups = [3, 3];

    private static List<(int[] Prompt, int[] Response)> Items() =>
        Data.Select(d => (new[] { Tok.BosId }.Concat(Tok.Encode(d.Prompt)).ToArray(), Tok.Encode(d.Response).Append(Tok.EosId).ToArray())).ToList();

    private static (LlamaForCausalLM Policy, Tensor RefTokens, Tensor Mask) Setup()
    {
        var policy = TinyPolicy.Create(seed: 5);
        Tensor refTokens, mask;
        using (no_grad())
        {
            using var scored = SequenceScorer.Score(policy, Items());
            refTokens = scored.LogProbs.clone();
            mask = scored.Mask.clone();
            // Move the policy away from the reference so the log-ratio term is not zero.
            var gen = new Generator(99UL);
            foreach (var p in policy.parameters()) p.add_(randn(p.shape, generator: gen) * 0.05);
        }
        return (policy, refTokens, mask);
    }

    private static Dictionary<string, Tensor> Grads(LlamaForCausalLM m) =>
        m.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());

    private static (List<Dictionary<string, Tensor>> PerSample, float[] LogRatio) PerSampleGradients(LlamaForCausalLM policy, Tensor refTokens, Tensor mask)
    {
        var per = new List<Dictionary<string, Tensor>>();
        var ratios = new float[Data.Length];
        for (int j = 0; j < Data.Length; j++)
        {
            policy.zero_grad();
            using var scored = SequenceScorer.Score(policy, Items());
            var lp = scored.SequenceLogProbs()[j];
            lp.backward();
            per.Add(Grads(policy));
            ratios[j] = lp.item<float>() - (refTokens[j] * mask[j]).sum().item<float>();
        }
        return (per, ratios);
    }

    private static void AssertClose(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            var err = (a - e).abs().max().item<float>();
            var scale = e.abs().max().item<float>();
            Assert.True(err <= 1e-5 + 1e-4 * scale, $"{name}: max |autograd − formula| = {err} (scale {scale})");
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.3)]
    public void K15_gradient_is_minus_two_tau_times_equation_3(double tau)
    {
        var (policy, refTokens, mask) = Setup();
        var (per, logRatio) = PerSampleGradients(policy, refTokens, mask);

        policy.zero_grad();
        using var scored = SequenceScorer.Score(policy, Items());
        var rewards = tensor(Data.Select(d => d.Reward).ToArray());
        var loss = PolicyLoss.Compute(ObjectiveKind.K15MirrorDescent, new LossInputs(scored.LogProbs, refTokens, mask, rewards, Groups), tau).Loss;
        loss.backward();
        var autograd = Grads(policy);

        // Per group g: -2τ/k Σ_j [ (r_j − r̄) ∇log π_j − τ/2 ∇(log ratio_j)² ], with ∇(log ratio)² = 2·ratio·∇log π;
        // the loss averages over the G groups.
        var expected = autograd.ToDictionary(p => p.Key, p => zeros_like(p.Value));
        int start = 0;
        foreach (int k in Groups)
        {
            double mean = Data.Skip(start).Take(k).Average(d => d.Reward);
            for (int j = start; j < start + k; j++)
            {
                double coeff = -2 * tau / k * ((Data[j].Reward - mean) - tau / 2 * 2 * logRatio[j]) / Groups.Length;
                foreach (var name in expected.Keys) expected[name] += per[j][name] * coeff;
            }
            start += k;
        }
        AssertClose(expected, autograd);
        Assert.Contains(logRatio, r => Math.Abs(r) > 1e-3); // the ratio term really is exercised
    }

    [Fact]
    public void K15_loss_value_is_the_mean_squared_residual()
    {
        var (policy, refTokens, mask) = Setup();
        using var noGrad = no_grad();
        using var scored = SequenceScorer.Score(policy, Items());
        var rewards = tensor(Data.Select(d => d.Reward).ToArray());
        const double tau = 0.5;
        var loss = PolicyLoss.Compute(ObjectiveKind.K15MirrorDescent, new LossInputs(scored.LogProbs, refTokens, mask, rewards, Groups), tau).Loss.item<float>();
        var seq = scored.SequenceLogProbs();
        var refSeq = (refTokens * mask).sum(1);
        double expected = 0;
        int start = 0;
        foreach (int k in Groups)
        {
            double mean = Data.Skip(start).Take(k).Average(d => d.Reward);
            for (int j = start; j < start + k; j++)
            {
                double residual = Data[j].Reward - mean - tau * (seq[j].item<float>() - refSeq[j].item<float>());
                expected += residual * residual / k / Groups.Length;
            }
            start += k;
        }
        Assert.Equal(expected, loss, 5);
    }

    [Fact]
    public void Reinforce_gradient_is_the_mean_baseline_policy_gradient()
    {
        var (policy, refTokens, mask) = Setup();
        var (per, _) = PerSampleGradients(policy, refTokens, mask);
        policy.zero_grad();
        using var scored = SequenceScorer.Score(policy, Items());
        var rewards = tensor(Data.Select(d => d.Reward).ToArray());
        PolicyLoss.Compute(ObjectiveKind.Reinforce, new LossInputs(scored.LogProbs, refTokens, mask, rewards, Groups), 1.0).Loss.backward();
        var autograd = Grads(policy);
        var expected = autograd.ToDictionary(p => p.Key, p => zeros_like(p.Value));
        int start = 0;
        foreach (int k in Groups)
        {
            double mean = Data.Skip(start).Take(k).Average(d => d.Reward);
            for (int j = start; j < start + k; j++)
                foreach (var name in expected.Keys) expected[name] += per[j][name] * (-(Data[j].Reward - mean) / k / Groups.Length);
            start += k;
        }
        AssertClose(expected, autograd);
    }

    [Fact]
    public void Grpo_without_clipping_is_the_normalised_token_policy_gradient_and_clips_large_ratios()
    {
        var policy = TinyPolicy.Create(seed: 5);
        using var scored = SequenceScorer.Score(policy, Items());
        Tensor refTokens;
        using (no_grad()) refTokens = scored.LogProbs.detach().clone();
        var rewards = tensor(Data.Select(d => d.Reward).ToArray());
        // At ratio 1 nothing is clipped: loss value is −mean advantage·1 = 0 per group (advantages sum to zero).
        var outAt1 = PolicyLoss.Compute(ObjectiveKind.Grpo, new LossInputs(scored.LogProbs, refTokens, scored.Mask, rewards, Groups), 1.0);
        Assert.Equal(0.0, outAt1.Loss.item<float>(), 5);
        Assert.Equal(0.0, outAt1.ClipFraction);
        // Ratios far from 1 are clipped.
        var shifted = PolicyLoss.Compute(ObjectiveKind.Grpo, new LossInputs(scored.LogProbs + 0.5 * scored.Mask, refTokens, scored.Mask, rewards, Groups), 1.0);
        Assert.Equal(1.0, shifted.ClipFraction, 5);
    }

    [Fact]
    public void Grpo_gradient_is_the_clipped_surrogate_gradient_token_by_token()
    {
        var (policy, refTokens, mask) = Setup();
        const double eps = 0.1;
        var rewards = Data.Select(d => d.Reward).ToArray();

        // The formula, from plain numbers: advantage A_j = (r_j − r̄_g) / (σ_g + 1e-4) (population σ of the group), ratio
        // ρ_jt = exp(log π_jt − log π_i,jt). Per token the surrogate is −min(ρ A, clip(ρ, 1 ± ε) A); its gradient is
        // −A ρ ∇log π_jt, or 0 where the clipped branch is the smaller one (A > 0 and ρ > 1 + ε, A < 0 and ρ < 1 − ε).
        // Each response averages over its |y_j| tokens, each group over its k responses, the loss over the G groups.
        float[,] lp, rp, m;
        using (no_grad())
        using (var scored = SequenceScorer.Score(policy, Items()))
        {
            lp = To2D(scored.LogProbs);
            rp = To2D(refTokens);
            m = To2D(mask);
        }
        int n = Data.Length, width = lp.GetLength(1);
        var coefficient = new float[n * width];
        int clippedHigh = 0, clippedLow = 0, active = 0, start = 0;
        foreach (int k in Groups)
        {
            double mean = rewards.Skip(start).Take(k).Average();
            double std = Math.Sqrt(rewards.Skip(start).Take(k).Average(r => (r - mean) * (r - mean)));
            for (int j = start; j < start + k; j++)
            {
                double a = (rewards[j] - mean) / (std + 1e-4);
                double length = Enumerable.Range(0, width).Sum(t => m[j, t]);
                for (int t = 0; t < width; t++)
                {
                    if (m[j, t] == 0) continue;
                    double rho = Math.Exp(lp[j, t] - rp[j, t]);
                    bool clipped = (a > 0 && rho > 1 + eps) || (a < 0 && rho < 1 - eps);
                    if (clipped) { if (rho > 1) clippedHigh++; else clippedLow++; continue; }
                    active++;
                    coefficient[j * width + t] = (float)(-a * rho / length / k / Groups.Length);
                }
            }
            start += k;
        }
        Assert.True(clippedHigh > 0 && clippedLow > 0 && active > 0, $"clipped above {clippedHigh}, below {clippedLow}, active {active}");

        // Σ_jt c_jt ∇log π_jt: the gradient of the weighted sum of token log-probs with the coefficients as constants.
        policy.zero_grad();
        using (var scored = SequenceScorer.Score(policy, Items()))
            (scored.LogProbs * tensor(coefficient, [n, width])).sum().backward();
        var expected = Grads(policy);

        policy.zero_grad();
        using (var scored = SequenceScorer.Score(policy, Items()))
        {
            var output = PolicyLoss.Compute(ObjectiveKind.Grpo, new LossInputs(scored.LogProbs, refTokens, mask, tensor(rewards), Groups), 1.0, clip: eps);
            output.Loss.backward();
            // The reported clip fraction counts every token outside 1 ± ε, a superset of those whose clipped branch is active.
            Assert.InRange(output.ClipFraction, (clippedHigh + clippedLow) / (double)(clippedHigh + clippedLow + active) - 1e-6, 1);
        }
        AssertClose(expected, Grads(policy));
    }

    private static float[,] To2D(Tensor t)
    {
        var c = t.cpu().to_type(ScalarType.Float32);
        int rows = (int)c.shape[0], cols = (int)c.shape[1];
        var flat = c.data<float>().ToArray();
        var result = new float[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) result[i, j] = flat[i * cols + j];
        return result;
    }

    [Fact]
    public void Per_token_reduction_is_only_used_when_asked()
    {
        var (policy, refTokens, mask) = Setup();
        using var noGrad = no_grad();
        using var scored = SequenceScorer.Score(policy, Items());
        var rewards = tensor(Data.Select(d => d.Reward).ToArray());
        var inputs = new LossInputs(scored.LogProbs, refTokens, mask, rewards, Groups);
        var sum = PolicyLoss.Compute(ObjectiveKind.K15MirrorDescent, inputs, 1.0);
        var mean = PolicyLoss.Compute(ObjectiveKind.K15MirrorDescent, inputs, 1.0, LogProbReduction.TokenMean);
        Assert.NotEqual(sum.MeanAbsLogRatio, mean.MeanAbsLogRatio, 4);
        Assert.True(sum.MeanAbsLogRatio > mean.MeanAbsLogRatio); // sums over several tokens exceed their means
        Assert.Throws<ArgumentOutOfRangeException>(() => PolicyLoss.Compute(ObjectiveKind.K15MirrorDescent, inputs, 0));
    }
}
