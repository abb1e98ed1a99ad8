using System.Diagnostics;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Rl.Optimization;
using Kimi.Actors.Rl.Vision;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Training;

/// <summary>Statistics of one SFT step.</summary>
public sealed record SftStepStats(int Step, double Loss, double LearningRate, int Documents, int Rows, long TargetTokens, TimeSpan Elapsed);

/// <summary>
/// Warm-up SFT: packed demonstrations, AdamW with linear warm-up and cosine decay. The demonstration
/// source is a function of the step, so a run is reproducible and never needs the whole set in memory.
/// </summary>
public static class SftTrainer
{
    public static IReadOnlyList<SftStepStats> Train(LlamaForCausalLM model, SftOptions options,
        Func<int, IReadOnlyList<Demonstration>> demonstrationsForStep, int padId,
        Action<SftStepStats>? onStep = null, CancellationToken cancel = default)
    {
        options.Validate();
        var stats = new List<SftStepStats>(options.Steps);
        if (options.Steps == 0) return stats;
        // A warm-up longer than the whole run is cut to the run (a 10-step smoke SFT with the default 20-step warm-up).
        var schedule = new WarmupCosineSchedule(options.LearningRate, Math.Min(options.WarmupSteps, options.Steps), options.Steps, options.MinLrRatio);
        using var weights = new TrainableWeights(model, options.MasterWeights);
        using var optimizer = PolicyOptimizer.AdamW(weights.Parameters, options.LearningRate, weightDecay: options.WeightDecay);
        model.train();
        for (int step = 0; step < options.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            double lr = schedule.At(step);
            optimizer.LearningRate = lr;
            var docs = demonstrationsForStep(step);
            var images = docs.Any(d => d.Images is not null)
                ? docs.Select(d => PromptImageCache.Shared.Pixels(d.Images, model.Config.Vision?.ImageSize)).ToList()
                : null;
            var batch = PackedBatch.Pack(docs.Select(d => (d.Prompt, d.Response)).ToList(), options.PackLength, padId, images);
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            var loss = batch.Loss(model);
            if (double.IsFinite(optimizer.BackwardAndStep(loss, options.GradClip, weights.GradientsReady))) weights.Stepped();
            var s = new SftStepStats(step, loss.item<float>(), lr, batch.Documents, batch.Rows, batch.TargetTokens, sw.Elapsed);
            stats.Add(s);
            onStep?.Invoke(s);
        }
        model.eval();
        return stats;
    }
}
