using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Objectives;

/// <summary>
/// Direct preference optimisation (Rafailov et al.; k1.5 §2.4 uses it for long2short): for pairs of a preferred response
/// y+ and a dispreferred y− of one prompt, with Δ = β·[(log π(y+) − log π_ref(y+)) − (log π(y−) − log π_ref(y−))],
/// L = −mean log σ(Δ). Its gradient is −β/P Σ_p σ(−Δ_p)·(∇log π(y+_p) − ∇log π(y−_p)): pairs the policy already
/// orders well (large Δ) pull little. log π is the sequence log-probability (sum over tokens).
/// </summary>
public static class DpoLoss
{
    /// <summary>The loss and the mean reward margin Δ/β and preference accuracy (Δ &gt; 0) of the batch, for reporting.</summary>
    public sealed record Output(Tensor Loss, double MeanMargin, double Accuracy);

    /// <param name="chosen">log π(y+), [P], with grad.</param>
    /// <param name="rejected">log π(y−), [P], with grad.</param>
    /// <param name="referenceChosen">log π_ref(y+), [P] (no grad needed).</param>
    /// <param name="referenceRejected">log π_ref(y−), [P].</param>
    public static Output Compute(Tensor chosen, Tensor rejected, Tensor referenceChosen, Tensor referenceRejected, double beta)
    {
        if (!(beta > 0) || double.IsInfinity(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be positive and finite");
        if (chosen.shape[0] == 0) throw new ArgumentException("no preference pairs");
        using var scope = NewDisposeScope();
        using var betaS = beta.ToScalar();
        var margin = (chosen - referenceChosen.detach()) - (rejected - referenceRejected.detach());
        var loss = -nn.functional.logsigmoid(margin.mul(betaS)).mean();
        var m = margin.detach();
        using var zero = 0.0.ToScalar();
        return new Output(loss.MoveToOuterDisposeScope(), m.mean().item<float>(), m.gt(zero).to_type(ScalarType.Float32).mean().item<float>());
    }
}
