using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Shaping;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Training;

/// <summary>
/// The pure pieces of one RL iteration that every orchestrator (the local loop, the Run entity) shares: which
/// requests to make, how judged samples become training groups, and what the iteration reports.
/// </summary>
public static class IterationSteps
{
    /// <summary>k requests per drawn prompt, group-major (all samples of the first prompt, then the next...).</summary>
    public static List<RolloutRequest> Requests(IReadOnlyList<PromptRecord> prompts, IReadOnlyList<int> drawn, int samplesPerPrompt, int iteration, ITokenizer tokenizer)
    {
        var requests = new List<RolloutRequest>(drawn.Count * samplesPerPrompt);
        foreach (int i in drawn)
        {
            var tokens = PromptTokens.Encode(tokenizer, prompts[i].Prompt);
            for (int k = 0; k < samplesPerPrompt; k++) requests.Add(new RolloutRequest(prompts[i].Id, tokens, iteration, k));
        }
        return requests;
    }

    public static RolloutSettings RolloutSettings(RunOptions options) => new()
    {
        Temperature = options.Rollout.Temperature, TopP = options.Rollout.TopP,
        MaxResponseTokens = options.Rollout.MaxResponseTokens, MaxBatchSize = options.Rollout.MaxBatchSize,
    };

    public static LengthPenaltySchedule LengthPenalty(RunOptions options) =>
        new(options.LengthPenalty.Weight, options.LengthPenalty.WarmupIterations);

    /// <summary>Shapes one prompt's judged samples (in sample order) into a training group.</summary>
    public static TrainingGroup Group(PromptRecord prompt, int[] promptTokens, IReadOnlyList<JudgedTrajectory> judged, RunOptions options, int iteration) =>
        RewardShaper.Shape(prompt.Id, promptTokens, judged.OrderBy(j => j.Trajectory.Sample).ToList(), LengthPenalty(options), iteration);

    /// <summary>What one iteration did and cost, from its groups and the measurements of each phase.</summary>
    public static IterationMetrics Metrics(int iteration, long weightVersion, IReadOnlyList<TrainingGroup> groups, RunOptions options,
        TrainStepStats train, long newTokens, double generationSeconds, double judgeSeconds, double iterationSeconds,
        int maxEligibleDifficulty, HeldOutEvaluation? heldOut)
    {
        var all = groups.SelectMany(g => g.Samples).ToList();
        double w = LengthPenalty(options).WeightAt(iteration);
        return new IterationMetrics
        {
            Iteration = iteration, WeightVersion = weightVersion, Prompts = groups.Count, Samples = all.Count,
            RewardMean = groups.SelectMany(g => g.ShapedRewards).DefaultIfEmpty().Average(),
            Accuracy = all.Count == 0 ? 0 : all.Count(s => s.Correct) / (double)all.Count,
            ResponseLengthMean = all.Count == 0 ? 0 : all.Average(s => s.Trajectory.Length),
            LengthPenaltyMean = w * groups.SelectMany(g => g.LengthRewards).DefaultIfEmpty().Average(), LengthPenaltyWeight = w,
            Loss = train.Loss, LogRatioMean = train.MeanLogRatio, LogRatioAbsMean = train.MeanAbsLogRatio,
            GradNorm = train.GradNorm, RolloutMismatch = train.RolloutMismatch, LearningRate = train.LearningRate,
            RolloutTokensPerSecond = generationSeconds > 0 ? newTokens / generationSeconds : 0,
            TrainTokensPerSecond = train.TokensPerSecond,
            MaxEligibleDifficulty = maxEligibleDifficulty,
            IterationSeconds = iterationSeconds, GenerationSeconds = generationSeconds, JudgeSeconds = judgeSeconds,
            TrainSeconds = train.Elapsed.TotalSeconds,
            HeldOutAccuracy = heldOut?.Accuracy,
            HeldOutAccuracyByDifficulty = heldOut?.Primary.ByDifficulty.ToDictionary(p => p.Key, p => p.Value.Accuracy),
        };
    }

    /// <summary>Whether the held-out set is evaluated after iteration <paramref name="iteration"/> (not after the last: the final evaluation covers it).</summary>
    public static bool EvaluateAfter(int iteration, int lastIteration, RunOptions options) =>
        options.Eval.EveryIterations > 0 && (iteration + 1) % options.Eval.EveryIterations == 0 && iteration + 1 < lastIteration;
}
