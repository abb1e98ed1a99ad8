using Kimi.Actors.Model.Tokenization;

namespace Kimi.Actors.Model.Tests;

public class CharTokenizerTests
{
    [Fact]
    public void Round_trips_printable_ascii_and_newline()
    {
        var tok = CharTokenizer.Instance;
        var text = "4 7 2>15:4+7=11 no;\n#4*2+7 ~";
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
        Assert.Equal(99, tok.VocabSize);
        Assert.Equal("ab", tok.Decode([tok.BosId, .. tok.Encode("a"), tok.PadId, .. tok.Encode("b"), tok.EosId]));
    }

    [Fact]
    public void Rejects_characters_outside_the_alphabet_naming_them()
    {
        var e = Assert.Throws<ArgumentException>(() => CharTokenizer.Instance.Encode("12é"));
        Assert.Contains("U+00E9", e.Message);
        Assert.Contains("position 2", e.Message);
    }
}
