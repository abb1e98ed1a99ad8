using Kimi.Actors.Model.Tokenization;

namespace Kimi.Actors.Rl.Rollouts;

/// <summary>The one place that fixes how prompt and response text become model input.</summary>
public static class PromptTokens
{
    /// <summary>
    /// The prompt as the model expects it: through the tokenizer's own prompt format when it has one (a chat model's
    /// template, rendered with the generation prompt), else with the special tokens the model expects around a text
    /// (beginning-of-sequence).
    /// </summary>
    public static int[] Encode(ITokenizer tokenizer, string prompt) =>
        tokenizer is IPromptEncoder format ? format.EncodePrompt(prompt) : tokenizer.Encode(prompt, addSpecialTokens: true);

    /// <summary>A demonstration or target response: its tokens, then end-of-sequence (a chat model's end of turn).</summary>
    public static int[] EncodeResponse(ITokenizer tokenizer, string response) => [.. tokenizer.Encode(response), tokenizer.EosId];
}
