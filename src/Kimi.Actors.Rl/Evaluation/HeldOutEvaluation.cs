namespace Kimi.Actors.Rl.Evaluation;

/// <summary>Which decoding mode the headline accuracy (summary.json's sft/rl_accuracy) reports.</summary>
public enum PrimaryMetric
{
    /// <summary>pass@1 at the rollout temperature: the mean accuracy of several samples per prompt, what RL optimises.</summary>
    Sampled,
    /// <summary>One greedy response per prompt.</summary>
    Greedy,
}

/// <summary>Both measurements of one held-out evaluation; <see cref="Primary"/> is the headline.</summary>
public sealed record HeldOutEvaluation(EvaluationReport Greedy, EvaluationReport Sampled, PrimaryMetric PrimaryMetric)
{
    public EvaluationReport Primary => PrimaryMetric == PrimaryMetric.Sampled ? Sampled : Greedy;
    public double Accuracy => Primary.Accuracy;
}
