using SkiaSharp;

namespace Kimi.Actors.Reporting.Tests;

/// <summary>A PNG decoded with SkiaSharp (the image library ScottPlot draws with), for asserting on pixels.</summary>
internal sealed class DecodedPng
{
    private readonly SKColor[] _pixels;

    private DecodedPng(int width, int height, SKColor[] pixels) => (Width, Height, _pixels) = (width, height, pixels);

    public int Width { get; }
    public int Height { get; }

    public (byte R, byte G, byte B) this[int x, int y] => (_pixels[y * Width + x].Red, _pixels[y * Width + x].Green, _pixels[y * Width + x].Blue);

    public static DecodedPng Decode(byte[] bytes)
    {
        Assert.True(bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "PNG signature");
        using var codec = SKCodec.Create(new MemoryStream(bytes));
        Assert.NotNull(codec);
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        return new DecodedPng(bitmap.Width, bitmap.Height, bitmap.Pixels);
    }

    /// <summary>Pixels within <paramref name="tolerance"/> per channel of <paramref name="colour"/>.</summary>
    public List<(int X, int Y)> Find((byte R, byte G, byte B) colour, int tolerance = 8)
    {
        var found = new List<(int, int)>();
        for (int i = 0; i < _pixels.Length; i++)
        {
            var p = _pixels[i];
            if (Math.Abs(p.Red - colour.R) <= tolerance && Math.Abs(p.Green - colour.G) <= tolerance && Math.Abs(p.Blue - colour.B) <= tolerance)
                found.Add((i % Width, i / Width));
        }
        return found;
    }

    /// <summary>How many distinct colours the image holds (a blank image has one).</summary>
    public int DistinctColours => _pixels.Distinct().Count();

    /// <summary>Dark pixels (text and axes are drawn in near-black) in a band of rows.</summary>
    public int DarkPixels(int fromY, int toY) =>
        Enumerable.Range(fromY, toY - fromY).Sum(y => Enumerable.Range(0, Width).Count(x => _pixels[y * Width + x] is var p && p.Red < 100 && p.Green < 100 && p.Blue < 100));
}
