using System.Diagnostics;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Training;

/// <summary>
/// RL iterations in one process, one after another: plan (resume cut responses, draw prompts) → generate under the
/// token budget → judge the finished → train the complete groups. Holds what lives across iterations (sampler, replay
/// buffer, trainer). The local loop runs it after warm-up SFT; benchmarks run it directly.
/// </summary>
public sealed class InProcessIterations : IDisposable
{
    private readonly RunOptions _options;
    private readonly LlamaForCausalLM _policy;
    private readonly IReadOnlyList<PromptRecord> _prompts;
    private readonly ITokenizer _tokenizer;
    private readonly Dictionary<string, int> _indexOf;
    private readonly PolicyTrainer _trainer;
    private readonly Func<RolloutRequest, RolloutRequest>? _shapeRequest;

    /// <param name="shapeRequest">Adjusts each planned request before generation (e.g. a per-prompt length cap); null leaves them.</param>
    public InProcessIterations(RunOptions options, LlamaForCausalLM policy, IReadOnlyList<PromptRecord> prompts, ITokenizer tokenizer,
        RolloutSettings? rollout = null, Func<RolloutRequest, RolloutRequest>? shapeRequest = null)
    {
        _options = options;
        _policy = policy;
        _prompts = prompts;
        _tokenizer = tokenizer;
        _shapeRequest = shapeRequest;
        Rollout = rollout ?? IterationSteps.RolloutSettings(options);
        Sampler = new PromptSampler(prompts.Select(p => p.Difficulty).ToList(), options.Sampling);
        _indexOf = prompts.Select((p, i) => (p.Id, i)).ToDictionary(x => x.Id, x => x.i);
        _trainer = new PolicyTrainer(policy, options.Optimization);
    }

    public PromptSampler Sampler { get; }
    public ReplayBuffer Buffer { get; } = new();
    public RolloutSettings Rollout { get; }
    /// <summary>The groups the last iteration trained.</summary>
    public IReadOnlyList<TrainingGroup> LastTrained { get; private set; } = [];
    /// <summary>How the last iteration's responses ended.</summary>
    public RolloutCounts LastRollout { get; private set; } = RolloutCounts.None;

    /// <summary>Runs iteration <paramref name="iteration"/>; <paramref name="evaluate"/> supplies a held-out evaluation to report with it.</summary>
    public IterationMetrics Run(int iteration, Func<HeldOutEvaluation?>? evaluate = null)
    {
        var iterWatch = Stopwatch.StartNew();
        Sampler.OnIterationStart(iteration);
        var (requests, resumed, _) = IterationSteps.PlanRollouts(Buffer, Sampler, _prompts, _options, iteration, _tokenizer);
        if (_shapeRequest is not null) requests = requests.Select(_shapeRequest).ToList();
        var (trajectories, gen) = RolloutWorker.Generate(_policy, requests, Rollout, policyVersion: iteration,
            seed: Seeds.Derive(_options.Seed, Seeds.Rollouts, iteration));

        var judgeWatch = Stopwatch.StartNew();
        var judged = trajectories.Where(t => t.Finished)
            .Select(t => RewardJudging.Judge(t, _prompts[_indexOf[t.PromptId]], _tokenizer)).ToList();
        IterationSteps.Absorb(Buffer, judged, trajectories.Where(t => !t.Finished));
        var groups = new List<TrainingGroup>();
        foreach (var complete in Buffer.TakeComplete())
        {
            groups.Add(IterationSteps.Group(complete, _options, iteration));
            Sampler.Record(_indexOf[complete.PromptId], complete.K, complete.Finished.Count(j => j.Correct));
        }
        var judgeTime = judgeWatch.Elapsed;

        // A tiny budget can leave an iteration with no complete group: nothing to train, the weights stay.
        var train = groups.Count > 0
            ? _trainer.Train(groups, Seeds.Random(_options.Seed, Seeds.Shuffle, iteration), currentVersion: iteration, _options.Optimization.Segments)
            : TrainStepStats.Idle;
        double iterationSeconds = iterWatch.Elapsed.TotalSeconds;
        LastTrained = groups;
        LastRollout = RolloutCounts.Of(trajectories, resumed);

        var report = evaluate?.Invoke();
        return IterationSteps.Metrics(iteration, iteration + 1, groups, _options, train, gen.NewTokens, gen.Elapsed.TotalSeconds,
            judgeTime.TotalSeconds, iterationSeconds, Sampler.MaxEligibleDifficulty, report,
            LastRollout, 1 - gen.Elapsed.TotalSeconds / Math.Max(iterationSeconds, 1e-9), Buffer.UnfinishedCount);
    }

    public void Dispose() => _trainer.Dispose();
}
