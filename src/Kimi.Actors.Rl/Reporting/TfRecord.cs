using System.Buffers.Binary;

namespace Kimi.Actors.Rl.Reporting;

/// <summary>
/// TFRecord framing: uint64 length, masked CRC-32C of those 8 bytes, the data, masked CRC-32C of the data
/// (all little-endian).
/// </summary>
internal static class TfRecord
{
    public const int HeaderSize = 12, FooterSize = 4;

    /// <summary>TensorFlow masks stored CRCs so that a CRC of data that itself holds CRCs is not degenerate.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32.Castagnoli.Compute(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    /// <summary>One whole record, ready for a single write.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> data)
    {
        var record = new byte[HeaderSize + data.Length + FooterSize];
        var span = record.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], MaskedCrc(span[..8]));
        data.CopyTo(span[HeaderSize..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(HeaderSize + data.Length)..], MaskedCrc(data));
        return record;
    }

    /// <summary>Every record's data with its byte offset, checking both CRCs; <paramref name="name"/> appears in errors.</summary>
    public static IEnumerable<(long Offset, byte[] Data)> ReadAll(Stream stream, string name)
    {
        var header = new byte[HeaderSize];
        var footer = new byte[FooterSize];
        long offset = 0;
        for (int index = 0; ; index++)
        {
            int got = stream.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false);
            if (got == 0) yield break;
            string where = $"{name}: record {index} at byte {offset}";
            if (got < HeaderSize)
                throw new InvalidDataException($"{where}: truncated header ({got} of {HeaderSize} bytes)");
            if (BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)) != MaskedCrc(header.AsSpan(0, 8)))
                throw new InvalidDataException($"{where}: length CRC mismatch (corrupt record)");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            long remaining = stream.CanSeek ? stream.Length - stream.Position : long.MaxValue;
            if (length > (ulong)Math.Min(remaining, Array.MaxLength))
                throw new InvalidDataException($"{where}: length {length} runs past the end of the file");

            var data = new byte[length];
            if (stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length
                || stream.ReadAtLeast(footer, FooterSize, throwOnEndOfStream: false) < FooterSize)
                throw new InvalidDataException($"{where}: truncated data");
            if (BinaryPrimitives.ReadUInt32LittleEndian(footer) != MaskedCrc(data))
                throw new InvalidDataException($"{where}: data CRC mismatch (corrupt record)");
            yield return (offset, data);
            offset += HeaderSize + data.Length + FooterSize;
        }
    }
}
