namespace Kimi.Actors.Reporting;

/// <summary>The standard PNG charts of a training run.</summary>
public static class RunCharts
{
    public const string IterationKey = "iteration";

    /// <summary>Accuracies are fractions: always the whole range, a little wider so 0 and 1 do not sit on the frame.</summary>
    private static readonly (double, double) AccuracyRange = (-0.03, 1.03);

    /// <summary>The per-iteration charts: file, title, y label and the metrics key each one draws.</summary>
    private static readonly (string File, string Title, string YLabel, string Key)[] IterationCharts =
    [
        ("reward.png", "Reward", "mean reward", "reward_mean"),
        ("response_length.png", "Response length", "mean tokens", "response_length_mean"),
        ("log_ratio.png", "Log ratio", "mean log ratio", "log_ratio_mean"),
    ];

    /// <summary>
    /// Writes into <paramref name="folder"/>: accuracy.png, the held-out learning curve (overall and one line per slice,
    /// in the order slices first appear, at each evaluation's iteration), and reward.png, response_length.png and
    /// log_ratio.png from <paramref name="iterationRows"/> (x = the row's "iteration" value, or its index where a row
    /// has none). A chart with no data is not written; a row missing a key leaves a gap that the line bridges.
    /// Returns the paths written.
    /// </summary>
    /// <param name="accuracyLabel">The y label of the learning curve, e.g. which accuracy is measured.</param>
    /// <param name="reference">Points of another evaluation set drawn as one more line of their overall accuracy (the test set
    /// beside a validation curve), after the slices.</param>
    public static IReadOnlyList<string> WriteStandardCharts(string folder, IReadOnlyList<IReadOnlyDictionary<string, double>> iterationRows,
        IReadOnlyList<HeldOutPoint> evaluations, string accuracyLabel = "held-out accuracy",
        (string Name, IReadOnlyList<HeldOutPoint> Points)? reference = null)
    {
        ArgumentNullException.ThrowIfNull(iterationRows);
        ArgumentNullException.ThrowIfNull(evaluations);
        Directory.CreateDirectory(folder);
        var written = new List<string>();

        if (evaluations.Count > 0) written.Add(WriteLearningCurve(folder, "accuracy.png", "Accuracy", evaluations, accuracyLabel, "overall", reference));

        foreach (var (file, title, yLabel, key) in IterationCharts)
        {
            var points = new List<(double X, double Y)>();
            for (int i = 0; i < iterationRows.Count; i++)
                if (iterationRows[i].TryGetValue(key, out double y))
                    points.Add((iterationRows[i].TryGetValue(IterationKey, out double x) ? x : i, y));
            if (points.Count > 0) written.Add(Save(folder, file, title, [new ChartSeries(key, points)], yLabel));
        }
        return written;
    }

    /// <summary>
    /// A held-out learning curve: one line for the points' own accuracy (named <paramref name="overall"/>, left out when
    /// null) and one per slice, in the order slices first appear, at each evaluation's iteration; then the overall accuracy of
    /// <paramref name="reference"/>'s points, if any.
    /// </summary>
    public static string WriteLearningCurve(string folder, string file, string title, IReadOnlyList<HeldOutPoint> evaluations, string accuracyLabel,
        string? overall, (string Name, IReadOnlyList<HeldOutPoint> Points)? reference = null)
    {
        Directory.CreateDirectory(folder);
        var ordered = evaluations.OrderBy(e => e.Iteration).ToList();
        var slices = ordered.SelectMany(e => e.Slices.Keys).Distinct().ToList();
        var series = new List<ChartSeries>();
        if (overall is not null) series.Add(new ChartSeries(overall, ordered.Select(e => ((double)e.Iteration, e.Accuracy)).ToList()));
        series.AddRange(slices.Select(slice => new ChartSeries(slice,
            ordered.Where(e => e.Slices.ContainsKey(slice)).Select(e => ((double)e.Iteration, e.Slices[slice])).ToList())));
        if (reference is { Points.Count: > 0 } r)
            series.Add(new ChartSeries(r.Name, r.Points.OrderBy(e => e.Iteration).Select(e => ((double)e.Iteration, e.Accuracy)).ToList()));
        return Save(folder, file, title, series, accuracyLabel, AccuracyRange);
    }

    private static string Save(string folder, string file, string title, IReadOnlyList<ChartSeries> series, string yLabel,
        (double, double)? yLimits = null)
    {
        string path = Path.Combine(folder, file);
        LineChart.Save(path, title, series, IterationKey, yLabel, integerX: true, yLimits: yLimits);
        return path;
    }
}
