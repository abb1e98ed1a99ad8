using Kimi.Actors.Model.Tokenization;

namespace Kimi.Actors.Rl.Rollouts;

/// <summary>The one place that fixes how prompt and response text become model input.</summary>
public static class PromptTokens
{
    /// <summary>Beginning-of-sequence, then the prompt's characters.</summary>
    public static int[] Encode(ITokenizer tokenizer, string prompt) => [tokenizer.BosId, .. tokenizer.Encode(prompt)];

    /// <summary>A demonstration or target response: its characters, then end-of-sequence.</summary>
    public static int[] EncodeResponse(ITokenizer tokenizer, string response) => [.. tokenizer.Encode(response), tokenizer.EosId];
}
