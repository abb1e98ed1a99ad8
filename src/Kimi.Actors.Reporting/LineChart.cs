using ScottPlot;

namespace Kimi.Actors.Reporting;

/// <summary>
/// Line charts as PNG through ScottPlot: title, axis labels, one 2-pixel line per series in distinct colours (the
/// Category10 palette, in series order), markers on short series, and a legend outside the data area when there is
/// more than one series. Points with a non-finite coordinate are skipped (the line joins their neighbours); a
/// series with a single point shows as a marker; empty data still yields a chart with axes.
/// </summary>
public static class LineChart
{
    /// <summary>Series with at most this many points also get a marker at each point.</summary>
    private const int MarkerPointLimit = 30;

    private const float LineWidth = 2, MarkerSize = 6;

    /// <summary>ScottPlot's autoscaler refuses spans that overflow; values beyond this are drawn at it.</summary>
    private const double Extreme = 1e100;

    /// <summary>Sans-serif text where the host has it; ScottPlot's own choice otherwise (on Debian it picks a serif).</summary>
    private const string PreferredFont = "DejaVu Sans";

    public const int MinWidth = 160, MinHeight = 120;

    private static readonly IPalette Palette = new ScottPlot.Palettes.Category10();

    private static readonly Lazy<bool> HasPreferredFont = new(() =>
        SkiaSharp.SKFontManager.Default.FontFamilies.Contains(PreferredFont, StringComparer.OrdinalIgnoreCase));

    /// <summary>The colour of series <paramref name="index"/>, as red, green and blue bytes.</summary>
    public static (byte R, byte G, byte B) SeriesColor(int index)
    {
        var c = Palette.GetColor(index);
        return (c.R, c.G, c.B);
    }

    /// <param name="integerX">Ticks on the x axis only at whole numbers (iterations).</param>
    /// <param name="yLimits">A fixed y range (e.g. 0..1 for an accuracy) instead of one fitted to the data.</param>
    public static byte[] Render(string title, IReadOnlyList<ChartSeries> series, string xLabel, string yLabel, int width = 640, int height = 400,
        bool integerX = false, (double Low, double High)? yLimits = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, MinWidth);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, MinHeight);

        using var plot = new Plot();
        if (HasPreferredFont.Value) plot.Font.Set(PreferredFont);
        plot.Title(title ?? "");
        plot.XLabel(xLabel ?? "");
        plot.YLabel(yLabel ?? "");
        if (integerX) plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };

        for (int i = 0; i < series.Count; i++)
        {
            var points = (series[i]?.Points ?? []).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray();
            if (points.Length == 0) continue;
            var line = plot.Add.Scatter(points.Select(p => Math.Clamp(p.X, -Extreme, Extreme)).ToArray(),
                points.Select(p => Math.Clamp(p.Y, -Extreme, Extreme)).ToArray(), Palette.GetColor(i));
            line.LineWidth = LineWidth;
            line.MarkerSize = points.Length <= MarkerPointLimit ? MarkerSize : 0;
            // ScottPlot shows a legend for every named line; one line is named by the title and axis label instead.
            if (series.Count > 1) line.LegendText = series[i]?.Name ?? "";
        }
        if (series.Count > 1) plot.ShowLegend(Edge.Right);
        if (yLimits is var (low, high)) plot.Axes.SetLimitsY(low, high);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Renders to <paramref name="path"/> through a temporary file, so a reader never sees half a PNG.</summary>
    public static void Save(string path, string title, IReadOnlyList<ChartSeries> series, string xLabel, string yLabel, int width = 640, int height = 400,
        bool integerX = false, (double Low, double High)? yLimits = null)
    {
        byte[] png = Render(title, series, xLabel, yLabel, width, height, integerX, yLimits);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, png);
        File.Move(temporary, path, overwrite: true);
    }
}
