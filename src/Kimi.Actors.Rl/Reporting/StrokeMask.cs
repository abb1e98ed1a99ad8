namespace Kimi.Actors.Rl.Reporting;

/// <summary>
/// Anti-aliased coverage of one series' line inside a clip rectangle. Coverage is the maximum over segments,
/// so joints between segments are not painted twice; the mask is then composited in a single colour.
/// </summary>
internal sealed class StrokeMask(int left, int top, int right, int bottom)
{
    private readonly int _width = right - left;
    private readonly float[] _coverage = new float[Math.Max(0, right - left) * Math.Max(0, bottom - top)];

    /// <summary>A segment of the given half-width between pixel-space points (pixel centres sit at +0.5).</summary>
    public void Segment(double ax, double ay, double bx, double by, double halfWidth)
    {
        double dx = bx - ax, dy = by - ay, lengthSquared = dx * dx + dy * dy;
        double reach = halfWidth + 1;
        Cover(Math.Min(ax, bx) - reach, Math.Min(ay, by) - reach, Math.Max(ax, bx) + reach, Math.Max(ay, by) + reach, (px, py) =>
        {
            double t = lengthSquared == 0 ? 0 : Math.Clamp(((px - ax) * dx + (py - ay) * dy) / lengthSquared, 0, 1);
            double ex = px - (ax + t * dx), ey = py - (ay + t * dy);
            return halfWidth + 0.5 - Math.Sqrt(ex * ex + ey * ey);
        });
    }

    public void Disc(double cx, double cy, double radius) =>
        Cover(cx - radius - 1, cy - radius - 1, cx + radius + 1, cy + radius + 1,
            (px, py) => radius + 0.5 - Math.Sqrt((px - cx) * (px - cx) + (py - cy) * (py - cy)));

    public void CompositeOnto(Raster raster, Rgb color)
    {
        for (int i = 0; i < _coverage.Length; i++)
            if (_coverage[i] > 0) raster.Blend(left + i % _width, top + i / _width, color, _coverage[i]);
    }

    /// <summary>Raises coverage to <paramref name="coverageAt"/> (clamped to [0, 1]) for pixels in the box and the clip.</summary>
    private void Cover(double x0, double y0, double x1, double y1, Func<double, double, double> coverageAt)
    {
        int fromX = Math.Max(left, (int)Math.Floor(x0)), toX = Math.Min(right - 1, (int)Math.Ceiling(x1));
        int fromY = Math.Max(top, (int)Math.Floor(y0)), toY = Math.Min(bottom - 1, (int)Math.Ceiling(y1));
        for (int y = fromY; y <= toY; y++)
        for (int x = fromX; x <= toX; x++)
        {
            float c = (float)Math.Clamp(coverageAt(x + 0.5, y + 0.5), 0, 1);
            int i = (y - top) * _width + (x - left);
            if (c > _coverage[i]) _coverage[i] = c;
        }
    }
}
