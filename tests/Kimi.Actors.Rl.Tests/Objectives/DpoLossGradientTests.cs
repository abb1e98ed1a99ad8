using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Scoring;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Long2Short;
using Kimi.Actors.Rl.Objectives;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Tests.Objectives;

/// <summary>The DPO loss and its autograd gradient against the formula, assembled from per-response gradients by hand.</summary>
public class DpoLossGradientTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.Instance;

    private static int[] P(string s) => [Tok.BosId, .. Tok.Encode(s)];
    private static int[] R(string s) => [.. Tok.Encode(s), Tok.EosId];

    // Three pairs: a short correct response preferred over a longer one.
    private static readonly PreferencePair[] Pairs =
    [
        new(P("3+4="), R("3,7#7"), R("3,7,7,7#7")),
        new(P("2 5>10:"), R("2*5=10 ok#2*5"), R("2+5=7 no;2*5=10 ok#2*5")),
        new(P("1+1="), R("1,2#2"), R("1,3#3")),
    ];

    private static float[] SequenceLogProbs(LlamaForCausalLM policy, Func<PreferencePair, int[]> side)
    {
        using var noGrad = no_grad();
        using var scored = SequenceScorer.Score(policy, Pairs.Select(p => (p.Prompt, side(p))).ToList());
        return scored.SequenceLogProbs().data<float>().ToArray();
    }

    private static Dictionary<string, Tensor> GradientOf(LlamaForCausalLM policy, int[] prompt, int[] response)
    {
        policy.zero_grad();
        using var scored = SequenceScorer.Score(policy, [(prompt, response)]);
        scored.SequenceLogProbs()[0].backward();
        return policy.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(1.0)]
    public void The_gradient_is_minus_beta_sigma_of_minus_the_margin_times_the_log_prob_gradients(double beta)
    {
        using var policy = TinyPolicy.Create(seed: 9);
        var refChosen = SequenceLogProbs(policy, p => p.Chosen);
        var refRejected = SequenceLogProbs(policy, p => p.Rejected);
        using (no_grad())
        {
            var gen = new Generator(5UL);
            foreach (var p in policy.parameters()) p.add_(randn(p.shape, generator: gen) * 0.05);   // the policy leaves the reference
        }
        var chosen = SequenceLogProbs(policy, p => p.Chosen);
        var rejected = SequenceLogProbs(policy, p => p.Rejected);

        policy.zero_grad();
        var (c, r) = DpoTrainer.SequenceLogProbs(policy, Pairs);
        var output = DpoLoss.Compute(c, r, tensor(refChosen), tensor(refRejected), beta);
        output.Loss.backward();
        var autograd = policy.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());

        // Value: −mean log σ(β Δ), Δ = (log π(y+) − log π_ref(y+)) − (log π(y−) − log π_ref(y−)).
        var margins = Enumerable.Range(0, Pairs.Length).Select(i => (double)(chosen[i] - refChosen[i]) - (rejected[i] - refRejected[i])).ToArray();
        Assert.Contains(margins, m => Math.Abs(m) > 1e-2);
        double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        Assert.Equal(-margins.Average(m => Math.Log(Sigmoid(beta * m))), output.Loss.item<float>(), 4);
        Assert.Equal(margins.Average(), output.MeanMargin, 4);
        Assert.Equal(margins.Count(m => m > 0) / (double)margins.Length, output.Accuracy, 6);

        // Gradient: −β/P Σ_p σ(−β Δ_p) (∇log π(y+_p) − ∇log π(y−_p)).
        var expected = autograd.ToDictionary(p => p.Key, p => zeros_like(p.Value));
        for (int i = 0; i < Pairs.Length; i++)
        {
            double weight = -beta / Pairs.Length * Sigmoid(-beta * margins[i]);
            var gc = GradientOf(policy, Pairs[i].Prompt, Pairs[i].Chosen);
            var gr = GradientOf(policy, Pairs[i].Prompt, Pairs[i].Rejected);
            foreach (var name in expected.Keys) expected[name] += (gc[name] - gr[name]) * weight;
        }
        foreach (var (name, e) in expected)
        {
            var err = (autograd[name] - e).abs().max().item<float>();
            var scale = e.abs().max().item<float>();
            Assert.True(err <= 1e-6 + 1e-4 * scale, $"{name}: max |autograd − formula| = {err} (scale {scale})");
        }
    }

    [Fact]
    public void Beta_must_be_positive_and_pairs_must_exist()
    {
        var one = tensor(new[] { 0f });
        Assert.Throws<ArgumentOutOfRangeException>(() => DpoLoss.Compute(one, one, one, one, 0));
        var none = zeros(0);
        Assert.Throws<ArgumentException>(() => DpoLoss.Compute(none, none, none, none, 0.1));
    }
}
