namespace Kimi.Actors.Rl.Optimization;

/// <summary>
/// Learning rate by optimizer step (0-based): linear warm-up, then cosine decay to a floor.
/// <list type="bullet">
/// <item>step &lt; W (warm-up): peak · (step + 1) / W, so step 0 already trains at peak / W (never at 0)
/// and step W − 1 reaches the peak;</item>
/// <item>W ≤ step &lt; T: min + (peak − min) · (1 + cos(π (step − W) / (T − W))) / 2, so step W is at the peak;</item>
/// <item>step ≥ T: min = peak · minLrRatio, constant.</item>
/// </list>
/// W = warmupSteps, T = totalSteps. With W = 0 there is no warm-up; with W = T the rate drops to min
/// right after warm-up.
/// </summary>
public sealed record WarmupCosineSchedule
{
    public WarmupCosineSchedule(double peakLr, int warmupSteps, int totalSteps, double minLrRatio = 0.1)
    {
        if (!(peakLr > 0) || double.IsPositiveInfinity(peakLr))
            throw new ArgumentOutOfRangeException(nameof(peakLr), peakLr, "Must be finite and positive.");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        if (totalSteps < warmupSteps)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"Must be at least warmupSteps ({warmupSteps}).");
        if (!(minLrRatio >= 0 && minLrRatio <= 1))
            throw new ArgumentOutOfRangeException(nameof(minLrRatio), minLrRatio, "Must lie in [0, 1].");
        PeakLr = peakLr;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        MinLrRatio = minLrRatio;
    }

    public double PeakLr { get; }

    public int WarmupSteps { get; }

    public int TotalSteps { get; }

    public double MinLrRatio { get; }

    public double MinLr => PeakLr * MinLrRatio;

    public double At(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
            return PeakLr * (step + 1) / WarmupSteps;
        if (step >= TotalSteps)
            return MinLr;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return MinLr + (PeakLr - MinLr) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
