using System.Globalization;

namespace Kimi.Actors.Rl.Reporting;

/// <summary>The standard PNG charts of a training run, drawn from its per-iteration metrics rows.</summary>
public static class RunCharts
{
    public const string IterationKey = "iteration";
    private const string AccuracyKey = "accuracy", DifficultyPrefix = "accuracy_d";

    /// <summary>
    /// Writes reward.png (reward_mean), accuracy.png (accuracy as "overall" plus one series per accuracy_d* key,
    /// in difficulty order), response_length.png (response_length_mean) and log_ratio.png (log_ratio_mean) into
    /// <paramref name="folder"/>. The x axis is the "iteration" value, or the row index where a row has none. A chart
    /// whose keys appear in no row is not written; a row missing a key leaves a gap that the line bridges.
    /// Returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> WriteStandardCharts(string folder, IReadOnlyList<IReadOnlyDictionary<string, double>> metricsRows)
    {
        ArgumentNullException.ThrowIfNull(metricsRows);
        Directory.CreateDirectory(folder);
        var keys = metricsRows.SelectMany(r => r.Keys).ToHashSet(StringComparer.Ordinal);
        var difficulties = keys
            .Where(k => k.StartsWith(DifficultyPrefix, StringComparison.Ordinal))
            .OrderBy(k => long.TryParse(k.AsSpan(DifficultyPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long d) ? d : long.MaxValue)
            .ThenBy(k => k, StringComparer.Ordinal);

        var charts = new (string File, string Title, string YLabel, (string Key, string Name)[] Series)[]
        {
            ("reward.png", "Reward", "mean reward", [("reward_mean", "reward_mean")]),
            ("accuracy.png", "Accuracy", "accuracy",
                [(AccuracyKey, "overall"), .. difficulties.Select(k => (k, k[(AccuracyKey.Length + 1)..]))]),
            ("response_length.png", "Response length", "mean tokens", [("response_length_mean", "response_length_mean")]),
            ("log_ratio.png", "Log ratio", "mean log ratio", [("log_ratio_mean", "log_ratio_mean")]),
        };

        var written = new List<string>();
        foreach (var (file, title, yLabel, wanted) in charts)
        {
            var series = wanted.Where(s => keys.Contains(s.Key)).Select(s => Series(metricsRows, s.Key, s.Name)).ToList();
            if (series.Count == 0) continue;
            string path = Path.Combine(folder, file);
            LineChart.Save(path, title, series, IterationKey, yLabel);
            written.Add(path);
        }
        return written;
    }

    private static ChartSeries Series(IReadOnlyList<IReadOnlyDictionary<string, double>> rows, string key, string name)
    {
        var points = new List<(double X, double Y)>();
        for (int i = 0; i < rows.Count; i++)
            if (rows[i].TryGetValue(key, out double y))
                points.Add((rows[i].TryGetValue(IterationKey, out double x) ? x : i, y));
        return new ChartSeries(name, points);
    }
}
