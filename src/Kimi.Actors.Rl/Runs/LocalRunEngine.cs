using System.Diagnostics;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Runs;

/// <summary>Outcome of a run: accuracies before and after RL on the same held-out prompts.</summary>
public sealed record RunResult(HeldOutEvaluation Sft, HeldOutEvaluation Rl, int Iterations, TimeSpan Wall, RunFinished Finished);

/// <summary>A run the local engine could not finish (a worker refused a request, no prompt left to draw, ...).</summary>
public sealed class RunFailedException(string reason) : Exception(reason);

/// <summary>
/// Adjustments benchmarks and tests make: per-request length caps, decoding settings, and a look at every training
/// step's groups (the trajectories themselves, which the facts only name).
/// </summary>
public sealed record LocalEngineHooks(Func<RolloutRequest, RolloutRequest>? ShapeRequest = null, Func<RolloutSettings, RolloutSettings>? Rollout = null,
    Action<TrainGroups>? OnTrain = null);

/// <summary>
/// The local engine: <see cref="RunMachine"/> driven in one process, every command performed here at once with the same
/// operations the workers use (RolloutWorker, RewardJudging, TrainerSession, WarmupSft, HeldOut). One policy serves as
/// trainer and generator, so loading weights is a confirmation and a checkpoint is the policy in memory. There is no
/// journal: facts are kept in <see cref="Facts"/>, and a local run cannot be resumed.
/// </summary>
public sealed class LocalRunEngine : IDisposable
{
    private static readonly CheckpointRef InMemory = new("memory", "");
    private readonly RunOptions _options;
    private readonly LlamaForCausalLM _policy;
    private readonly ITokenizer _tokenizer;
    private readonly ITrainingObserver? _observer;
    private readonly LocalEngineHooks _hooks;
    private readonly TrainerSession _trainer;
    private readonly RunContext _context;
    private readonly Queue<IRunInput> _inputs = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<PromptId, HashSet<TrajectoryId>> _recorded = [];
    private readonly List<IRunFact> _facts = [];
    private RunMachine _machine = null!;
    private long _version;
    private bool _sftStarted, _rlStarted;
    private RunFinished? _finished;

    public LocalRunEngine(RunOptions options, TaskSuite tasks, ITokenizer tokenizer, LlamaForCausalLM policy, ITrainingObserver? observer = null,
        LocalEngineHooks? hooks = null)
    {
        _options = options;
        _policy = policy;
        _tokenizer = tokenizer;
        _observer = observer;
        _hooks = hooks ?? new LocalEngineHooks();
        _trainer = new TrainerSession(policy);
        _context = new RunContext(RunId.Parse(string.IsNullOrEmpty(options.RunId) ? "local" : options.RunId), tasks, tokenizer, options.Sampling,
            policy.Config.Vision?.Layout);
    }

    public RunContext Context => _context;
    public IReadOnlyList<IRunFact> Facts => _facts;

    /// <summary>The whole run: warm-up SFT, its evaluation, the iterations, the final evaluation.</summary>
    public RunResult Run(CancellationToken cancel = default)
    {
        var wall = Stopwatch.StartNew();
        Start(RunProgress.New.Apply(new TargetSet(_options.Iterations)));
        Drive(() => _machine.IsOver, cancel);
        if (_machine.Phase == RunPhase.Failed) throw new RunFailedException(_machine.FailureReason!);
        var f = _finished!;
        return new RunResult(f.Sft ?? f.Final, f.Final, f.EndIteration - f.StartIteration, wall.Elapsed, f);
    }

    /// <summary>
    /// Iterations on the policy as it is (no SFT, no evaluations), until <paramref name="enough"/> says so after a
    /// committed iteration; returns every iteration's metrics. For benchmarks.
    /// </summary>
    public IReadOnlyList<IterationMetrics> RunIterations(Func<IReadOnlyList<IterationMetrics>, bool> enough, CancellationToken cancel = default)
    {
        var metrics = new List<IterationMetrics>();
        var progress = RunProgress.New with { TargetIterations = int.MaxValue, SftDone = true, Checkpoint = InMemory };
        Start(progress, new MetricsCollector(metrics, () => _halted = enough(metrics)));
        Drive(() => _machine.IsOver || _halted, cancel);
        if (_machine.Phase == RunPhase.Failed) throw new RunFailedException(_machine.FailureReason!);
        return metrics;
    }

    private bool _halted;

    private sealed class MetricsCollector(List<IterationMetrics> metrics, Action after) : ITrainingObserver
    {
        public void OnIteration(IterationMetrics m)
        {
            metrics.Add(m);
            after();
        }
    }

    private ITrainingObserver? _reportTo;

    private void Start(RunProgress progress, ITrainingObserver? reportTo = null)
    {
        _reportTo = reportTo ?? _observer;
        var decision = RunMachine.Start(_context, _context.RunId, _options, progress, generatorSlots: 1, judgeSlots: 1, session: 1);
        _machine = decision.State;
        Execute(decision.Commands);
    }

    private void Drive(Func<bool> done, CancellationToken cancel)
    {
        while (!done())
        {
            cancel.ThrowIfCancellationRequested();
            if (!_inputs.TryDequeue(out var input))
                throw new InvalidOperationException($"the local engine has nothing left to do in phase {_machine.Phase}");
            var decision = _machine.Next(_context, input, _clock.Elapsed);
            _machine = decision.State;
            Execute(decision.Commands);
        }
    }

    private void Execute(IReadOnlyList<IRunCommand> commands)
    {
        foreach (var command in commands)
        {
            // Halted (a benchmark has enough iterations): the next iteration's work is not started.
            if (_halted) return;
            if (Perform(command) is { } reply) _inputs.Enqueue(reply);
        }
    }

    private IRunInput? Perform(IRunCommand command)
    {
        switch (command)
        {
            case AttachTrainer: return new TrainerAvailable(1);
            case AttachGenerator g: return new GeneratorAvailable(g.Slot, 1);
            case LoadPromptCounts: return new PromptCountsLoaded(new Dictionary<PromptId, PromptCounts>());
            case InitPolicy m:
                return new PolicyReady(m.Request, _version, _policy.ParameterCount(), Device);
            case RunWarmupSft m:
            {
                var sw = Stopwatch.StartNew();
                WarmupSft.Run(_policy, _context.Tasks, m.Sft, m.Seed, _tokenizer, step => Observe(new SftStepReported(step)));
                return new SftDone(m.Request, Published(++_version), sw.Elapsed.TotalSeconds);
            }
            case SaveCheckpoint m: return new CheckpointSaved(m.Request, m.Version, InMemory);
            case RestoreCheckpoint m when m.Checkpoint == InMemory:
                _version = m.Version;
                return new PolicyRestored(m.Request, Published(m.Version), _policy.ParameterCount(), Device);
            case RestoreCheckpoint m: return new WorkRejected(m.Request, "the local engine keeps no durable checkpoints; resume needs the cluster engine");
            case LoadWeights m: return new PolicyReady(m.Request, m.Weights.Version, _policy.ParameterCount(), Device);
            case Generate m:
            {
                var requests = _hooks.ShapeRequest is { } shape ? m.Requests.Select(shape).ToList() : m.Requests;
                var settings = _hooks.Rollout is { } adjust ? adjust(m.Settings) : m.Settings;
                var (trajectories, stats) = RolloutWorker.Generate(_policy, requests, settings, _version, m.Seed);
                return new BatchGenerated(m.Request, trajectories, stats.NewTokens, stats.Elapsed.TotalSeconds, stats.Decoding);
            }
            case Judge m:
            {
                var sw = Stopwatch.StartNew();
                var judged = m.Items.Select(i => RewardJudging.Judge(i.Trajectory, i.Prompt, _tokenizer)).ToList();
                return new TrajectoriesJudged(m.Request, judged, sw.Elapsed.TotalSeconds);
            }
            case RecordGroup m: return Record(m);
            case TrainGroups m:
            {
                _hooks.OnTrain?.Invoke(m);
                var sw = Stopwatch.StartNew();
                var (stats, consumed) = _trainer.Train(m.Groups, m.Optimization, m.Iteration, m.CurrentVersion, m.Seed, m.LearningRate);
                return new IterationTrained(m.Request, stats, Published(++_version), consumed, sw.Elapsed.TotalSeconds);
            }
            case Evaluate m:
            {
                var sw = Stopwatch.StartNew();
                return new HeldOutEvaluated(m.Request, HeldOut.Evaluate(_policy, m.Prompts, _tokenizer, m.Plan), sw.Elapsed.TotalSeconds);
            }
            case Persist m: _facts.Add(m.Fact); return null;
            case Report m: Observe(m.Progress); return null;
            case ReleaseWeights or SetResendTimer or DetachWorkers: return null;
            default: throw new InvalidOperationException($"the local engine cannot perform {command.GetType().Name}");
        }
    }

    /// <summary>What a Prompt entity does: each trajectory counts once.</summary>
    private GroupRecorded Record(RecordGroup m)
    {
        if (!_recorded.TryGetValue(m.Group.Prompt, out var seen)) _recorded[m.Group.Prompt] = seen = [];
        var fresh = m.Samples.Where(s => seen.Add(s.Trajectory)).ToList();
        return new GroupRecorded(m.Group, fresh.Count, fresh.Count(s => s.Correct));
    }

    private void Observe(IRunReport report)
    {
        var o = _reportTo;
        if (o is null) { if (report is RunFinished f) _finished = f; return; }
        switch (report)
        {
            case SftStepReported s:
                if (!_sftStarted) { _sftStarted = true; o.OnPhase("sft", _options.Sft.Steps); }
                o.OnSftStep(s.Step);
                break;
            case CheckpointReported { Label: CheckpointLabel.Sft } when _options.Sft.Steps > 0: o.OnSftComplete(_policy); break;
            case EvaluationReported e: o.OnEvaluation(LabelText(e.Label), e.Iteration, e.Evaluation); break;
            case IterationReported i:
                if (!_rlStarted) { _rlStarted = true; o.OnPhase("rl", _options.Iterations); }
                o.OnIteration(i.Metrics);
                break;
            case RunWarning w: o.OnWarning(w.Message); break;
            case RunFinished f: _finished = f; break;
        }
    }

    /// <summary>The label observers and metrics files use for an evaluation: "sft" and "final" are on the test set, "validation" on the validation set.</summary>
    public static string LabelText(EvaluationLabel label) => label switch
    {
        EvaluationLabel.Sft => SftLabel,
        EvaluationLabel.Periodic => ValidationLabel,
        _ => FinalLabel,
    };

    public const string SftLabel = "sft", ValidationLabel = "validation", FinalLabel = "final";

    private WeightsPublished Published(long version) => new(_context.RunId, version, "memory", "", 0);

    private string Device => _policy.parameters().First().device.ToString();

    public void Dispose() => _trainer.Dispose();
}
