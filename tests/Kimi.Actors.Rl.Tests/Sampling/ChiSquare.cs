namespace Kimi.Actors.Rl.Tests.Sampling;

/// <summary>Pearson's goodness-of-fit statistic and the p = 0.001 critical values the tests compare it with.</summary>
internal static class ChiSquare
{
    /// <summary>Upper 0.1 % points of the chi-square distribution, by degrees of freedom.</summary>
    public static readonly IReadOnlyDictionary<int, double> Critical001 = new Dictionary<int, double>
    {
        [5] = 20.515,
        [9] = 27.877,
        [19] = 43.820,
    };

    /// <summary>Sum over cells of (observed − expected)² / expected, with expected = total · probability.</summary>
    public static double Statistic(IReadOnlyList<long> observed, IReadOnlyList<double> probabilities)
    {
        double total = observed.Sum();
        double chi2 = 0;
        for (int i = 0; i < observed.Count; i++)
        {
            double expected = total * probabilities[i];
            chi2 += (observed[i] - expected) * (observed[i] - expected) / expected;
        }
        return chi2;
    }

    public static void AssertFits(IReadOnlyList<long> observed, IReadOnlyList<double> probabilities)
    {
        int df = observed.Count - 1;
        double chi2 = Statistic(observed, probabilities);
        Assert.True(chi2 < Critical001[df], $"chi-square {chi2:F2} ≥ {Critical001[df]} (df {df}, p = 0.001)");
    }
}
