using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Objectives;

/// <summary>
/// One training batch of groups, flattened group-major: samples [g*k .. g*k+k) belong to group g.
/// Log-prob tensors are per token [N, R] with a mask; rewards are the shaped rewards [N].
/// </summary>
public sealed record LossInputs(
    Tensor PolicyTokenLogProbs,     // [N, R], requires grad
    Tensor ReferenceTokenLogProbs,  // [N, R], no grad: pi_i, recomputed by the trainer
    Tensor Mask,                    // [N, R], 1 on response tokens
    Tensor Rewards,                 // [N]
    int[] GroupSizes);

/// <summary>The loss and the statistics a run reports about it.</summary>
public sealed class LossOutput
{
    private readonly Tensor _logRatioStats;
    private float[]? _stats;

    /// <param name="logRatioStats">[2] on the loss's device: the mean log-ratio and the mean |log-ratio|.</param>
    public LossOutput(Tensor loss, Tensor logRatioStats, double clipFraction)
    {
        Loss = loss;
        _logRatioStats = logRatioStats;
        ClipFraction = clipFraction;
    }

    public Tensor Loss { get; }

    // The statistics stay on the device until first read: a read waits for the GPU, and the trainer reads them after
    // the backward pass has been queued, so the host does not stall between the forward and backward passes.
    public double MeanLogRatio => Stats[0];

    public double MeanAbsLogRatio => Stats[1];

    public double ClipFraction { get; }

    private float[] Stats => _stats ??= _logRatioStats.cpu().data<float>().ToArray();
}

/// <summary>The k1.5 objective and its two comparators, on the same inputs.</summary>
public static class PolicyLoss
{
    public static LossOutput Compute(ObjectiveKind kind, LossInputs inputs, double tau, LogProbReduction reduction = LogProbReduction.Sum, double clip = 0.2)
    {
        if (tau <= 0) throw new ArgumentOutOfRangeException(nameof(tau), tau, "tau must be positive");
        long n = inputs.Rewards.shape[0];
        if (inputs.GroupSizes.Sum() != n) throw new ArgumentException($"group sizes sum to {inputs.GroupSizes.Sum()} but there are {n} samples");
        using var scope = NewDisposeScope();
        // Explicit Scalars kept alive for the whole computation (implicit ones can be finalised mid-call).
        using var one = 1.0.ToScalar();
        using var tauS = tau.ToScalar();
        using var stdEps = 1e-4.ToScalar();
        using var clipLo = (1 - clip).ToScalar();
        using var clipHi = (1 + clip).ToScalar();
        using var clipS = clip.ToScalar();
        var mask = inputs.Mask;
        var lengths = mask.sum(1).clamp_min(one);
        Tensor Reduce(Tensor tokenLogProbs)
        {
            var s = (tokenLogProbs * mask).sum(1);
            return reduction == LogProbReduction.Sum ? s : s / lengths;
        }

        var logPolicy = Reduce(inputs.PolicyTokenLogProbs);
        var logRef = Reduce(inputs.ReferenceTokenLogProbs).detach();
        var logRatio = logPolicy - logRef;
        var baseline = GroupMeans(inputs.Rewards, inputs.GroupSizes);
        var centered = inputs.Rewards - baseline;
        double clipFraction = 0;

        Tensor loss;
        switch (kind)
        {
            case ObjectiveKind.K15MirrorDescent:
                // L = 1/k Σ_j (r_j − r̄ − τ log(π_θ/π_i))², averaged over groups. With equal k that is the
                // mean over all samples; with unequal groups each group still weighs the same.
                loss = GroupWeightedMean((centered - logRatio.mul(tauS)).square(), inputs.GroupSizes);
                break;
            case ObjectiveKind.Reinforce:
                loss = -GroupWeightedMean(centered.detach() * logPolicy, inputs.GroupSizes);
                break;
            case ObjectiveKind.Grpo:
            {
                var std = GroupStd(inputs.Rewards, inputs.GroupSizes, baseline);
                var advantage = (centered / std.add(stdEps)).detach().unsqueeze(1);
                var tokenRatio = (inputs.PolicyTokenLogProbs - inputs.ReferenceTokenLogProbs.detach()).exp();
                var unclipped = tokenRatio * advantage;
                var clipped = tokenRatio.clamp(clipLo, clipHi) * advantage;
                var perToken = -minimum(unclipped, clipped);
                var perSample = (perToken * mask).sum(1) / lengths;
                loss = GroupWeightedMean(perSample, inputs.GroupSizes);
                var clippedTokens = (tokenRatio.sub(one).abs().gt(clipS).to_type(ScalarType.Float32) * mask).sum();
                clipFraction = clippedTokens.item<float>() / Math.Max(1f, mask.sum().item<float>());
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
        var lr = logRatio.detach();
        return new LossOutput(loss.MoveToOuterDisposeScope(), stack([lr.mean(), lr.abs().mean()]).to_type(ScalarType.Float32).MoveToOuterDisposeScope(), clipFraction);
    }

    /// <summary>Each sample's group mean, [N].</summary>
    public static Tensor GroupMeans(Tensor values, int[] groupSizes)
    {
        var parts = new List<Tensor>(groupSizes.Length);
        long start = 0;
        foreach (int k in groupSizes)
        {
            parts.Add(values.narrow(0, start, k).mean().expand(k));
            start += k;
        }
        return cat(parts, 0);
    }

    private static Tensor GroupStd(Tensor values, int[] groupSizes, Tensor means)
    {
        var sq = (values - means).square();
        var parts = new List<Tensor>(groupSizes.Length);
        long start = 0;
        foreach (int k in groupSizes)
        {
            parts.Add(sq.narrow(0, start, k).mean().sqrt().expand(k));
            start += k;
        }
        return cat(parts, 0);
    }

    /// <summary>Mean over groups of the mean within each group: every prompt weighs the same.</summary>
    private static Tensor GroupWeightedMean(Tensor perSample, int[] groupSizes)
    {
        var weights = new float[groupSizes.Sum()];
        int i = 0;
        foreach (int k in groupSizes)
            for (int j = 0; j < k; j++) weights[i++] = 1f / (k * groupSizes.Length);
        return (perSample * tensor(weights, device: perSample.device)).sum();
    }
}
