namespace Kimi.Actors.Reporting.Tests;

public sealed class LineChartTests
{
    private static readonly (byte, byte, byte) Blue = LineChart.SeriesColor(0), Orange = LineChart.SeriesColor(1);

    private static ChartSeries Line(string name, int count, Func<double, double> f) =>
        new(name, Enumerable.Range(0, count).Select(i => ((double)i, f(i))).ToList());

    [Fact]
    public void Png_has_the_requested_size_a_white_background_and_drawn_content()
    {
        var png = DecodedPng.Decode(LineChart.Render("t", [Line("a", 10, x => x)], "x", "y", 300, 200));
        Assert.Equal((300, 200), (png.Width, png.Height));
        Assert.Equal((255, 255, 255), png[0, 0]);
        Assert.True(png.DistinctColours > 20, $"{png.DistinctColours} colours: the chart is blank");
    }

    [Fact]
    public void Series_colours_are_distinct()
    {
        var colours = Enumerable.Range(0, 5).Select(LineChart.SeriesColor).ToList();
        Assert.Equal(5, colours.Distinct().Count());
        Assert.DoesNotContain(((byte)255, (byte)255, (byte)255), colours);
    }

    [Fact]
    public void The_title_and_axis_labels_are_drawn_in_a_font()
    {
        // Without a usable font ScottPlot draws no text at all (and no error): a long title and a short one would
        // leave the same pixels in the title band above the data frame.
        var longTitle = DecodedPng.Decode(LineChart.Render("Held-out accuracy per difficulty", [Line("a", 10, x => x)], "iteration", "accuracy"));
        var shortTitle = DecodedPng.Decode(LineChart.Render("A", [Line("a", 10, x => x)], "iteration", "accuracy"));
        int longInk = longTitle.DarkPixels(0, 28), shortInk = shortTitle.DarkPixels(0, 28);
        Assert.True(longInk > 150 && longInk > 5 * shortInk, $"title band: {longInk} dark pixels for a long title, {shortInk} for one letter");
    }

    [Fact]
    public void A_rising_line_runs_from_lower_left_to_upper_right()
    {
        const int width = 640, height = 400;
        var png = DecodedPng.Decode(LineChart.Render("Rising", [Line("up", 50, x => 3 * x)], "x", "y", width, height));

        // One series has no legend: the series colour appears only on the line.
        var pixels = png.Find(Blue);
        Assert.NotEmpty(pixels);
        bool Any(Func<(int X, int Y), bool> where) => pixels.Any(where);
        Assert.True(Any(p => p.X < width / 4 && p.Y > height * 3 / 4), "lower left");
        Assert.True(Any(p => p.X > width * 3 / 4 && p.Y < height / 4), "upper right");
        Assert.False(Any(p => p.X < width / 3 && p.Y < height / 2), "upper left");
        Assert.False(Any(p => p.X > width * 2 / 3 && p.Y > height * 3 / 4), "lower right");

        // Continuous: every column between the ends holds line pixels, higher to the right.
        int minX = pixels.Min(p => p.X), maxX = pixels.Max(p => p.X);
        var columns = pixels.Select(p => p.X).ToHashSet();
        Assert.All(Enumerable.Range(minX, maxX - minX + 1), x => Assert.Contains(x, columns));
        double MeanY(int x) => pixels.Where(p => p.X == x).Average(p => p.Y);
        Assert.True(MeanY(minX + 5) > MeanY(maxX - 5) + 200);
    }

    [Fact]
    public void Each_series_gets_its_own_colour_and_a_legend_entry()
    {
        var two = DecodedPng.Decode(LineChart.Render("Two", [Line("up", 20, x => x), Line("down", 20, x => 19 - x)], "x", "y"));
        var up = two.Find(Blue);
        var down = two.Find(Orange);
        Assert.NotEmpty(up);
        Assert.NotEmpty(down);
        // Where the lines start (leftmost tenth of their span), "down" is high and "up" is low.
        int start = Math.Max(up.Min(p => p.X), down.Min(p => p.X));
        double StartY(List<(int X, int Y)> line) => line.Where(p => p.X < start + 10).Average(p => p.Y);
        Assert.True(StartY(down) + 150 < StartY(up), "down starts high where up starts low");

        // The legend sits right of the data: both colours appear beyond the point where "up" ends, top right.
        int lineEnd = up.Where(p => p.Y < 120).Max(p => p.X);
        Assert.Contains(up, p => p.X > lineEnd + 20);
        Assert.Contains(down, p => p.X > lineEnd + 20);

        // One series has no legend (the title names it) and no second colour.
        var one = DecodedPng.Decode(LineChart.Render("One", [Line("up", 20, x => x)], "x", "y")).Find(Blue);
        Assert.DoesNotContain(one, p => p.X > one.Where(q => q.Y < 120).Max(q => q.X) + 20);
        Assert.Empty(DecodedPng.Decode(LineChart.Render("One", [Line("up", 20, x => x)], "x", "y")).Find(Orange));
    }

    [Fact]
    public void Fixed_y_limits_place_a_value_by_the_range_not_the_data()
    {
        // 0.5 is the middle of 0..1: with the range fixed its line sits mid-height; fitted to data, 0.4..0.5 would
        // put it at the top.
        var series = new[] { new ChartSeries("a", [(0, 0.4), (1, 0.5), (2, 0.5)]) };
        var fixedRange = DecodedPng.Decode(LineChart.Render("t", series, "x", "y", yLimits: (0, 1))).Find(Blue);
        var fitted = DecodedPng.Decode(LineChart.Render("t", series, "x", "y")).Find(Blue);
        double Top(List<(int X, int Y)> line) => line.Min(p => p.Y);
        Assert.InRange(Top(fixedRange), 140, 240);
        Assert.True(Top(fitted) < 80, $"fitted: the line's top at y {Top(fitted)}");
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
        Assert.True(png.Find(Blue).Count >= 9);
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
    public void Save_creates_the_folder_and_leaves_no_temporary_file()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "nested", "c.png");
        LineChart.Save(path, "t", [Line("a", 5, x => x)], "x", "y", 320, 240);
        var png = DecodedPng.Decode(File.ReadAllBytes(path));
        Assert.Equal((320, 240), (png.Width, png.Height));
        Assert.Equal(["c.png"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }
}
