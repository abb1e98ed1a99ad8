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
}
