namespace Kimi.Actors.Rl.Shaping;

/// <summary>
/// The k1.5 length reward for the k responses of one prompt: with min and max the shortest and longest
/// lengths, λ_j = 0.5 − (len_j − min) / (max − min); a correct response gets λ_j, a wrong one
/// min(0, λ_j) (being short never rewards a wrong answer). All zeros when every length is equal, which
/// includes a single response. The caller adds it to the task reward times
/// <see cref="LengthPenaltySchedule.WeightAt"/>.
/// </summary>
public static class LengthPenalty
{
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A length is negative.</exception>
    public static double[] Compute(ReadOnlySpan<int> lengths, ReadOnlySpan<bool> correct)
    {
        var rewards = new double[lengths.Length];
        Compute(lengths, correct, rewards);
        return rewards;
    }

    /// <summary>As <see cref="Compute(ReadOnlySpan{int}, ReadOnlySpan{bool})"/>, writing into <paramref name="rewards"/> (same length) instead of allocating.</summary>
    public static void Compute(ReadOnlySpan<int> lengths, ReadOnlySpan<bool> correct, Span<double> rewards)
    {
        if (correct.Length != lengths.Length || rewards.Length != lengths.Length)
            throw new ArgumentException(
                $"lengths ({lengths.Length}), correct ({correct.Length}) and rewards ({rewards.Length}) must have the same length.");
        if (lengths.IsEmpty)
            return;

        int min = int.MaxValue, max = int.MinValue;
        foreach (int len in lengths)
        {
            if (len < 0)
                throw new ArgumentOutOfRangeException(nameof(lengths), len, "Lengths must be non-negative.");
            min = Math.Min(min, len);
            max = Math.Max(max, len);
        }
        if (max == min)
        {
            rewards.Clear();
            return;
        }

        double range = max - min;
        for (int j = 0; j < lengths.Length; j++)
        {
            double lambda = 0.5 - (lengths[j] - min) / range;
            rewards[j] = correct[j] ? lambda : Math.Min(0, lambda);
        }
    }
}
