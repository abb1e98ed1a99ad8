using System.Diagnostics;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Scoring;
using Kimi.Actors.Rl.Objectives;
using Kimi.Actors.Rl.Optimization;
using Kimi.Actors.Rl.Training;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Long2Short;

/// <summary>One DPO step's statistics: the loss, the mean margin (log-ratio of chosen minus rejected) and the share of pairs ordered right.</summary>
public sealed record DpoStepStats(int Step, double Loss, double MeanMargin, double Accuracy, double LearningRate, TimeSpan Elapsed);

/// <summary>
/// DPO training: the reference is the policy as it is when training starts (the long-CoT policy), scored once without
/// gradients; each step draws <see cref="DpoOptions.PairsPerStep"/> pairs and takes one AdamW step on <see cref="DpoLoss"/>,
/// learning rate on a warm-up + cosine schedule.
/// </summary>
public static class DpoTrainer
{
    public static IReadOnlyList<DpoStepStats> Train(LlamaForCausalLM policy, IReadOnlyList<PreferencePair> pairs, DpoOptions options, long seed,
        Action<DpoStepStats>? onStep = null)
    {
        if (pairs.Count == 0) throw new ArgumentException("no preference pairs: the long policy had no prompt with a correct response and a longer or wrong one");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PairsPerStep, 1);
        var stats = new List<DpoStepStats>(options.Steps);
        if (options.Steps == 0) return stats;
        var (refChosen, refRejected) = ReferenceLogProbs(policy, pairs, options.PairsPerStep);
        var schedule = new WarmupCosineSchedule(options.LearningRate, Math.Min(options.WarmupSteps, options.Steps), options.Steps, options.MinLrRatio);
        using var optimizer = PolicyOptimizer.AdamW(policy.parameters(), options.LearningRate);
        var rng = Seeds.Random(seed, Seeds.Long2Short, 1);
        policy.train();
        for (int step = 0; step < options.Steps; step++)
        {
            var sw = Stopwatch.StartNew();
            optimizer.LearningRate = schedule.At(step);
            var batch = Enumerable.Range(0, Math.Min(options.PairsPerStep, pairs.Count)).Select(_ => rng.Next(pairs.Count)).ToArray();
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            var (chosen, rejected) = SequenceLogProbs(policy, batch.Select(i => pairs[i]).ToList());
            var output = DpoLoss.Compute(chosen, rejected, tensor(batch.Select(i => refChosen[i]).ToArray(), device: chosen.device),
                tensor(batch.Select(i => refRejected[i]).ToArray(), device: chosen.device), options.Beta);
            optimizer.BackwardAndStep(output.Loss, options.GradClip);
            var s = new DpoStepStats(step, output.Loss.item<float>(), output.MeanMargin, output.Accuracy, optimizer.LearningRate, sw.Elapsed);
            stats.Add(s);
            onStep?.Invoke(s);
        }
        policy.eval();
        return stats;
    }

    /// <summary>log π(y+) and log π(y−) of the pairs, [P] each, differentiable.</summary>
    public static (Tensor Chosen, Tensor Rejected) SequenceLogProbs(LlamaForCausalLM policy, IReadOnlyList<PreferencePair> pairs)
    {
        var items = pairs.Select(p => (p.Prompt, p.Chosen)).Concat(pairs.Select(p => (p.Prompt, p.Rejected))).ToList();
        // The scores live in the caller's dispose scope: the graph behind the sums needs them until backward.
        var scored = SequenceScorer.Score(policy, items);
        var seq = scored.SequenceLogProbs();
        return (seq.narrow(0, 0, pairs.Count), seq.narrow(0, pairs.Count, pairs.Count));
    }

    private static (float[] Chosen, float[] Rejected) ReferenceLogProbs(LlamaForCausalLM policy, IReadOnlyList<PreferencePair> pairs, int chunk)
    {
        var chosen = new float[pairs.Count];
        var rejected = new float[pairs.Count];
        using var noGrad = no_grad();
        policy.eval();
        for (int start = 0; start < pairs.Count; start += chunk)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(chunk, pairs.Count - start);
            var (c, r) = SequenceLogProbs(policy, pairs.Skip(start).Take(n).ToList());
            c.cpu().data<float>().ToArray().CopyTo(chosen, start);
            r.cpu().data<float>().ToArray().CopyTo(rejected, start);
        }
        return (chosen, rejected);
    }
}
