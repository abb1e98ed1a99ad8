using Kimi.Actors.Rl.Optimization;

namespace Kimi.Actors.Rl.Training;

/// <summary>Warm-up supervised fine-tuning on long-CoT demonstrations, with sequence packing.</summary>
public sealed record SftOptions
{
    public int Steps { get; init; } = 1200;
    /// <summary>Demonstrations per optimizer step (packed into rows of <see cref="PackLength"/> tokens).</summary>
    public int SequencesPerStep { get; init; } = 64;
    public int PackLength { get; init; } = 256;
    public double LearningRate { get; init; } = 1e-3;
    public int WarmupSteps { get; init; } = 20;
    public double MinLrRatio { get; init; } = 0.1;
    public double WeightDecay { get; init; } = 0.01;
    public double GradClip { get; init; } = 1.0;
    /// <summary>Fraction of demonstrations that carry one mistake, so RL has something to fix.</summary>
    public double FlawRate { get; init; } = 0.2;
    /// <summary>float32 master weights for the optimizer (auto: when the policy is bf16 or fp16).</summary>
    public MasterWeightsMode MasterWeights { get; init; } = MasterWeightsMode.Auto;

    /// <summary>The one check of SFT options (configuration binding, workers and the trainer all call it).</summary>
    /// <exception cref="ArgumentException">Names the first option out of range.</exception>
    public SftOptions Validate()
    {
        if (Steps < 0) throw new ArgumentException($"sft.steps = {Steps}: expected >= 0");
        if (SequencesPerStep < 1) throw new ArgumentException($"sft.sequences-per-step = {SequencesPerStep}: expected >= 1");
        if (PackLength < 2) throw new ArgumentException($"sft.pack-length = {PackLength}: expected >= 2");
        if (!(LearningRate >= 0)) throw new ArgumentException($"sft.learning-rate = {LearningRate}: expected >= 0");
        if (WarmupSteps < 0) throw new ArgumentException($"sft.warmup-steps = {WarmupSteps}: expected >= 0");
        if (!(MinLrRatio >= 0 && MinLrRatio <= 1)) throw new ArgumentException($"sft.min-lr-ratio = {MinLrRatio}: expected 0..1");
        if (!(FlawRate >= 0 && FlawRate <= 1)) throw new ArgumentException($"sft.flaw-rate = {FlawRate}: expected 0..1");
        return this;
    }
}
