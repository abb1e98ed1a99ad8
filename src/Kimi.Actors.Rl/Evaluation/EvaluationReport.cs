namespace Kimi.Actors.Rl.Evaluation;

/// <summary>Accuracy of one slice of a held-out set.</summary>
public sealed record SliceAccuracy(int Count, int Correct)
{
    public double Accuracy => Count == 0 ? 0 : Correct / (double)Count;
}

/// <summary>Greedy held-out accuracy overall, per difficulty and per domain, and the mean response length.</summary>
public sealed record EvaluationReport(
    SliceAccuracy Overall,
    IReadOnlyDictionary<int, SliceAccuracy> ByDifficulty,
    IReadOnlyDictionary<string, SliceAccuracy> ByDomain,
    double MeanResponseTokens,
    TimeSpan Elapsed)
{
    public double Accuracy => Overall.Accuracy;
}
