namespace Kimi.Actors.Model.Tokenization;

/// <summary>Maps text to token ids and back; special ids match <see cref="ModelConfig"/>.</summary>
public interface ITokenizer
{
    int VocabSize { get; }
    int PadId { get; }
    int BosId { get; }
    int EosId { get; }
    int[] Encode(string text);
    string Decode(ReadOnlySpan<int> ids);
    bool CanEncode(char c);
}
