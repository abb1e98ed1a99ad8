namespace Kimi.Actors.Rl.Evaluation;

/// <summary>Accuracy of one slice of a held-out set: <see cref="Correct"/> of <see cref="Count"/> judged responses.</summary>
public sealed record SliceAccuracy(int Count, int Correct)
{
    public double Accuracy => Count == 0 ? 0 : Correct / (double)Count;
}

/// <summary>
/// Held-out accuracy overall, per difficulty and per domain, for one decoding mode: greedy (one response per
/// prompt) or sampled pass@1 (the mean over several samples per prompt at the rollout temperature).
/// </summary>
public sealed record EvaluationReport(
    string Mode,
    int Prompts,
    SliceAccuracy Overall,
    IReadOnlyDictionary<int, SliceAccuracy> ByDifficulty,
    IReadOnlyDictionary<string, SliceAccuracy> ByDomain,
    double MeanResponseTokens,
    TimeSpan Elapsed)
{
    public double Accuracy => Overall.Accuracy;
}
