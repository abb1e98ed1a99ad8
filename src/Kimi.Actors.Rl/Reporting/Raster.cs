namespace Kimi.Actors.Rl.Reporting;

/// <summary>An 8-bit RGB image in memory, rows top to bottom; drawing outside it is clipped.</summary>
internal sealed class Raster
{
    public Raster(int width, int height, Rgb background)
    {
        (Width, Height) = (width, height);
        Pixels = new byte[width * height * 3];
        Fill(0, 0, width, height, background);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>R, G, B bytes per pixel, row-major.</summary>
    public byte[] Pixels { get; }

    public void Fill(int x, int y, int width, int height, Rgb color)
    {
        int x0 = Math.Max(0, x), y0 = Math.Max(0, y);
        int x1 = Math.Min(Width, x + width), y1 = Math.Min(Height, y + height);
        for (int py = y0; py < y1; py++)
        for (int px = x0; px < x1; px++)
        {
            int i = (py * Width + px) * 3;
            (Pixels[i], Pixels[i + 1], Pixels[i + 2]) = (color.R, color.G, color.B);
        }
    }

    /// <summary>Mixes <paramref name="color"/> over the pixel with opacity <paramref name="alpha"/> in [0, 1].</summary>
    public void Blend(int x, int y, Rgb color, float alpha)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height || alpha <= 0) return;
        int i = (y * Width + x) * 3;
        Pixels[i] = Mix(Pixels[i], color.R, alpha);
        Pixels[i + 1] = Mix(Pixels[i + 1], color.G, alpha);
        Pixels[i + 2] = Mix(Pixels[i + 2], color.B, alpha);
    }

    private static byte Mix(byte under, byte over, float alpha) =>
        alpha >= 1 ? over : (byte)MathF.Round(under + (over - under) * alpha);
}
