using System.Text;
using Kimi.Actors.Rl.Reporting;

namespace Kimi.Actors.Rl.Tests.Reporting;

public sealed class Crc32Tests
{
    private static readonly byte[] Check = Encoding.ASCII.GetBytes("123456789");

    [Fact]
    public void Castagnoli_matches_published_check_values()
    {
        // The CRC catalogue's check value, and RFC 3720 (iSCSI) appendix B.4 vectors.
        Assert.Equal(0xE3069283u, Crc32.Castagnoli.Compute(Check));
        Assert.Equal(0x8A9136AAu, Crc32.Castagnoli.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32.Castagnoli.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32.Castagnoli.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0u, Crc32.Castagnoli.Compute([]));
    }

    [Fact]
    public void Ieee_matches_published_check_values()
    {
        Assert.Equal(0xCBF43926u, Crc32.Ieee.Compute(Check));
        Assert.Equal(0xAE426082u, Crc32.Ieee.Compute(Encoding.ASCII.GetBytes("IEND")));
    }

    [Fact]
    public void Append_continues_a_checksum()
    {
        foreach (var crc in new[] { Crc32.Ieee, Crc32.Castagnoli })
            Assert.Equal(crc.Compute(Check), crc.Append(crc.Compute(Check.AsSpan(0, 4)), Check.AsSpan(4)));
    }
}
