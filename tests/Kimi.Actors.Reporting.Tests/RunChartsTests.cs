namespace Kimi.Actors.Reporting.Tests;

public sealed class RunChartsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static IReadOnlyDictionary<string, double> Row(int i) => new Dictionary<string, double>
    {
        ["iteration"] = i, ["reward_mean"] = i * 0.1, ["response_length_mean"] = 100 + i, ["log_ratio_mean"] = 0.01 * Math.Sin(i),
    };

    private static HeldOutPoint Evaluation(int iteration, double accuracy) => new(iteration, accuracy,
        new Dictionary<string, double> { ["d1"] = Math.Min(1, accuracy + 0.2), ["d2"] = accuracy, ["d10"] = accuracy / 2 });

    private DecodedPng Chart(string file) => DecodedPng.Decode(File.ReadAllBytes(_folder.File(file)));

    [Fact]
    public void Writes_the_learning_curve_and_the_three_iteration_charts()
    {
        var rows = Enumerable.Range(1, 30).Select(Row).ToList();
        var evaluations = new[] { 0, 10, 20, 30 }.Select(i => Evaluation(i, 0.3 + i * 0.01)).ToList();
        var written = RunCharts.WriteStandardCharts(_folder.Path, rows, evaluations);

        Assert.Equal(["accuracy.png", "log_ratio.png", "response_length.png", "reward.png"], written.Select(Path.GetFileName).Order());
        foreach (string path in written)
        {
            var png = DecodedPng.Decode(File.ReadAllBytes(path));
            Assert.Equal((640, 400), (png.Width, png.Height));
            Assert.NotEmpty(png.Find(LineChart.SeriesColor(0)));
        }
        // Overall plus three difficulties: four series in four colours; the fifth palette colour is unused.
        var accuracy = Chart("accuracy.png");
        Assert.All(Enumerable.Range(0, 4), i => Assert.NotEmpty(accuracy.Find(LineChart.SeriesColor(i))));
        Assert.Empty(accuracy.Find(LineChart.SeriesColor(4)));
        // One series per iteration chart.
        Assert.Empty(Chart("reward.png").Find(LineChart.SeriesColor(1)));
    }

    [Fact]
    public void Every_evaluation_is_a_point_of_the_learning_curve()
    {
        // Low, high, low: drawn through the middle evaluation the line peaks mid-chart; two points would make it flat.
        var slices = new Dictionary<string, double>();
        RunCharts.WriteStandardCharts(_folder.Path, [], [new(0, 0.2, slices), new(10, 0.9, slices), new(20, 0.2, slices)]);
        var curve = Chart("accuracy.png").Find(LineChart.SeriesColor(0));

        int left = curve.Min(p => p.X), right = curve.Max(p => p.X), middle = (left + right) / 2;
        double MeanY(int from, int to) => curve.Where(p => p.X >= from && p.X <= to).Average(p => p.Y);
        double ends = MeanY(left, left + 5), peak = MeanY(middle - 3, middle + 3);
        Assert.True(peak + 150 < ends, $"middle of the curve at y {peak:F0}, its ends at y {ends:F0}");
    }

    [Fact]
    public void Charts_without_data_are_skipped()
    {
        var rows = Enumerable.Range(0, 5).Select(i => (IReadOnlyDictionary<string, double>)new Dictionary<string, double> { ["iteration"] = i, ["reward_mean"] = i }).ToList();
        var written = RunCharts.WriteStandardCharts(_folder.Path, rows, []);
        Assert.Equal(["reward.png"], written.Select(Path.GetFileName));
        Assert.Equal(["reward.png"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void No_rows_rows_without_iteration_and_a_single_evaluation_do_not_throw()
    {
        Assert.Empty(RunCharts.WriteStandardCharts(_folder.Path, [], []));
        var rows = new[] { new Dictionary<string, double> { ["reward_mean"] = 0.5 }, new Dictionary<string, double> { ["reward_mean"] = double.NaN } };
        Assert.Equal(["accuracy.png", "reward.png"],
            RunCharts.WriteStandardCharts(_folder.Path, rows, [Evaluation(0, 0.5)]).Select(Path.GetFileName).Order());
        Assert.NotEmpty(Chart("accuracy.png").Find(LineChart.SeriesColor(0)));
    }
}
