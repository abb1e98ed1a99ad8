namespace Kimi.Actors.Model.Generation;

/// <summary>
/// One sequence to generate. <paramref name="Prefix"/> holds response tokens produced earlier (a partial
/// rollout being continued): they are re-prefilled under the current weights and count toward the maximum
/// response length, but only new tokens are returned.
/// </summary>
public sealed record GenerationRequest(int[] Prompt, int[]? Prefix = null)
{
    public int PrefixLength => Prefix?.Length ?? 0;
}
