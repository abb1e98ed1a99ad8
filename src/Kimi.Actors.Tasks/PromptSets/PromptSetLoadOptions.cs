namespace Kimi.Actors.Tasks;

/// <summary>
/// Options for <see cref="PromptSet.Load"/>. <paramref name="IsAllowedChar"/>, when given, must accept every
/// character of "prompt" and "answer" (the texts the policy's tokenizer sees), e.g.
/// <see cref="PromptText.IsPolicyChar"/>. <paramref name="MaxTextChars"/> caps id, prompt, answer, domain
/// and each tag. <paramref name="MaxImages"/> caps a prompt's images and <paramref name="MaxImageBytes"/> each encoded image.
/// </summary>
public sealed record PromptSetLoadOptions(Func<char, bool>? IsAllowedChar = null, int MaxTextChars = 4096, int MaxImages = 8,
    long MaxImageBytes = 16 << 20);
