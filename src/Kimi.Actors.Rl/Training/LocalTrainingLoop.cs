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
        var indexOf = tasks.Train.Select((p, i) => (p.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var rollout = IterationSteps.RolloutSettings(options);
        var buffer = new ReplayBuffer();
        using var trainer = new PolicyTrainer(policy, options.Optimization);

        _observer.OnPhase("rl", options.Iterations);
        for (int it = 0; it < options.Iterations; it++)
        {
            cancel.ThrowIfCancellationRequested();
            var iterWatch = Stopwatch.StartNew();
            sampler.OnIterationStart(it);
            var (requests, resumed, _) = IterationSteps.PlanRollouts(buffer, sampler, tasks.Train, options, it, tokenizer);
            var (trajectories, gen) = RolloutWorker.Generate(policy, requests, rollout, policyVersion: it, seed: Seeds.Derive(options.Seed, Seeds.Rollouts, it));

            var judgeWatch = Stopwatch.StartNew();
            var judged = trajectories.Where(t => t.Finished).Select(t => RewardJudging.Judge(t, tasks.Train[indexOf[t.PromptId]], tokenizer)).ToList();
            IterationSteps.Absorb(buffer, judged, trajectories.Where(t => !t.Finished));
            var groups = new List<TrainingGroup>();
            foreach (var complete in buffer.TakeComplete())
            {
                groups.Add(IterationSteps.Group(complete, options, it));
                sampler.Record(indexOf[complete.PromptId], complete.K, complete.Finished.Count(j => j.Correct));
            }
            var judgeTime = judgeWatch.Elapsed;

            // A tiny budget can leave an iteration with no complete group: nothing to train, the weights stay.
            var train = groups.Count > 0
                ? trainer.Train(groups, Seeds.Random(options.Seed, Seeds.Shuffle, it), currentVersion: it, options.Optimization.Segments)
                : TrainStepStats.Idle;
            double iterationSeconds = iterWatch.Elapsed.TotalSeconds;

            var report = IterationSteps.EvaluateAfter(it, options.Iterations, options) ? Evaluate("rl", it + 1) : null;
            _observer.OnIteration(IterationSteps.Metrics(it, it + 1, groups, options, train, gen.NewTokens, gen.Elapsed.TotalSeconds,
                judgeTime.TotalSeconds, iterationSeconds, sampler.MaxEligibleDifficulty, report,
                RolloutCounts.Of(trajectories, resumed), 1 - gen.Elapsed.TotalSeconds / Math.Max(iterationSeconds, 1e-9), buffer.UnfinishedCount));
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
