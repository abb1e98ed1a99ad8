using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Model.Vision;
using Kimi.Actors.Tasks;

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

    /// <summary>
    /// A prompt record's tokens: a text prompt as <see cref="Encode(ITokenizer, string)"/>; an image prompt's images
    /// come first, each as <see cref="ImageLayout.TokensPerImage"/> placeholders, right in front of its text inside the
    /// prompt format (after a beginning-of-sequence token, or inside a chat template's user turn), so their patches take
    /// positions like any token.
    /// </summary>
    /// <exception cref="ArgumentException">An image prompt for a policy without a vision encoder.</exception>
    public static int[] Encode(ITokenizer tokenizer, PromptRecord prompt, ImageLayout? images)
    {
        if (!prompt.HasImages) return Encode(tokenizer, prompt.Prompt);
        if (images is null) throw new ArgumentException($"prompt {prompt.Id} has {prompt.Images.Count} image(s) but the policy has no vision encoder (kimi.model.vision)");
        var withSpecials = Encode(tokenizer, prompt.Prompt);
        var text = tokenizer.Encode(prompt.Prompt);
        // What the format puts in front of the text (bos, a template's opening); anything after it stays after.
        int lead = IndexOf(withSpecials, text);
        var placeholders = Enumerable.Repeat(images.TokenId, images.TokensPerImage * prompt.Images.Count);
        return [.. withSpecials[..lead], .. placeholders, .. withSpecials[lead..]];
    }

    /// <summary>A demonstration or target response: its tokens, then end-of-sequence (a chat model's end of turn).</summary>
    public static int[] EncodeResponse(ITokenizer tokenizer, string response) => [.. tokenizer.Encode(response), tokenizer.EosId];

    private static int IndexOf(int[] all, int[] part)
    {
        for (int i = 0; i + part.Length <= all.Length; i++)
            if (all.AsSpan(i, part.Length).SequenceEqual(part)) return i;
        return 0;
    }
}
