using Kimi.Actors.Rl.Reporting;

namespace Kimi.Actors.Rl.Tests.Reporting;

public sealed class RunChartsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static readonly (byte, byte, byte)[] Palette =
        [(0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e), (0x2c, 0xa0, 0x2c), (0xd6, 0x27, 0x28), (0x94, 0x67, 0xbd)];

    private static IReadOnlyDictionary<string, double> Row(int i, bool full) => full
        ? new Dictionary<string, double>
        {
            ["iteration"] = i, ["reward_mean"] = i * 0.1, ["accuracy"] = 0.5 + i * 0.01,
            ["accuracy_d1"] = 0.8, ["accuracy_d2"] = 0.5, ["accuracy_d10"] = 0.1,
            ["response_length_mean"] = 100 + i, ["log_ratio_mean"] = 0.01 * Math.Sin(i),
        }
        : new Dictionary<string, double> { ["iteration"] = i, ["reward_mean"] = i };

    [Fact]
    public void Writes_all_four_charts_when_every_key_is_present()
    {
        var rows = Enumerable.Range(0, 30).Select(i => Row(i, full: true)).ToList();
        var written = RunCharts.WriteStandardCharts(_folder.Path, rows);

        Assert.Equal(["accuracy.png", "log_ratio.png", "response_length.png", "reward.png"], written.Select(Path.GetFileName).Order());
        foreach (string path in written) DecodedPng.Decode(File.ReadAllBytes(path));

        // Overall plus three difficulties: four series, four colours; the fifth palette colour is unused.
        var accuracy = DecodedPng.Decode(File.ReadAllBytes(_folder.File("accuracy.png")));
        Assert.All(Palette[..4], colour => Assert.NotEmpty(accuracy.Find(colour)));
        Assert.Empty(accuracy.Find(Palette[4]));
    }

    [Fact]
    public void Charts_whose_keys_are_absent_are_skipped()
    {
        var written = RunCharts.WriteStandardCharts(_folder.Path, Enumerable.Range(0, 5).Select(i => Row(i, full: false)).ToList());
        Assert.Equal(["reward.png"], written.Select(Path.GetFileName));
        Assert.Equal(["reward.png"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void No_rows_or_rows_without_iteration_do_not_throw()
    {
        Assert.Empty(RunCharts.WriteStandardCharts(_folder.Path, []));
        var rows = new[] { new Dictionary<string, double> { ["accuracy"] = 0.5 }, new Dictionary<string, double> { ["accuracy"] = double.NaN } };
        Assert.Equal(["accuracy.png"], RunCharts.WriteStandardCharts(_folder.Path, rows).Select(Path.GetFileName));
    }

    [Fact]
    public void Charts_from_a_metrics_file()
    {
        string metrics = _folder.File("metrics.jsonl");
        using (var writer = new MetricsJsonlWriter(metrics))
            for (int i = 0; i < 10; i++) writer.Write(Row(i, full: true));
        var written = RunCharts.WriteStandardCharts(Path.Combine(_folder.Path, "charts"), MetricsJsonlReader.ReadNumericRows(metrics));
        Assert.Equal(4, written.Count);
    }
}
