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
    public double RolloutTokensPerSecond { get; init; }
    public double TrainTokensPerSecond { get; init; }
    public int MaxEligibleDifficulty { get; init; }
    public double IterationSeconds { get; init; }
    public double GenerationSeconds { get; init; }
    public double JudgeSeconds { get; init; }
    public double TrainSeconds { get; init; }
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
    /// <summary>Held-out greedy accuracy when this iteration was evaluated, with per-difficulty slices.</summary>
    public double? HeldOutAccuracy { get; init; }
    public IReadOnlyDictionary<int, double>? HeldOutAccuracyByDifficulty { get; init; }

    /// <summary>Flat snake_case row for JSONL, TensorBoard and charts.</summary>
    public IReadOnlyDictionary<string, double> ToRow()
    {
        var row = new Dictionary<string, double>
        {
            ["iteration"] = Iteration, ["weight_version"] = WeightVersion, ["prompts"] = Prompts, ["samples"] = Samples,
            ["reward_mean"] = RewardMean, ["accuracy"] = Accuracy, ["response_length_mean"] = ResponseLengthMean,
            ["length_penalty_mean"] = LengthPenaltyMean, ["length_penalty_weight"] = LengthPenaltyWeight,
            ["loss"] = Loss, ["log_ratio_mean"] = LogRatioMean, ["log_ratio_abs_mean"] = LogRatioAbsMean,
            ["grad_norm"] = GradNorm, ["rollout_mismatch"] = RolloutMismatch, ["learning_rate"] = LearningRate,
            ["rollout_tokens_per_s"] = RolloutTokensPerSecond, ["train_tokens_per_s"] = TrainTokensPerSecond,
            ["max_eligible_difficulty"] = MaxEligibleDifficulty, ["iteration_seconds"] = IterationSeconds,
            ["generation_seconds"] = GenerationSeconds, ["judge_seconds"] = JudgeSeconds, ["train_seconds"] = TrainSeconds,
            ["responses"] = Responses, ["resumed"] = Resumed, ["cut_fraction"] = CutFraction, ["repeat_stops"] = RepeatStops,
            ["max_length_stops"] = MaxLengthStops, ["pending_responses"] = PendingResponses,
            ["segments_per_response"] = SegmentsPerResponse, ["generator_idle_fraction"] = GeneratorIdleFraction,
            ["trained_tokens"] = TrainedTokens, ["trained_tokens_per_s"] = TrainedTokensPerSecond,
        };
        if (HeldOutAccuracy is { } h) row["heldout_accuracy"] = h;
        if (HeldOutAccuracyByDifficulty is { } byD)
            foreach (var (d, a) in byD) row[$"heldout_accuracy_d{d}"] = a;
        return row;
    }
}
