using Kimi.Actors.Model.Vision;

namespace Kimi.Actors.Model.Generation;

/// <summary>
/// One sequence to generate. <paramref name="Prefix"/> holds response tokens produced earlier (a partial
/// rollout being continued): they are re-prefilled under the current weights and count toward the maximum
/// response length, but only new tokens are returned. <paramref name="MaxResponseTokens"/> caps this request's
/// response below the call's maximum (a per-prompt length budget); null uses the call's. <paramref name="Images"/> are the
/// pixels of the prompt's images, in the order of their placeholder tokens (a model with a vision encoder only).
/// </summary>
public sealed record GenerationRequest(int[] Prompt, int[]? Prefix = null, int? MaxResponseTokens = null, IReadOnlyList<ImagePixels>? Images = null)
{
    public int ImageCount => Images?.Count ?? 0;

    public int PrefixLength => Prefix?.Length ?? 0;

    /// <summary>This request's response limit under <paramref name="options"/>.</summary>
    public int ResponseLimit(GenerationOptions options) =>
        MaxResponseTokens is { } own ? Math.Min(own, options.MaxResponseTokens) : options.MaxResponseTokens;
}
