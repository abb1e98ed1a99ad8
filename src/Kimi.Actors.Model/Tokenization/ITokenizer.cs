namespace Kimi.Actors.Model.Tokenization;

/// <summary>Maps text to token ids and back; special ids match <see cref="ModelConfig"/>.</summary>
public interface ITokenizer
{
    int VocabSize { get; }
    int PadId { get; }
    /// <summary>The beginning-of-sequence id, or null for tokenizers without one (Qwen).</summary>
    int? BosId { get; }
    int EosId { get; }

    /// <summary>The text's tokens alone (transformers' <c>add_special_tokens=False</c>); special-token text still maps to its id.</summary>
    int[] Encode(string text);

    /// <summary>
    /// With <paramref name="addSpecialTokens"/>, the tokens the model expects around a plain text (e.g. a leading
    /// beginning-of-sequence), as transformers' <c>tokenizer(text)</c> adds them.
    /// </summary>
    int[] Encode(string text, bool addSpecialTokens);

    /// <summary>Text of the ids; special tokens are dropped.</summary>
    string Decode(ReadOnlySpan<int> ids);

    bool CanEncode(char c);
}
