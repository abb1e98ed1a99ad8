using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Kimi.Actors.Rl.Reporting;

namespace Kimi.Actors.Rl.Tests.Reporting;

/// <summary>A minimal PNG reader for tests: checks the signature and every chunk CRC, inflates IDAT, un-filters type 0 rows.</summary>
internal sealed record DecodedPng(int Width, int Height, byte[] Rgb)
{
    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * 3;
            return (Rgb[i], Rgb[i + 1], Rgb[i + 2]);
        }
    }

    /// <summary>Pixels of exactly this colour.</summary>
    public List<(int X, int Y)> Find((byte R, byte G, byte B) color)
    {
        var found = new List<(int, int)>();
        for (int y = 0; y < Height; y++)
        for (int x = 0; x < Width; x++)
            if (this[x, y] == color) found.Add((x, y));
        return found;
    }

    public static DecodedPng Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int position = 8, width = 0, height = 0;
        var chunkTypes = new List<string>();
        using var idat = new MemoryStream();
        while (position < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(position));
            string type = Encoding.ASCII.GetString(png, position + 4, 4);
            var data = png.AsSpan(position + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(position + 8 + length));
            Assert.Equal(Crc32.Ieee.Compute(png.AsSpan(position + 4, 4 + length)), crc);
            chunkTypes.Add(type);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, data[8..].ToArray()); // 8-bit RGB, no interlace
            }
            if (type == "IDAT") idat.Write(data);
            position += 12 + length;
        }
        Assert.Equal(png.Length, position);
        Assert.Equal("IHDR", chunkTypes[0]);
        Assert.Equal("IEND", chunkTypes[^1]);

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress)) zlib.CopyTo(inflated);
        byte[] raw = inflated.ToArray();
        int stride = width * 3;
        Assert.Equal(height * (stride + 1), raw.Length);
        var rgb = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, raw[y * (stride + 1)]);
            Array.Copy(raw, y * (stride + 1) + 1, rgb, y * stride, stride);
        }
        return new DecodedPng(width, height, rgb);
    }
}
