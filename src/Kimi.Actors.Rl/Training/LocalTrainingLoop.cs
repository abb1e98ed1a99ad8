using System.Diagnostics;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Sampling;
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
        var rollout = IterationSteps.RolloutSettings(options);
        using var trainer = new PolicyTrainer(policy, options.Optimization);

        _observer.OnPhase("rl", options.Iterations);
        for (int it = 0; it < options.Iterations; it++)
        {
            cancel.ThrowIfCancellationRequested();
            var iterWatch = Stopwatch.StartNew();
            sampler.OnIterationStart(it);
            var drawn = sampler.Draw(options.Rollout.PromptsPerIteration, Seeds.Random(options.Seed, Seeds.Sampler, it));
            var requests = IterationSteps.Requests(tasks.Train, drawn, options.Rollout.SamplesPerPrompt, it, tokenizer);
            var (trajectories, gen) = RolloutWorker.Generate(policy, requests, rollout, policyVersion: it, seed: Seeds.Derive(options.Seed, Seeds.Rollouts, it));

            var judgeWatch = Stopwatch.StartNew();
            int k = options.Rollout.SamplesPerPrompt;
            var groups = new List<TrainingGroup>(drawn.Length);
            for (int g = 0; g < drawn.Length; g++)
            {
                var prompt = tasks.Train[drawn[g]];
                var judged = trajectories.Skip(g * k).Take(k).Select(t => RewardJudging.Judge(t, prompt, tokenizer)).ToList();
                groups.Add(IterationSteps.Group(prompt, requests[g * k].PromptTokens, judged, options, it));
                sampler.Record(drawn[g], judged.Count, judged.Count(j => j.Correct));
            }
            var judgeTime = judgeWatch.Elapsed;

            var train = trainer.Train(groups, Seeds.Random(options.Seed, Seeds.Shuffle, it), currentVersion: it);
            double iterationSeconds = iterWatch.Elapsed.TotalSeconds;

            var report = IterationSteps.EvaluateAfter(it, options.Iterations, options) ? Evaluate("rl", it + 1) : null;
            _observer.OnIteration(IterationSteps.Metrics(it, it + 1, groups, options, train, gen.NewTokens, gen.Elapsed.TotalSeconds,
                judgeTime.TotalSeconds, iterationSeconds, sampler.MaxEligibleDifficulty, report));
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
