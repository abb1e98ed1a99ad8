using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Kimi.Actors.Rl.Reporting;

/// <summary>Encodes an RGB raster as a PNG: signature, IHDR (8-bit RGB), one zlib IDAT, IEND.</summary>
internal static class PngEncoder
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Encode(Raster raster)
    {
        using var png = new MemoryStream();
        png.Write(Signature);

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, raster.Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), raster.Height);
        header[8] = 8; // bits per sample
        header[9] = 2; // colour type: RGB; bytes 10-12 (compression, filter method, interlace) stay 0
        WriteChunk(png, "IHDR", header);

        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                // Filter type 0 (None) on every row: charts are mostly flat colour, which deflate handles well as is.
                int stride = raster.Width * 3;
                for (int y = 0; y < raster.Height; y++)
                {
                    zlib.WriteByte(0);
                    zlib.Write(raster.Pixels, y * stride, stride);
                }
            }
            WriteChunk(png, "IDAT", compressed.ToArray());
        }
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        byte[] typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Ieee.Append(Crc32.Ieee.Compute(typeBytes), data));
        png.Write(word);
    }
}
