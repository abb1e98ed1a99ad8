using System.Buffers.Binary;
using System.IO.Hashing;

namespace Kimi.Actors.Reporting;

/// <summary>
/// TFRecord framing, as TensorBoard reads event files: uint64 length, masked CRC-32C of those 8 bytes, the data,
/// masked CRC-32C of the data (all little-endian). No kept library writes it without TensorFlow itself.
/// </summary>
public static class TfRecord
{
    public const int HeaderSize = 12, FooterSize = 4;

    /// <summary>TensorFlow masks stored CRCs so that a CRC of data that itself holds CRCs is not degenerate.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);
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
}
