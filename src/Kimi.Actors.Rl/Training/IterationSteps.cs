using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Sampling;
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

    /// <summary>
    /// The iteration's rollout work: every unfinished response in <paramref name="buffer"/> is resumed first, then fresh
    /// prompts are drawn until prompts-per-iteration groups are in flight (a prompt whose group is still open is not
    /// drawn again), and their groups opened. Keeping the groups in flight constant bounds the rows a generator decodes,
    /// so a backlog of long responses never grows without end. Returns the requests (continuations, then k per fresh
    /// prompt, group-major), how many are continuations, and the drawn indices.
    /// </summary>
    public static (List<RolloutRequest> Requests, int Resumed, int[] Drawn) PlanRollouts(ReplayBuffer buffer, PromptSampler sampler,
        IReadOnlyList<PromptRecord> prompts, RunOptions options, int iteration, ITokenizer tokenizer)
    {
        var requests = buffer.Continuations();
        int resumed = requests.Count;
        int wanted = Math.Max(0, options.Rollout.PromptsPerIteration - buffer.OpenGroups);
        // Drawing without replacement and skipping open prompts samples the rest by the same weights.
        var drawn = sampler.Draw(wanted + buffer.OpenGroups, Seeds.Random(options.Seed, Seeds.Sampler, iteration))
            .Where(i => !buffer.IsOpen(prompts[i].Id)).Take(wanted).ToArray();
        var fresh = Requests(prompts, drawn, options.Rollout.SamplesPerPrompt, iteration, tokenizer);
        for (int g = 0; g < drawn.Length; g++)
            buffer.Open(prompts[drawn[g]].Id, iteration, options.Rollout.SamplesPerPrompt, fresh[g * options.Rollout.SamplesPerPrompt].PromptTokens);
        requests.AddRange(fresh);
        return (requests, resumed, drawn);
    }

    /// <summary>
    /// Splits requests over <paramref name="generators"/> by group (all samples of a group on one generator, so the
    /// group finishes under one schedule), continuations first on each.
    /// </summary>
    public static List<List<RolloutRequest>> Split(IReadOnlyList<RolloutRequest> requests, int generators)
    {
        var parts = Enumerable.Range(0, generators).Select(_ => new List<RolloutRequest>()).ToList();
        var slotOf = new Dictionary<GroupKey, int>();
        foreach (var r in requests)
        {
            var key = new GroupKey(r.PromptId, r.Iteration);
            if (!slotOf.TryGetValue(key, out int slot)) slotOf[key] = slot = slotOf.Count % generators;
            parts[slot].Add(r);
        }
        return parts;
    }

    public static RolloutSettings RolloutSettings(RunOptions options) => new()
    {
        Temperature = options.Rollout.Temperature, TopP = options.Rollout.TopP,
        MaxResponseTokens = options.Rollout.MaxResponseTokens, MaxBatchSize = options.Rollout.MaxBatchSize,
        TokenBudget = options.Rollout.TokenBudget,
        RepeatDetector = options.Rollout.Repeat.Enabled
            ? new PeriodicRepeatDetector(options.Rollout.Repeat.MaxPeriod, options.Rollout.Repeat.MinSpan).Validate()
            : null,
    };

    /// <summary>
    /// Takes generated responses into the buffer: finished ones with their verdicts, cut ones to be resumed
    /// (duplicates are refused and counted by the buffer).
    /// </summary>
    public static void Absorb(ReplayBuffer buffer, IEnumerable<JudgedTrajectory> judged, IEnumerable<Trajectory> unfinished)
    {
        foreach (var j in judged) buffer.AddJudged(j);
        foreach (var t in unfinished) buffer.AddUnfinished(t);
    }

    public static LengthPenaltySchedule LengthPenalty(RunOptions options) =>
        new(options.LengthPenalty.Weight, options.LengthPenalty.WarmupIterations);

    /// <summary>Shapes one prompt's judged samples (in sample order) into a training group.</summary>
    public static TrainingGroup Group(PromptRecord prompt, int[] promptTokens, IReadOnlyList<JudgedTrajectory> judged, RunOptions options, int iteration) =>
        RewardShaper.Shape(prompt.Id, promptTokens, judged.OrderBy(j => j.Trajectory.Sample).ToList(), LengthPenalty(options), iteration,
            options.Rollout.Repeat.Penalty);

    /// <summary>Shapes a complete group from the replay buffer (rewards shaped at the iteration it trains in).</summary>
    public static TrainingGroup Group(OpenGroup group, RunOptions options, int iteration) =>
        RewardShaper.Shape(group.PromptId, group.PromptTokens, group.Finished, LengthPenalty(options), iteration, options.Rollout.Repeat.Penalty);

    /// <summary>What one iteration did and cost, from its groups and the measurements of each phase.</summary>
    public static IterationMetrics Metrics(int iteration, long weightVersion, IReadOnlyList<TrainingGroup> groups, RunOptions options,
        TrainStepStats train, long newTokens, double generationSeconds, double judgeSeconds, double iterationSeconds,
        int maxEligibleDifficulty, HeldOutEvaluation? heldOut, RolloutCounts? rollout = null, double generatorIdleFraction = 0, int pendingResponses = 0)
    {
        rollout ??= RolloutCounts.None;
        long trainedTokens = groups.SelectMany(g => g.Samples).Sum(s => (long)s.Trajectory.Length);
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
            Responses = rollout.Responses, Resumed = rollout.Resumed, CutFraction = rollout.CutFraction,
            RepeatStops = rollout.RepeatStops, MaxLengthStops = rollout.MaxLengthStops, PendingResponses = pendingResponses,
            SegmentsPerResponse = all.Count == 0 ? 0 : all.Average(s => Math.Max(1, s.Trajectory.Segments.Count)),
            GeneratorIdleFraction = generatorIdleFraction,
            TrainedTokens = trainedTokens, TrainedTokensPerSecond = iterationSeconds > 0 ? trainedTokens / iterationSeconds : 0,
            HeldOutAccuracy = heldOut?.Accuracy,
            HeldOutAccuracyByDifficulty = heldOut?.Primary.ByDifficulty.ToDictionary(p => p.Key, p => p.Value.Accuracy),
        };
    }

    /// <summary>Whether the held-out set is evaluated after iteration <paramref name="iteration"/> (not after the last: the final evaluation covers it).</summary>
    public static bool EvaluateAfter(int iteration, int lastIteration, RunOptions options) =>
        options.Eval.EveryIterations > 0 && (iteration + 1) % options.Eval.EveryIterations == 0 && iteration + 1 < lastIteration;
}
