namespace Kimi.Actors.Rl.Rollouts;

/// <summary>
/// Generate (or continue) one sample of one prompt. A continuation carries the tokens, log-probs and
/// segments produced so far; a fresh request has none. <paramref name="MaxResponseTokens"/> caps this response
/// below the settings' maximum (a per-prompt length budget; the planner sets it on every request it makes,
/// continuations included); null uses the settings'.
/// </summary>
public sealed record RolloutRequest(
    string PromptId,
    int[] PromptTokens,
    int Iteration,
    int Sample,
    int[]? PriorTokens = null,
    float[]? PriorLogProbs = null,
    IReadOnlyList<Segment>? PriorSegments = null,
    int? MaxResponseTokens = null)
{
    public string TrajectoryId => $"{PromptId}#{Iteration}.{Sample}";
}
