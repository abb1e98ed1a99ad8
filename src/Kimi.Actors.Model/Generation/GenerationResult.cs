namespace Kimi.Actors.Model.Generation;

/// <summary>
/// New tokens for one request and the policy's log-probability of each (from untempered logits, i.e. under
/// the policy itself; rollouts keep them only to report rollout/trainer mismatch).
/// </summary>
public sealed record GenerationResult(int[] Tokens, float[] LogProbs, StopReason StopReason);

/// <summary>Results in request order plus what the call cost.</summary>
public sealed record GenerationBatchResult(IReadOnlyList<GenerationResult> Results, long NewTokens, TimeSpan Elapsed)
{
    /// <summary>How the steps ran: "cuda-graph" (replayed graphs) or "eager".</summary>
    public string Decoding { get; init; } = "eager";

    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? NewTokens / Elapsed.TotalSeconds : 0;
}
