namespace Kimi.Actors.Rl.Evaluation;

/// <summary>Accuracy of one slice of a held-out set: <see cref="Correct"/> of <see cref="Count"/> judged responses.</summary>
public sealed record SliceAccuracy(int Count, int Correct)
{
    public double Accuracy => Count == 0 ? 0 : Correct / (double)Count;
}

/// <summary>
/// Held-out accuracy overall, per difficulty and per domain, for one decoding mode: greedy (one response per
/// prompt) or sampled pass@1 (the mean over several samples per prompt at the rollout temperature). <see cref="ByModality"/>
/// splits image prompts from text prompts; it is measured, reported and charted, but not journaled (an evaluation
/// recovered from the journal has it empty).
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
    public const string Image = "image", Text = "text";

    public IReadOnlyDictionary<string, SliceAccuracy> ByModality { get; init; } = new Dictionary<string, SliceAccuracy>();

    public double Accuracy => Overall.Accuracy;
}
