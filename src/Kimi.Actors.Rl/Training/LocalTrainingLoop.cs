using System.Diagnostics;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Rl.Shaping;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Training;

/// <summary>Outcome of a run: accuracies before and after RL on the same held-out prompts.</summary>
public sealed record RunResult(HeldOutEvaluation Sft, HeldOutEvaluation Rl, int Iterations, TimeSpan Wall);

/// <summary>
/// The k1.5 loop in one process: sample → generate k per prompt → verify → shape rewards → train.
/// Deliberately thin: every step is an operation the actor system composes the same way.
/// </summary>
public sealed class LocalTrainingLoop(RunOptions options, LlamaForCausalLM policy, TaskSuite tasks, ITokenizer tokenizer, ITrainingObserver? observer = null)
{
    private readonly ITrainingObserver _observer = observer ?? new NullObserver();
    private sealed class NullObserver : ITrainingObserver;

    public RunResult Run(CancellationToken cancel = default)
    {
        var wall = Stopwatch.StartNew();
        _observer.OnPhase("sft", options.Sft.Steps);
        SftTrainer.Train(policy, options.Sft,
            step => tasks.Demonstrations(options.Sft.SequencesPerStep, options.Sft.FlawRate, options.Seed, step, tokenizer),
            tokenizer.PadId, _observer.OnSftStep, cancel);
        if (options.Sft.Steps > 0) _observer.OnSftComplete(policy);

        var sftReport = Evaluate("sft", 0);
        var sampler = new PromptSampler(tasks.Train.Select(p => p.Difficulty).ToList(), options.Sampling);
        var rng = Seeds.Random(options.Seed, Seeds.Sampler);
        var shuffle = Seeds.Random(options.Seed, Seeds.Shuffle);
        var lengthPenalty = new LengthPenaltySchedule(options.LengthPenalty.Weight, options.LengthPenalty.WarmupIterations);
        var rollout = new RolloutSettings
        {
            Temperature = options.Rollout.Temperature, TopP = options.Rollout.TopP,
            MaxResponseTokens = options.Rollout.MaxResponseTokens, MaxBatchSize = options.Rollout.MaxBatchSize,
        };
        using var trainer = new PolicyTrainer(policy, options.Optimization);

        _observer.OnPhase("rl", options.Iterations);
        for (int it = 0; it < options.Iterations; it++)
        {
            cancel.ThrowIfCancellationRequested();
            var iterWatch = Stopwatch.StartNew();
            sampler.OnIterationStart(it);
            var drawn = sampler.Draw(options.Rollout.PromptsPerIteration, rng);
            var requests = drawn.SelectMany(i => Enumerable.Range(0, options.Rollout.SamplesPerPrompt)
                .Select(k => new RolloutRequest(tasks.Train[i].Id, PromptTokens.Encode(tokenizer, tasks.Train[i].Prompt), it, k))).ToList();

            var (trajectories, gen) = RolloutWorker.Generate(policy, requests, rollout, policyVersion: it, seed: Seeds.Derive(options.Seed, Seeds.Rollouts, it));

            var judgeWatch = Stopwatch.StartNew();
            var groups = new List<TrainingGroup>(drawn.Length);
            for (int g = 0; g < drawn.Length; g++)
            {
                var prompt = tasks.Train[drawn[g]];
                var judged = trajectories.Skip(g * options.Rollout.SamplesPerPrompt).Take(options.Rollout.SamplesPerPrompt)
                    .Select(t => RewardJudging.Judge(t, prompt, tokenizer)).ToList();
                groups.Add(RewardShaper.Shape(prompt.Id, requests[g * options.Rollout.SamplesPerPrompt].PromptTokens, judged, lengthPenalty, it));
                sampler.Record(drawn[g], judged.Count, judged.Count(j => j.Correct));
            }
            var judgeTime = judgeWatch.Elapsed;

            var train = trainer.Train(groups, shuffle, currentVersion: it);

            HeldOutEvaluation? report = null;
            bool evalNow = options.Eval.EveryIterations > 0 && (it + 1) % options.Eval.EveryIterations == 0 && it + 1 < options.Iterations;
            if (evalNow) report = Evaluate("rl", it + 1);

            var all = groups.SelectMany(g => g.Samples).ToList();
            double w = lengthPenalty.WeightAt(it);
            _observer.OnIteration(new IterationMetrics
            {
                Iteration = it, WeightVersion = it + 1, Prompts = groups.Count, Samples = all.Count,
                RewardMean = groups.SelectMany(g => g.ShapedRewards).Average(),
                Accuracy = all.Count(s => s.Correct) / (double)all.Count,
                ResponseLengthMean = all.Average(s => s.Trajectory.Length),
                LengthPenaltyMean = w * groups.SelectMany(g => g.LengthRewards).Average(), LengthPenaltyWeight = w,
                Loss = train.Loss, LogRatioMean = train.MeanLogRatio, LogRatioAbsMean = train.MeanAbsLogRatio,
                GradNorm = train.GradNorm, RolloutMismatch = train.RolloutMismatch, LearningRate = train.LearningRate,
                RolloutTokensPerSecond = gen.TokensPerSecond, TrainTokensPerSecond = train.TokensPerSecond,
                MaxEligibleDifficulty = sampler.MaxEligibleDifficulty,
                IterationSeconds = iterWatch.Elapsed.TotalSeconds - (report is null ? 0 : report.Greedy.Elapsed.TotalSeconds + report.Sampled.Elapsed.TotalSeconds),
                GenerationSeconds = gen.Elapsed.TotalSeconds, JudgeSeconds = judgeTime.TotalSeconds, TrainSeconds = train.Elapsed.TotalSeconds,
                HeldOutAccuracy = report?.Accuracy,
                HeldOutAccuracyByDifficulty = report?.Primary.ByDifficulty.ToDictionary(p => p.Key, p => p.Value.Accuracy),
            });
        }
        var last = Evaluate("rl", options.Iterations);
        return new RunResult(sftReport, last, options.Iterations, wall.Elapsed);
    }

    private HeldOutEvaluation Evaluate(string label, int iteration)
    {
        var report = HeldOut.Evaluate(policy, tasks.HeldOut, tokenizer, options);
        _observer.OnEvaluation(label, iteration, report);
        return report;
    }
}
