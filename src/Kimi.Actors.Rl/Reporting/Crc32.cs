namespace Kimi.Actors.Rl.Reporting;

/// <summary>
/// Table-driven reflected CRC-32 (initial value and final XOR 0xFFFFFFFF). Two polynomials are in use:
/// <see cref="Ieee"/> (zlib, PNG) and <see cref="Castagnoli"/> (CRC-32C, used by TFRecord framing).
/// </summary>
public sealed class Crc32
{
    /// <summary>CRC-32 as in zlib and PNG: "123456789" gives 0xCBF43926.</summary>
    public static Crc32 Ieee { get; } = new(0xEDB88320u);

    /// <summary>CRC-32C (Castagnoli) as in iSCSI and TFRecord: "123456789" gives 0xE3069283.</summary>
    public static Crc32 Castagnoli { get; } = new(0x82F63B78u);

    private readonly uint[] _table = new uint[256];

    private Crc32(uint reflectedPolynomial)
    {
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? reflectedPolynomial ^ (c >> 1) : c >> 1;
            _table[i] = c;
        }
    }

    public uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a checksum: <c>Append(Compute(a), b) == Compute(a followed by b)</c>.</summary>
    public uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data) c = _table[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }
}
