namespace Kimi.Actors.Rl.Shaping;

/// <summary>
/// Weight of the length reward over training: 0 during the first <see cref="WarmupIterations"/>
/// iterations (0-based), then <see cref="Weight"/>. The warm-up lets the policy learn to solve before
/// it is pushed to be brief, as in the report.
/// </summary>
public sealed record LengthPenaltySchedule
{
    public LengthPenaltySchedule(double weight, int warmupIterations)
    {
        if (!(weight >= 0) || double.IsPositiveInfinity(weight))
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "Must be finite and non-negative.");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupIterations);
        Weight = weight;
        WarmupIterations = warmupIterations;
    }

    public double Weight { get; }

    public int WarmupIterations { get; }

    public double WeightAt(int iteration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iteration);
        return iteration < WarmupIterations ? 0 : Weight;
    }
}
