using static TorchSharp.torch;

namespace Kimi.Actors.Model.Scoring;

/// <summary>
/// Per-token log-probabilities of responses, [B, R] aligned to each response's first token, with a float
/// mask [B, R] that is 1 on response tokens and 0 on padding. Owns both tensors.
/// </summary>
public sealed class ScoredTokens(Tensor logProbs, Tensor mask) : IDisposable
{
    public Tensor LogProbs { get; } = logProbs;
    public Tensor Mask { get; } = mask;

    /// <summary>log pi(y|x): the sum over each response's tokens, [B].</summary>
    public Tensor SequenceLogProbs() => (LogProbs * Mask).sum(1);

    /// <summary>Number of tokens of each response, [B].</summary>
    public Tensor Lengths() => Mask.sum(1);

    public void Dispose()
    {
        LogProbs.Dispose();
        Mask.Dispose();
    }
}
