using System.Text;

namespace Kimi.Actors.Model.Tokenization;

/// <summary>
/// One token per character: ids 0..2 are pad, bos, eos; then '\n'; then printable ASCII 32..126.
/// Enough for the built-in verifiable tasks and small enough that a tiny model's embedding is cheap.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    public const int Pad = 0, Bos = 1, Eos = 2;
    private const int NewLine = 3, FirstPrintable = 4;

    public static CharTokenizer Instance { get; } = new();

    public int VocabSize => FirstPrintable + (126 - 32 + 1);
    public int PadId => Pad;
    public int BosId => Bos;
    int? ITokenizer.BosId => Bos;
    public int EosId => Eos;

    public bool CanEncode(char c) => c == '\n' || (c >= ' ' && c <= '~');

    /// <summary>With special tokens: beginning-of-sequence first.</summary>
    public int[] Encode(string text, bool addSpecialTokens) => addSpecialTokens ? [Bos, .. Encode(text)] : Encode(text);

    public int[] Encode(string text)
    {
        var ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (!CanEncode(c))
                throw new ArgumentException($"character U+{(int)c:X4} at position {i} is outside the tokenizer's alphabet (printable ASCII and newline)");
            ids[i] = c == '\n' ? NewLine : FirstPrintable + (c - ' ');
        }
        return ids;
    }

    /// <summary>Decodes ids; special tokens are dropped, ids outside the vocabulary become '?'.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder(ids.Length);
        foreach (int id in ids)
        {
            if (id == NewLine) sb.Append('\n');
            else if (id >= FirstPrintable && id < VocabSize) sb.Append((char)(' ' + id - FirstPrintable));
            else if (id is Pad or Bos or Eos) continue;
            else sb.Append('?');
        }
        return sb.ToString();
    }

    /// <summary>The model configuration fields that must agree with this tokenizer.</summary>
    public ModelConfig Apply(ModelConfig config) =>
        config with { VocabSize = VocabSize, PadTokenId = Pad, BosTokenId = Bos, EosTokenIds = new TokenIds([Eos], false) };
}
