using System.Diagnostics;

namespace Kimi.Bench;

/// <summary>Median and 90th percentile of per-round wall-clock times, in microseconds.</summary>
public sealed record LatencySummary(int Rounds, double MedianUs, double P90Us)
{
    /// <param name="ticks">Per-round durations in <see cref="Stopwatch"/> ticks.</param>
    public static LatencySummary FromTicks(IReadOnlyCollection<long> ticks)
    {
        if (ticks.Count == 0)
            throw new ArgumentException("No rounds measured.", nameof(ticks));
        var us = ticks.Select(t => t * 1e6 / Stopwatch.Frequency).Order().ToArray();
        return new LatencySummary(us.Length, Percentile(us, 0.5), Percentile(us, 0.9));
    }

    // Linear interpolation between closest ranks.
    private static double Percentile(double[] sorted, double q)
    {
        double rank = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
