namespace Kimi.Actors.Rl.Training;

/// <summary>One line of metrics.jsonl: what one RL iteration did and cost.</summary>
public sealed record IterationMetrics
{
    public int Iteration { get; init; }
    public long WeightVersion { get; init; }
    public int Prompts { get; init; }
    public int Samples { get; init; }
    public double RewardMean { get; init; }
    /// <summary>Fraction of this iteration's rollouts judged correct.</summary>
    public double Accuracy { get; init; }
    public double ResponseLengthMean { get; init; }
    /// <summary>Mean weighted length reward added to the rewards (0 during the warm-up).</summary>
    public double LengthPenaltyMean { get; init; }
    public double LengthPenaltyWeight { get; init; }
    public double Loss { get; init; }
    public double LogRatioMean { get; init; }
    public double LogRatioAbsMean { get; init; }
    public double GradNorm { get; init; }
    public double RolloutMismatch { get; init; }
    public double LearningRate { get; init; }
    /// <summary>The τ the trainer's loss used this iteration.</summary>
    public double Tau { get; init; }
    public double RolloutTokensPerSecond { get; init; }
    public double TrainTokensPerSecond { get; init; }
    public int MaxEligibleDifficulty { get; init; }
    public double IterationSeconds { get; init; }
    public double GenerationSeconds { get; init; }
    public double JudgeSeconds { get; init; }
    public double TrainSeconds { get; init; }
    /// <summary>
    /// Weight sync: the trainer publishing the new version (after its optimizer steps), then the generators fetching,
    /// verifying and loading it and the durable checkpoint being written, until the iteration commits.
    /// </summary>
    public double PublishSeconds { get; init; }
    /// <summary>Responses generated or resumed this iteration.</summary>
    public int Responses { get; init; }
    /// <summary>Responses continued from an earlier iteration (partial rollouts).</summary>
    public int Resumed { get; init; }
    /// <summary>Fraction of this iteration's responses cut by the token budget (to be resumed).</summary>
    public double CutFraction { get; init; }
    public int RepeatStops { get; init; }
    public int MaxLengthStops { get; init; }
    /// <summary>Unfinished responses waiting in the replay buffer after this iteration.</summary>
    public int PendingResponses { get; init; }
    /// <summary>Mean segments (policy versions) per trained response.</summary>
    public double SegmentsPerResponse { get; init; }
    /// <summary>Fraction of the iteration the rollout generators were not generating, averaged over generators.</summary>
    public double GeneratorIdleFraction { get; init; }
    /// <summary>Response tokens of the samples trained this iteration (each counted once, whatever the epochs).</summary>
    public long TrainedTokens { get; init; }
    /// <summary>Trained tokens per second of iteration wall time: end-to-end training throughput.</summary>
    public double TrainedTokensPerSecond { get; init; }
    /// <summary>
    /// Iteration wall time not spent inside generation, judging or training, as a fraction: what orchestration (the actor
    /// system, or the local engine's loop) costs.
    /// </summary>
    public double OverheadFraction { get; init; }
    /// <summary>Validation accuracy (the run's primary metric) when this iteration was evaluated, with per-difficulty slices.</summary>
    public double? ValidationAccuracy { get; init; }
    public IReadOnlyDictionary<int, double>? ValidationAccuracyByDifficulty { get; init; }
    /// <summary>
    /// The hyperparameters in force for this iteration (<see cref="Tunables"/>: name → value), so a curve can be read
    /// against the change that bent it. Not part of <see cref="ToRow"/>: the row is numbers.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Hyperparameters { get; init; }

    /// <summary>
    /// Every numeric field with its snake_case key, in the order metrics.jsonl writes them: the one list that the row,
    /// TensorBoard tags, charts and the journal's schema for metrics all use.
    /// </summary>
    private static readonly (string Key, Func<IterationMetrics, double> Get, Func<IterationMetrics, double, IterationMetrics> Set)[] Fields =
    [
        ("iteration", m => m.Iteration, (m, v) => m with { Iteration = (int)v }),
        ("weight_version", m => m.WeightVersion, (m, v) => m with { WeightVersion = (long)v }),
        ("prompts", m => m.Prompts, (m, v) => m with { Prompts = (int)v }),
        ("samples", m => m.Samples, (m, v) => m with { Samples = (int)v }),
        ("reward_mean", m => m.RewardMean, (m, v) => m with { RewardMean = v }),
        ("accuracy", m => m.Accuracy, (m, v) => m with { Accuracy = v }),
        ("response_length_mean", m => m.ResponseLengthMean, (m, v) => m with { ResponseLengthMean = v }),
        ("length_penalty_mean", m => m.LengthPenaltyMean, (m, v) => m with { LengthPenaltyMean = v }),
        ("length_penalty_weight", m => m.LengthPenaltyWeight, (m, v) => m with { LengthPenaltyWeight = v }),
        ("loss", m => m.Loss, (m, v) => m with { Loss = v }),
        ("log_ratio_mean", m => m.LogRatioMean, (m, v) => m with { LogRatioMean = v }),
        ("log_ratio_abs_mean", m => m.LogRatioAbsMean, (m, v) => m with { LogRatioAbsMean = v }),
        ("grad_norm", m => m.GradNorm, (m, v) => m with { GradNorm = v }),
        ("rollout_mismatch", m => m.RolloutMismatch, (m, v) => m with { RolloutMismatch = v }),
        ("learning_rate", m => m.LearningRate, (m, v) => m with { LearningRate = v }),
        ("tau", m => m.Tau, (m, v) => m with { Tau = v }),
        ("rollout_tokens_per_s", m => m.RolloutTokensPerSecond, (m, v) => m with { RolloutTokensPerSecond = v }),
        ("train_tokens_per_s", m => m.TrainTokensPerSecond, (m, v) => m with { TrainTokensPerSecond = v }),
        ("max_eligible_difficulty", m => m.MaxEligibleDifficulty, (m, v) => m with { MaxEligibleDifficulty = (int)v }),
        ("iteration_seconds", m => m.IterationSeconds, (m, v) => m with { IterationSeconds = v }),
        ("generation_seconds", m => m.GenerationSeconds, (m, v) => m with { GenerationSeconds = v }),
        ("judge_seconds", m => m.JudgeSeconds, (m, v) => m with { JudgeSeconds = v }),
        ("train_seconds", m => m.TrainSeconds, (m, v) => m with { TrainSeconds = v }),
        ("publish_seconds", m => m.PublishSeconds, (m, v) => m with { PublishSeconds = v }),
        ("responses", m => m.Responses, (m, v) => m with { Responses = (int)v }),
        ("resumed", m => m.Resumed, (m, v) => m with { Resumed = (int)v }),
        ("cut_fraction", m => m.CutFraction, (m, v) => m with { CutFraction = v }),
        ("repeat_stops", m => m.RepeatStops, (m, v) => m with { RepeatStops = (int)v }),
        ("max_length_stops", m => m.MaxLengthStops, (m, v) => m with { MaxLengthStops = (int)v }),
        ("pending_responses", m => m.PendingResponses, (m, v) => m with { PendingResponses = (int)v }),
        ("segments_per_response", m => m.SegmentsPerResponse, (m, v) => m with { SegmentsPerResponse = v }),
        ("generator_idle_fraction", m => m.GeneratorIdleFraction, (m, v) => m with { GeneratorIdleFraction = v }),
        ("trained_tokens", m => m.TrainedTokens, (m, v) => m with { TrainedTokens = (long)v }),
        ("trained_tokens_per_s", m => m.TrainedTokensPerSecond, (m, v) => m with { TrainedTokensPerSecond = v }),
        ("actor_overhead_fraction", m => m.OverheadFraction, (m, v) => m with { OverheadFraction = v }),
    ];

    // Periodic evaluations are on the validation set; rows written before there was one call them held-out.
    private const string ValidationKey = "validation_accuracy", ValidationDifficultyPrefix = "validation_accuracy_d";
    private const string LegacyKey = "heldout_accuracy", LegacyDifficultyPrefix = "heldout_accuracy_d";

    /// <summary>Flat snake_case row for JSONL, TensorBoard and charts.</summary>
    public IReadOnlyDictionary<string, double> ToRow()
    {
        var row = new Dictionary<string, double>(Fields.Length + 8);
        foreach (var (key, get, _) in Fields) row[key] = get(this);
        if (ValidationAccuracy is { } h) row[ValidationKey] = h;
        if (ValidationAccuracyByDifficulty is { } byD)
            foreach (var (d, a) in byD) row[ValidationDifficultyPrefix + d.ToString(System.Globalization.CultureInfo.InvariantCulture)] = a;
        return row;
    }

    /// <summary>The metrics a row describes (keys it lacks stay at their defaults; keys it does not know are ignored).</summary>
    public static IterationMetrics FromRow(IReadOnlyDictionary<string, double> row)
    {
        var m = new IterationMetrics();
        foreach (var (key, _, set) in Fields)
            if (row.TryGetValue(key, out double v)) m = set(m, v);
        if (row.TryGetValue(ValidationKey, out double h) || row.TryGetValue(LegacyKey, out h)) m = m with { ValidationAccuracy = h };
        var byDifficulty = new Dictionary<int, double>();
        foreach (var prefix in new[] { LegacyDifficultyPrefix, ValidationDifficultyPrefix })
            foreach (var (key, value) in row.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)))
                if (int.TryParse(key.AsSpan(prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int d))
                    byDifficulty[d] = value;
        return byDifficulty.Count > 0 ? m with { ValidationAccuracyByDifficulty = byDifficulty } : m;
    }
}
