using Kimi.Actors.Rl.Reporting;

namespace Kimi.Actors.Rl.Tests.Reporting;

public sealed class LineChartTests
{
    private static readonly (byte, byte, byte) Blue = (0x1f, 0x77, 0xb4), Orange = (0xff, 0x7f, 0x0e);

    private static ChartSeries Line(string name, int count, Func<double, double> f) =>
        new(name, Enumerable.Range(0, count).Select(i => ((double)i, f(i))).ToList());

    [Fact]
    public void Png_is_valid_and_has_the_requested_size()
    {
        var png = DecodedPng.Decode(LineChart.Render("t", [Line("a", 10, x => x)], "x", "y", 300, 200));
        Assert.Equal((300, 200), (png.Width, png.Height));
        Assert.Equal((255, 255, 255), png[0, 0]);
    }

    [Fact]
    public void A_rising_line_runs_from_lower_left_to_upper_right()
    {
        const int width = 640, height = 400;
        var png = DecodedPng.Decode(LineChart.Render("Rising", [Line("up", 50, x => 3 * x)], "x", "y", width, height));

        // Below the title and legend band, the series colour appears only on the line.
        var pixels = png.Find(Blue).Where(p => p.Y > height / 5).ToList();
        Assert.NotEmpty(pixels);
        bool Any(Func<(int X, int Y), bool> where) => pixels.Any(where);
        Assert.True(Any(p => p.X < width / 4 && p.Y > height * 3 / 4), "lower left");
        Assert.True(Any(p => p.X > width * 3 / 4 && p.Y < height * 2 / 5), "upper right");
        Assert.False(Any(p => p.X < width / 3 && p.Y < height / 2), "upper left");
        Assert.False(Any(p => p.X > width * 2 / 3 && p.Y > height * 3 / 4), "lower right");

        // Continuous: every column between the ends holds line pixels.
        int minX = pixels.Min(p => p.X), maxX = pixels.Max(p => p.X);
        var columns = pixels.Select(p => p.X).ToHashSet();
        Assert.All(Enumerable.Range(minX, maxX - minX + 1), x => Assert.Contains(x, columns));
        // And higher to the right.
        double MeanY(int x) => pixels.Where(p => p.X == x).Average(p => p.Y);
        Assert.True(MeanY(minX + 5) > MeanY(maxX - 5) + 200);
    }

    [Fact]
    public void Each_series_gets_its_own_colour()
    {
        var png = DecodedPng.Decode(LineChart.Render("Two", [Line("up", 20, x => x), Line("down", 20, x => 19 - x)], "x", "y"));
        // Title and legend take the top 50 rows at this size; below that each colour is its line.
        var up = png.Find(Blue).Where(p => p.Y > 50).ToList();
        var down = png.Find(Orange).Where(p => p.Y > 50).ToList();
        Assert.NotEmpty(up);
        Assert.NotEmpty(down);
        int start = up.Min(p => p.X);
        Assert.Equal(start, down.Min(p => p.X));
        double StartY(List<(int X, int Y)> line) => line.Where(p => p.X < start + 10).Average(p => p.Y);
        Assert.True(StartY(down) + 200 < StartY(up), "down starts high where up starts low");
        // Both legend swatches are drawn above the plot.
        Assert.Contains(png.Find(Blue), p => p.Y < 50);
        Assert.Contains(png.Find(Orange), p => p.Y < 50);
    }

    public static TheoryData<string, ChartSeries[]> Degenerate => new()
    {
        { "no series", [] },
        { "empty series", [new ChartSeries("e", [])] },
        { "single point", [new ChartSeries("p", [(3, 5)])] },
        { "constant", [Line("c", 10, _ => 2.5)] },
        { "zero constant", [Line("z", 10, _ => 0)] },
        { "all NaN", [new ChartSeries("n", [(double.NaN, 1), (1, double.NaN), (double.PositiveInfinity, 2)])] },
        { "some NaN", [Line("n", 10, x => x % 3 == 0 ? double.NaN : x)] },
        { "vertical", [new ChartSeries("v", [(1, 0), (1, 10)])] },
        { "huge", [new ChartSeries("h", [(0, -1e300), (1, 1e300), (2, double.MaxValue)])] },
        { "tiny span", [new ChartSeries("t", [(0, 1.0), (1, 1.0 + 1e-15)])] },
        { "large offset", [new ChartSeries("o", [(1e12, 1e10), (1e12 + 1, 1e10 + 1e-6)])] },
        { "null name and points", [new ChartSeries(null!, null!)] },
        { "many series, long names", Enumerable.Range(0, 14).Select(i => Line($"series number {i} with a long name", 5, x => x * i)).ToArray() },
    };

    [Theory]
    [MemberData(nameof(Degenerate))]
    public void Degenerate_inputs_render_a_valid_chart(string _, ChartSeries[] series)
    {
        var png = DecodedPng.Decode(LineChart.Render("Degenerate", series, "x", "y"));
        Assert.Equal((640, 400), (png.Width, png.Height));
    }

    [Fact]
    public void A_single_point_is_visible()
    {
        var png = DecodedPng.Decode(LineChart.Render("", [new ChartSeries("p", [(3, 5)])], "", ""));
        Assert.True(png.Find(Blue).Count(p => p.Y > 40) >= 9);
    }

    [Fact]
    public void Empty_labels_and_unicode_text_are_fine()
    {
        DecodedPng.Decode(LineChart.Render("", [Line("", 3, x => x)], "", ""));
        DecodedPng.Decode(LineChart.Render("Genauigkeit für Stufe ☃", [Line("é", 3, x => x)], "schritt", "wert"));
    }

    [Fact]
    public void Too_small_images_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LineChart.Render("t", [], "x", "y", 10, 10));
    }

    [Fact]
    public void Save_writes_the_rendered_bytes()
    {
        string path = Path.Combine(Path.GetTempPath(), "kimi-chart-" + Guid.NewGuid().ToString("N"), "c.png");
        try
        {
            LineChart.Save(path, "t", [Line("a", 5, x => x)], "x", "y");
            Assert.Equal(LineChart.Render("t", [Line("a", 5, x => x)], "x", "y"), File.ReadAllBytes(path));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
