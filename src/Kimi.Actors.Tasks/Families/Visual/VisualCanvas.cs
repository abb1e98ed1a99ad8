using SkiaSharp;
using Kimi.Actors.Tasks.Images;

namespace Kimi.Actors.Tasks;

/// <summary>
/// What the built-in visual families share: 32 x 32 pictures laid out on a 4 x 4 grid of 8-pixel cells (one cell per
/// patch of the default encoder, so a tiny model can learn to read them on a CPU), drawn with SkiaSharp.
/// </summary>
internal static class VisualCanvas
{
    public const int Size = 32, Cell = 8, Grid = 4, Cells = Grid * Grid;

    /// <summary>Draws onto a new opaque bitmap and returns its PNG bytes.</summary>
    public static byte[] Draw(Action<SKCanvas> draw)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap)) draw(canvas);
        return ImageCodec.EncodePng(bitmap);
    }

    /// <summary>Adds per-pixel noise of up to <paramref name="amplitude"/> levels to every channel (a sensor's grain).</summary>
    public static byte[] DrawNoisy(Action<SKCanvas> draw, int seed, int amplitude)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap)) draw(canvas);
        if (amplitude > 0)
        {
            var rng = new Random(seed);
            var pixels = bitmap.Pixels;
            for (int i = 0; i < pixels.Length; i++)
            {
                var c = pixels[i];
                pixels[i] = new SKColor(Jitter(c.Red, rng, amplitude), Jitter(c.Green, rng, amplitude), Jitter(c.Blue, rng, amplitude));
            }
            bitmap.Pixels = pixels;
        }
        return ImageCodec.EncodePng(bitmap);
    }

    private static byte Jitter(byte v, Random rng, int amplitude) => (byte)Math.Clamp(v + rng.Next(-amplitude, amplitude + 1), 0, 255);

    /// <summary>Cells drawn without repetition, in reading order (row by row, left to right).</summary>
    public static int[] DistinctCells(Random rng, int count)
    {
        var cells = Enumerable.Range(0, Cells).ToArray();
        rng.Shuffle(cells);
        return [.. cells.Take(count).Order()];
    }

    public static SKPoint CellCentre(int cell) => new(cell % Grid * Cell + Cell / 2f, cell / Grid * Cell + Cell / 2f);

    public static int ParseCell(char hex) => hex is >= '0' and <= '9' ? hex - '0' : hex is >= 'a' and <= 'f' ? hex - 'a' + 10
        : throw new ArgumentException($"'{hex}' is not a cell (0-9, a-f)");

    public static char CellChar(int cell) => "0123456789abcdef"[cell];
}

/// <summary>
/// The chain of thought of the counting families: the items of the picture in reading order, each written as the running
/// count when it is one being counted and as its letter otherwise, then the count: red among red, green, red, blue is
/// <c>1g2b#2</c>. A flawed trace makes one slip (a counted item skipped, or another one counted) and carries it on.
/// </summary>
internal static class CountingTrace
{
    public static string Render(IReadOnlyList<(bool Counted, char Letter)> items, Random? rng, bool flawed)
    {
        int slip = flawed ? rng!.Next(items.Count) : -1;
        var text = new System.Text.StringBuilder();
        int count = 0;
        for (int i = 0; i < items.Count; i++)
        {
            bool counted = items[i].Counted != (i == slip); // the slip flips one item: a skipped one or a wrongly counted one
            if (counted) text.Append(++count);
            else text.Append(items[i].Letter);
        }
        return text.Append(FinalAnswer.Marker).Append(count).ToString();
    }
}
