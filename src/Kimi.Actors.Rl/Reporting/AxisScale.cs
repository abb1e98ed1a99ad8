using System.Globalization;

namespace Kimi.Actors.Rl.Reporting;

/// <summary>
/// An axis as matplotlib draws one: limits a little wider than the data so that lines do not sit on the frame,
/// and ticks at the multiples of a "nice" step (1, 2 or 5 times a power of ten) that fall within the limits.
/// </summary>
internal sealed record AxisScale(double Min, double Max, double Step)
{
    private const double MarginFraction = 0.04;
    private const int MaxTicks = 100;

    /// <param name="integerData">All values are whole numbers (e.g. iterations): never use fractional steps.</param>
    public static AxisScale Create(double low, double high, int targetTicks, bool integerData)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high)) (low, high) = (0, 1);
        if (high < low) (low, high) = (high, low);
        if (!double.IsFinite(high - low)) (low, high) = (Math.Max(low, -double.MaxValue / 4), Math.Min(high, double.MaxValue / 4));
        if (high == low)
        {
            // A constant series still gets a readable range around its value.
            double pad = low == 0 ? 1 : Math.Abs(low) * 0.1;
            (low, high) = (low - pad, high + pad);
        }

        double span = high - low;
        double step = NiceStep(span / Math.Max(1, targetTicks));
        if (integerData) step = Math.Max(step, 1);
        var scale = new AxisScale(low - span * MarginFraction, high + span * MarginFraction, step);
        // Rounding the step up can leave a short axis with a single tick: step down until two fit.
        while (scale.Ticks.Take(2).Count() < 2 && !(integerData && scale.Step <= 1))
            scale = scale with { Step = SmallerNiceStep(scale.Step) };
        return scale;
    }

    public IEnumerable<double> Ticks
    {
        get
        {
            double first = Math.Ceiling(Min / Step - 1e-9), previous = double.NegativeInfinity;
            for (int i = 0; i < MaxTicks; i++)
            {
                // Multiplying an index (rather than summing steps) keeps 0.1 * 3 close enough to print as 0.3.
                double value = (first + i) * Step;
                // The second test ends the loop where the step is below the resolution of doubles at this magnitude.
                if (value > Max + Step * 1e-9 || value <= previous) yield break;
                previous = value;
                yield return value == 0 ? 0 : value;
            }
        }
    }

    /// <summary>Enough decimals to tell ticks apart; scientific notation for very large or very small magnitudes.</summary>
    public string Format(double value)
    {
        double magnitude = Math.Max(Math.Abs(Min), Math.Abs(Max));
        if (magnitude >= 1e6 || Step < 1e-4)
            return value == 0 ? "0" : value.ToString("0.##e+0", CultureInfo.InvariantCulture);
        int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(Step) - 1e-9));
        return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    /// <summary>Where <paramref name="value"/> falls between the limits, 0 at Min and 1 at Max.</summary>
    public double Fraction(double value) => (value - Min) / (Max - Min);

    /// <summary>The next nice step down: 5 to 2, 2 to 1, 1 to 0.5 (times the power of ten).</summary>
    private static double SmallerNiceStep(double step)
    {
        double power = Math.Pow(10, Math.Floor(Math.Log10(step) + 1e-9));
        double mantissa = Math.Round(step / power);
        return mantissa >= 5 ? 2 * power : mantissa >= 2 ? power : power / 2;
    }

    private static double NiceStep(double raw)
    {
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double normalized = raw / power;
        double nice = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10;
        return nice * power;
    }
}
