using Kimi.Actors.Model.Tokenization;

namespace Kimi.Actors.Rl.Rollouts;

/// <summary>The one place that fixes how prompt and response text become model input.</summary>
public static class PromptTokens
{
    /// <summary>The prompt's tokens with the special tokens the model expects around a text (beginning-of-sequence).</summary>
    public static int[] Encode(ITokenizer tokenizer, string prompt) => tokenizer.Encode(prompt, addSpecialTokens: true);

    /// <summary>A demonstration or target response: its characters, then end-of-sequence.</summary>
    public static int[] EncodeResponse(ITokenizer tokenizer, string response) => [.. tokenizer.Encode(response), tokenizer.EosId];
}
