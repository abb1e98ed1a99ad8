namespace Kimi.Actors.Model.Generation;

/// <summary>
/// Catches a degenerate loop: the response's last <see cref="MinSpan"/> tokens are one block of at most
/// <see cref="MaxPeriod"/> tokens repeated (every token equals the one a period earlier). The span, not the
/// period, separates loops from legitimate repetition: a long digit string or a repeated word is far shorter
/// than a span of dozens of tokens, while a loop keeps going until it fills one. Plain data, so it travels
/// with rollout settings between nodes.
/// </summary>
/// <param name="MaxPeriod">Longest repeated block (n-gram) looked for.</param>
/// <param name="MinSpan">Tokens the repetition must cover before the response is stopped (the window).</param>
public sealed record PeriodicRepeatDetector(int MaxPeriod = 16, int MinSpan = 64) : IRepeatDetector
{
    public PeriodicRepeatDetector Validate()
    {
        if (MaxPeriod < 1) throw new ArgumentException($"repeat max-period must be >= 1, got {MaxPeriod}");
        if (MinSpan < 2 * MaxPeriod)
            throw new ArgumentException($"repeat min-span ({MinSpan}) must be at least twice max-period ({MaxPeriod}) so a loop shows two whole copies");
        return this;
    }

    public bool IsRepeating(IReadOnlyList<int> response)
    {
        int n = response.Count;
        if (n < MinSpan) return false;
        for (int period = 1; period <= MaxPeriod; period++)
        {
            // Checked from the newest token backwards: almost every period fails on the first comparison.
            int i = n - 1;
            int stop = n - MinSpan + period;
            while (i >= stop && response[i] == response[i - period]) i--;
            if (i < stop) return true;
        }
        return false;
    }
}
