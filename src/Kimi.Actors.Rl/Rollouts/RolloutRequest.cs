using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Tasks.Images;

namespace Kimi.Actors.Rl.Rollouts;

/// <summary>
/// Generate (or continue) one sample of one prompt. A continuation carries the tokens, log-probs and
/// segments produced so far; a fresh request has none. <paramref name="MaxResponseTokens"/> caps this response
/// below the settings' maximum (a per-prompt length budget); null uses the settings'. <paramref name="Images"/> are the
/// prompt's images as references (source and hash), never pixels: the generator reads and decodes them itself.
/// </summary>
public sealed record RolloutRequest(
    TrajectoryId Id,
    int[] PromptTokens,
    int[]? PriorTokens = null,
    float[]? PriorLogProbs = null,
    IReadOnlyList<Segment>? PriorSegments = null,
    int? MaxResponseTokens = null,
    IReadOnlyList<PromptImage>? Images = null)
{
    public PromptId PromptId => Id.Prompt;
    public int Iteration => Id.Iteration;
    public int Sample => Id.Sample;
}
