namespace Kimi.Actors.Rl.Reporting;

/// <summary>
/// Renders line charts to PNG with no native dependencies: title, legend, axes with round-numbered ticks and
/// grid lines, axis labels, and one anti-aliased 2-pixel line per series in distinct colours. Points with a
/// non-finite coordinate are skipped (the line joins their neighbours); a series with a single point shows as
/// a dot; empty or constant data yields a chart with a sensible range rather than an error.
/// </summary>
public static class LineChart
{
    // Sizes in pixels at 640x400; larger images scale them (and the text) by a whole factor.
    private const int BasePad = 12, BaseGap = 6, BaseTickLength = 4, BaseSwatchLength = 18, BaseLegendItemSpacing = 16;
    private const double BaseLineHalfWidth = 1.0, BaseDotRadius = 3.0, BaseMarkerRadius = 2.2;
    private const int ScaleWidth = 640, ScaleHeight = 400;

    /// <summary>Series with at most this many points also get a marker at each point.</summary>
    private const int MarkerPointLimit = 30;

    public const int MinWidth = 160, MinHeight = 120;

    public static byte[] Render(string title, IReadOnlyList<ChartSeries> series, string xLabel, string yLabel, int width = 640, int height = 400)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, MinWidth);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, MinHeight);
        title ??= "";
        xLabel ??= "";
        yLabel ??= "";

        var lines = series.Select((s, i) => new Line(
            s?.Name ?? "",
            (s?.Points ?? []).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray(),
            Rgb.SeriesPalette[i % Rgb.SeriesPalette.Length])).ToList();
        var all = lines.SelectMany(l => l.Points).ToList();
        bool any = all.Count > 0;

        var raster = new Raster(width, height, Rgb.White);
        int k = Math.Max(1, Math.Min(width / ScaleWidth, height / ScaleHeight));
        int pad = BasePad * k, gap = BaseGap * k, tickLength = BaseTickLength * k, textHeight = BitmapFont.GlyphHeight * k;

        // Top: title, then legend rows; the plot starts below them.
        int top = pad;
        if (title.Length > 0)
        {
            BitmapFont.Draw(raster, title, (width - BitmapFont.Measure(title, 2 * k)) / 2, top, Rgb.Text, 2 * k);
            top += 2 * textHeight + gap;
        }
        top = DrawLegend(raster, lines, top, k) + gap;

        int bottom = height - pad - (xLabel.Length > 0 ? textHeight + gap : 0) - textHeight - gap - tickLength;
        bottom = Math.Max(bottom, top + 20);
        var yScale = AxisScale.Create(any ? all.Min(p => p.Y) : 0, any ? all.Max(p => p.Y) : 1,
            targetTicks: Math.Clamp((bottom - top) / 50, 2, 8), integerData: false);
        var yTicks = yScale.Ticks.Select(v => (Value: v, Text: yScale.Format(v))).ToList();

        int left = pad + (yLabel.Length > 0 ? textHeight + gap : 0)
                   + yTicks.Select(t => BitmapFont.Measure(t.Text, k)).DefaultIfEmpty(0).Max() + gap + tickLength;
        int right = width - pad - BitmapFont.Advance * 2 * k;
        right = Math.Max(right, left + 20);

        double xLow = any ? all.Min(p => p.X) : 0, xHigh = any ? all.Max(p => p.X) : 1;
        bool integerX = all.All(p => p.X == Math.Round(p.X));
        var xScale = FitXScale(xLow, xHigh, integerX, right - left, k);

        double PixelX(double x) => left + xScale.Fraction(x) * (right - left);
        double PixelY(double y) => bottom - yScale.Fraction(y) * (bottom - top);

        // Grid first so that lines and the frame are drawn over it.
        foreach (var (value, _) in yTicks) raster.Fill(left, (int)Math.Round(PixelY(value)), right - left, 1, Rgb.Grid);
        foreach (double value in xScale.Ticks) raster.Fill((int)Math.Round(PixelX(value)), top, 1, bottom - top, Rgb.Grid);

        // Frame: the plot spans pixels [left, right] x [top, bottom] with the frame on those rows and columns.
        raster.Fill(left, top, right - left + 1, 1, Rgb.Axis);
        raster.Fill(left, bottom, right - left + 1, 1, Rgb.Axis);
        raster.Fill(left, top, 1, bottom - top + 1, Rgb.Axis);
        raster.Fill(right, top, 1, bottom - top + 1, Rgb.Axis);

        foreach (var (value, text) in yTicks)
        {
            int y = (int)Math.Round(PixelY(value));
            raster.Fill(left - tickLength, y, tickLength, k, Rgb.Axis);
            BitmapFont.Draw(raster, text, left - tickLength - gap / 2 - BitmapFont.Measure(text, k), y - textHeight / 2, Rgb.Text, k);
        }
        foreach (double value in xScale.Ticks)
        {
            int x = (int)Math.Round(PixelX(value));
            string text = xScale.Format(value);
            raster.Fill(x, bottom + 1, k, tickLength, Rgb.Axis);
            BitmapFont.Draw(raster, text, x - BitmapFont.Measure(text, k) / 2, bottom + tickLength + gap / 2 + 1, Rgb.Text, k);
        }
        if (xLabel.Length > 0)
            BitmapFont.Draw(raster, xLabel, left + (right - left - BitmapFont.Measure(xLabel, k)) / 2, height - pad - textHeight, Rgb.Text, k);
        if (yLabel.Length > 0)
            BitmapFont.Draw(raster, yLabel, pad, top + (bottom - top + BitmapFont.Measure(yLabel, k)) / 2, Rgb.Text, k, vertical: true);

        // Data last, clipped to the inside of the frame.
        foreach (var line in lines)
        {
            var mask = new StrokeMask(left + 1, top + 1, right, bottom);
            var pixels = line.Points.Select(p => (X: PixelX(p.X), Y: PixelY(p.Y))).ToArray();
            for (int i = 1; i < pixels.Length; i++)
                mask.Segment(pixels[i - 1].X, pixels[i - 1].Y, pixels[i].X, pixels[i].Y, BaseLineHalfWidth * k);
            if (pixels.Length <= MarkerPointLimit)
                foreach (var p in pixels) mask.Disc(p.X, p.Y, (pixels.Length == 1 ? BaseDotRadius : BaseMarkerRadius) * k);
            mask.CompositeOnto(raster, line.Color);
        }

        return PngEncoder.Encode(raster);
    }

    /// <summary>Renders the chart and writes it to <paramref name="path"/>, creating the folder.</summary>
    public static void Save(string path, string title, IReadOnlyList<ChartSeries> series, string xLabel, string yLabel, int width = 640, int height = 400)
    {
        byte[] png = Render(title, series, xLabel, yLabel, width, height);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        File.WriteAllBytes(path, png);
    }

    private sealed record Line(string Name, (double X, double Y)[] Points, Rgb Color);

    /// <summary>As many x ticks as fit with room between their labels.</summary>
    private static AxisScale FitXScale(double low, double high, bool integerData, int plotWidth, int k)
    {
        for (int target = Math.Clamp(plotWidth / (60 * k), 2, 10); ; target--)
        {
            var scale = AxisScale.Create(low, high, target, integerData);
            var ticks = scale.Ticks.ToList();
            int widest = ticks.Select(t => BitmapFont.Measure(scale.Format(t), k)).DefaultIfEmpty(0).Max();
            double spacing = ticks.Count < 2 ? double.MaxValue : scale.Fraction(ticks[1]) * plotWidth - scale.Fraction(ticks[0]) * plotWidth;
            if (spacing >= widest + 3 * BitmapFont.Advance * k || target <= 2) return scale;
        }
    }

    /// <summary>Draws the legend in centred rows starting at <paramref name="top"/>; returns the y just below it.</summary>
    private static int DrawLegend(Raster raster, IReadOnlyList<Line> lines, int top, int k)
    {
        if (lines.Count == 0) return top;
        int available = raster.Width - 2 * BasePad * k, spacing = BaseLegendItemSpacing * k, swatch = BaseSwatchLength * k;
        int gap = BaseGap * k, textHeight = BitmapFont.GlyphHeight * k, rowHeight = textHeight + gap;
        var rows = new List<List<(Line Line, int Width)>> { new() };
        int rowWidth = 0;
        foreach (var line in lines)
        {
            int itemWidth = swatch + gap + BitmapFont.Measure(line.Name, k);
            int needed = rows[^1].Count == 0 ? itemWidth : rowWidth + spacing + itemWidth;
            if (needed > available && rows[^1].Count > 0)
            {
                rows.Add([]);
                needed = itemWidth;
            }
            rows[^1].Add((line, itemWidth));
            rowWidth = needed;
        }

        int y = top;
        foreach (var row in rows)
        {
            int total = row.Sum(i => i.Width) + spacing * (row.Count - 1);
            int x = BasePad * k + Math.Max(0, (available - total) / 2);
            foreach (var (line, itemWidth) in row)
            {
                raster.Fill(x, y + textHeight / 2 - 2 * k, swatch, 3 * k, line.Color);
                BitmapFont.Draw(raster, line.Name, x + swatch + gap, y, Rgb.Text, k);
                x += itemWidth + spacing;
            }
            y += rowHeight;
        }
        return y - gap;
    }
}
