using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Judge;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Rollout;
using Kimi.Actors.Cluster.Trainer;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Rl.Training;
using static Kimi.Actors.Cluster.Protocol.GeneratorProtocol;
using static Kimi.Actors.Cluster.Protocol.JudgeProtocol;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;
using static Kimi.Actors.Cluster.Protocol.TrainerProtocol;
using static Kimi.Actors.Cluster.Protocol.WeightSyncProtocol;
using static Kimi.Actors.Cluster.Protocol.WorkerProtocol;

namespace Kimi.Actors.Cluster.Run;

/// <summary>
/// The Run entity (sharded by run id, persistent): the k1.5 master of one training run. It owns the iteration loop as
/// a state machine — sampling → rolling out → judging → training → publishing weights → committing — the prompt index
/// (a sum tree rebuilt on recovery from the Prompt entities' tagged events), the configuration and hyperparameters, and
/// the committed weight version and checkpoint. Every operation (generate, judge, shape, train) is one of Kimi.Actors.Rl's;
/// the Run only decides what runs where and when, and what is durable.
/// </summary>
public sealed class RunActor : ReceivePersistentActor, IWithTimers
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ITokenizer _tokenizer = CharTokenizer.Instance;
    private RunState _state;
    private readonly HashSet<IActorRef> _subscribers = [];
    private IActorRef? _requester;

    // Rebuilt from the configuration whenever the run becomes active (deterministic from the seed).
    private RunOptions _options = null!;
    private RunNodeSettings _node = null!;
    private TaskSuite _tasks = null!;
    private PromptSampler _sampler = null!;
    private Dictionary<string, int> _indexOf = null!;
    private PromptSpec[] _specs = null!;

    private IActorRef _trainer = ActorRefs.Nobody, _generators = ActorRefs.Nobody, _judges = ActorRefs.Nobody, _prompts = ActorRefs.Nobody;
    private IWeightStore _store = null!;
    private CheckpointStore _checkpoints = null!;

    private bool _trainerUp, _samplerReady;
    private readonly Dictionary<int, bool> _generatorUp = [];
    private WeightsPublished? _current;
    private bool _pauseRequested, _stopRequested;
    private int _sessionStart;
    private readonly List<double> _sessionOverheads = [];
    private string _phase = "idle";
    private long _requests;
    private List<PromptSpec> _heldOutSpecs = null!;

    // One outstanding "wait for all": publishing weights to every generator, or one evaluation.
    private readonly Dictionary<string, int> _syncPending = [];
    private Action? _afterSync;
    private string? _evalRequest;
    private Action<HeldOutEvaluation>? _afterEval;
    private IterationWork? _work;
    // Open groups and responses to resume; rebuilt from the last commit at the start of every iteration.
    private ReplayBuffer _buffer = new();

    public RunActor(string runId)
    {
        _state = RunState.Empty(runId);
        PersistenceId = "run-" + runId;
        Recover<IKimiEvent>(e => _state = _state.Apply(e));
        Idle();
    }

    public override string PersistenceId { get; }

    // Idle() ran before the journal was replayed; name the phase from the recovered state.
    protected override void OnReplaySuccess()
    {
        base.OnReplaySuccess();
        if (_phase is "new") _phase = IdlePhase();
    }

    private string IdlePhase() => _state.Completed ? "completed" : _state.Started ? "stopped" : "new";
    public ITimerScheduler Timers { get; set; } = null!;
    private string RunId => _state.RunId;

    // ---------------------------------------------------------------- states

    /// <summary>Not running: waits to be started or continued.</summary>
    private void Idle()
    {
        _phase = IdlePhase();
        Command<StartRun>(m =>
        {
            if (_state.Started)
            {
                Sender.Tell(new RunRejected(RunId, $"run {RunId} already exists; continue it with --resume {RunId}"));
                return;
            }
            RunOptions options;
            try { options = RunOptionsBinder.Bind(Akka.Configuration.ConfigurationFactory.ParseString(m.ConfigHocon), _tokenizer); }
            catch (ConfigException e)
            {
                Sender.Tell(new RunRejected(RunId, e.Message));
                return;
            }
            _requester = Sender;
            Persist(new RunStarted(RunId, m.ConfigHocon, options.Iterations, DateTime.UtcNow), e =>
            {
                _state = _state.Apply(e);
                Activate();
            });
        });
        Command<ContinueRun>(m =>
        {
            if (!_state.Started)
            {
                Sender.Tell(new RunRejected(RunId, $"no run with id {RunId} in the journal"));
                return;
            }
            if (m.AdditionalIterations < 0)
            {
                Sender.Tell(new RunRejected(RunId, $"additional iterations must be >= 0, got {m.AdditionalIterations}"));
                return;
            }
            _requester = Sender;
            if (m.AdditionalIterations is not { } more)
            {
                Activate();
                return;
            }
            Persist(new TargetExtended(RunId, _state.CommittedIterations + more), e =>
            {
                _state = _state.Apply(e);
                Activate();
            });
        });
        CommonCommands();
    }

    /// <summary>Attaching workers and rebuilding the prompt index; then SFT (new runs) or straight to iterating.</summary>
    private void Preparing()
    {
        _phase = "preparing";
        Command<TrainerAvailable>(m => { _trainerUp = true; PrepareStep(); });
        Command<GeneratorAvailable>(m => { _generatorUp[m.Slot] = true; PrepareStep(); });
        Command<SamplerCounts>(m =>
        {
            var unknown = PromptIndexRebuild.Restore(_sampler, _indexOf, m.Counts);
            if (unknown.Count > 0) _log.Warning("run {0}: {1} prompts in the journal are not in the prompt set (first: {2})", RunId, unknown.Count, unknown[0]);
            if (_state.CurriculumLevel > 0) _sampler.AdvanceCurriculumTo(_state.CurriculumLevel);
            _samplerReady = true;
            PrepareStep();
        });
        Command<Status.Failure>(f => Fail("rebuilding the prompt index failed: " + f.Cause.Message));
        WorkerReplies();
        CommonCommands();
    }

    /// <summary>Running: warm-up SFT, iterations, evaluations.</summary>
    private void Active()
    {
        WorkerReplies();
        Command<TrajectoriesJudged>(OnJudged);
        Command<GroupRecorded>(OnGroupRecorded);
        Command<Status.Failure>(f => Fail(f.Cause.Message));
        Command<ResendTick>(_ => ResendOutstanding());
        Command<TrainerAvailable>(_ => { });
        Command<GeneratorAvailable>(m => _generatorUp[m.Slot] = true);
        CommonCommands();
    }

    private void Paused()
    {
        _phase = "paused";
        Command<TrainerAvailable>(_ => { });
        Command<GeneratorAvailable>(m => _generatorUp[m.Slot] = true);
        CommonCommands();
    }

    // ---------------------------------------------------------------- commands valid in every state

    private void CommonCommands()
    {
        Command<SubscribeRun>(m =>
        {
            _subscribers.Add(m.Subscriber);
            Context.Watch(m.Subscriber);
        });
        Command<Terminated>(t => _subscribers.Remove(t.ActorRef));
        Command<GetRunStatus>(_ => Sender.Tell(new RunStatus(RunId, _phase, _state.CommittedIterations, _state.WeightVersion,
            _state.TargetIterations, _state.LastEvaluation?.Accuracy)));
        Command<PauseRun>(_ =>
        {
            if (_phase is "idle" or "new" or "stopped" or "completed" or "paused") { Sender.Tell(Status()); return; }
            _pauseRequested = true;
            Sender.Tell(Status());
        });
        Command<ResumeRun>(_ =>
        {
            _pauseRequested = false;
            if (_phase == "paused")
                Persist(new RunUnpaused(RunId), e => { _state = _state.Apply(e); Become(Active); StartIteration(); });
            Sender.Tell(Status());
        });
        Command<StopRun>(_ =>
        {
            _stopRequested = true;
            if (_phase == "paused") { Become(Active); Finish(); }
            Sender.Tell(Status());
        });
        Command<SetHyperparameter>(OnSetHyperparameter);
        Command<GeneratorUnavailable>(OnGeneratorUnavailable);
        Command<TrainerUnavailable>(m => Fail($"the trainer's worker is unavailable: {m.Reason}"));
    }

    private RunStatus Status() => new(RunId, _phase, _state.CommittedIterations, _state.WeightVersion, _state.TargetIterations,
        _state.LastEvaluation?.Accuracy);

    // ---------------------------------------------------------------- activation

    private sealed record SamplerCounts(IReadOnlyDictionary<string, PromptCounts> Counts);

    private void Activate()
    {
        try
        {
            _options = RunOptionsBinder.Bind(_state.EffectiveConfig(), _tokenizer);
            _node = RunNodeSettings.FromConfig(Context.System.Settings.Config);
            _tasks = TaskSuite.Create(_options.Tasks, _options.Seed, _tokenizer);
        }
        catch (Exception e) when (e is ConfigException or ArgumentException or Tasks.PromptSetException)
        {
            Fail(e.Message);
            return;
        }
        _sampler = new PromptSampler(_tasks.Train.Select(p => p.Difficulty).ToList(), _options.Sampling);
        _indexOf = _tasks.Train.Select((p, i) => (p.Id, i)).ToDictionary(x => x.Id, x => x.i);
        _specs = _tasks.Train.Select(PromptSpec.From).ToArray();
        _heldOutSpecs = _tasks.HeldOut.Select(PromptSpec.From).ToList();
        _store = WorkerEnvironment.Get(Context.System).WeightStore;
        _checkpoints = new CheckpointStore(_node.CheckpointDirectory, _node.KeepCheckpoints);
        var sharding = ClusterSharding.Get(Context.System);
        _trainer = sharding.ShardRegion(TrainerSharding.TypeName);
        _generators = sharding.ShardRegion(GeneratorSharding.TypeName);
        _judges = sharding.ShardRegion(JudgeSharding.TypeName);
        _prompts = sharding.ShardRegion(PromptSharding.TypeName);
        _sessionStart = _state.CommittedIterations;
        _sessionOverheads.Clear();
        _pauseRequested = _stopRequested = false;

        _requester?.Tell(new RunAccepted(RunId, _state.CommittedIterations, _state.TargetIterations));
        _trainerUp = _samplerReady = false;
        _generatorUp.Clear();
        _trainer.Tell(new AttachTrainer(RunId));
        for (int slot = 0; slot < _node.GeneratorSlots; slot++)
        {
            _generatorUp[slot] = false;
            _generators.Tell(new AttachGenerator(RunId, slot));
        }
        if (_state.CommittedIterations > 0)
            PromptIndexRebuild.LoadAsync(Context.System, RunId, _state.CommittedIterations)
                .PipeTo(Self, success: counts => new SamplerCounts(counts));
        else
            _samplerReady = true;
        Become(Preparing);
    }

    private void PrepareStep()
    {
        if (!_trainerUp || !_samplerReady || _generatorUp.Values.Any(up => !up)) return;
        Become(Active);
        if (!_state.SftDone) InitialisePolicy();
        else RestoreCommitted();
    }

    /// <summary>
    /// A new run: fresh (or given) weights on the trainer, then warm-up SFT (zero steps publishes the weights as they are),
    /// the SFT checkpoint, its evaluation.
    /// </summary>
    private void InitialisePolicy()
    {
        _phase = "warm-up";
        _initRequest = NextRequest("init");
        if (_options.InitCheckpoint is { } init)
        {
            byte[] bytes;
            try
            {
                using var policy = PolicyCheckpoint.Load(init);
                bytes = PolicyWeights.ToSafeTensors(policy, RunId, 0);
            }
            catch (Exception e) when (e is CheckpointException or IOException or ArgumentException)
            {
                Fail($"kimi.run.init-checkpoint = {init}: {e.Message}");
                return;
            }
            _store.Retract(RunId, 0);
            _trainer.Tell(new ToTrainer(RunId, new LoadPolicy(_initRequest, _store.Publish(RunId, 0, bytes))));
        }
        else
        {
            _trainer.Tell(new ToTrainer(RunId, new InitPolicy(_initRequest, RunId, _options.Model.ToJson(), _options.Seed)));
        }
    }

    private string? _initRequest, _restoreRequest;

    private void OnPolicyInitialised()
    {
        _phase = "sft";
        _trainer.Tell(new ToTrainer(RunId, new RunWarmupSft(NextRequest("sft"), RunId, _options.Tasks, _options.Sft, _options.Seed)));
    }

    private void OnSftWeights(WeightsPublished weights, double seconds)
    {
        var dir = _checkpoints.Save(RunId, weights.Version, _store.Fetch(weights));
        Persist(new SftFinished(RunId, weights.Version, dir, seconds), e =>
        {
            _state = _state.Apply(e);
            Publish(new CheckpointReported(RunId, "sft", weights.Version, dir));
            SyncGenerators(weights, () => Evaluate("sft", 0, eval =>
                Persist(new HeldOutRecorded(RunId, "sft", 0, eval), r =>
                {
                    _state = _state.Apply(r);
                    StartIteration();
                })));
        });
    }

    /// <summary>A continued run: the committed checkpoint goes back into the weight store, the trainer and the generators.</summary>
    private void RestoreCommitted()
    {
        _phase = "restoring";
        byte[] bytes;
        try { bytes = CheckpointStore.Load(_state.CheckpointDirectory!); }
        catch (Exception e) when (e is CheckpointException or IOException)
        {
            Fail($"cannot restore run {RunId} from {_state.CheckpointDirectory}: {e.Message}");
            return;
        }
        _store.Retract(RunId, _state.WeightVersion);
        var weights = _store.Publish(RunId, _state.WeightVersion, bytes);
        _restoreRequest = NextRequest("restore");
        _trainer.Tell(new ToTrainer(RunId, new LoadPolicy(_restoreRequest, weights)));
        _current = weights;
    }

    // ---------------------------------------------------------------- worker replies

    private void WorkerReplies()
    {
        Command<PolicyReady>(OnPolicyReady);
        Command<SftProgress>(m => Publish(new SftStepReported(RunId, m.Step)));
        Command<SftCompleted>(m => OnSftWeights(m.Weights, m.Seconds));
        Command<BatchGenerated>(OnBatchGenerated);
        Command<HeldOutEvaluated>(OnEvaluated);
        Command<IterationTrained>(OnTrained);
        Command<WorkRejected>(m => Fail($"a worker refused request {m.RequestId}: {m.Reason}"));
    }

    private void OnPolicyReady(PolicyReady m)
    {
        if (_syncPending.Remove(m.RequestId))
        {
            if (_syncPending.Count == 0) { var next = _afterSync; _afterSync = null; next?.Invoke(); }
            return;
        }
        if (m.RequestId == _initRequest) OnPolicyInitialised();
        else if (m.RequestId == _restoreRequest) SyncGenerators(_current!, StartIteration);
    }

    // ---------------------------------------------------------------- weight sync and evaluation

    /// <summary>Every available generator loads <paramref name="weights"/>; then <paramref name="then"/> (staleness 0: no generation with older weights).</summary>
    private void SyncGenerators(WeightsPublished weights, Action then)
    {
        _current = weights;
        _syncPending.Clear();
        _afterSync = then;
        foreach (var slot in AvailableGenerators())
        {
            var id = NextRequest("sync");
            _syncPending[id] = slot;
            _generators.Tell(new ToGenerator(RunId, slot, new LoadPolicy(id, weights)));
        }
        if (_syncPending.Count == 0) Fail("no rollout generator is available");
    }

    private void Evaluate(string label, int iteration, Action<HeldOutEvaluation> then)
    {
        _phase = "evaluating";
        var (greedy, sampled) = HeldOut.Settings(_options);
        _evalRequest = NextRequest("eval");
        _afterEval = eval =>
        {
            Publish(new EvaluationReported(RunId, label, iteration, eval));
            then(eval);
        };
        _generators.Tell(new ToGenerator(RunId, AvailableGenerators().First(),
            new EvaluateHeldOut(_evalRequest, _heldOutSpecs, greedy, sampled, _options.Eval.Primary)));
    }

    private void OnEvaluated(HeldOutEvaluated m)
    {
        if (m.RequestId != _evalRequest) return;
        _evalRequest = null;
        var next = _afterEval;
        _afterEval = null;
        next?.Invoke(m.Evaluation);
    }

    // ---------------------------------------------------------------- the iteration

    private sealed class IterationWork(int iteration)
    {
        public readonly int Iteration = iteration;
        public readonly Stopwatch Watch = Stopwatch.StartNew();
        public readonly Dictionary<string, (int Slot, GenerateBatch Batch)> Generating = [];
        public readonly Dictionary<int, double> GenerationSecondsBySlot = [];
        public long NewTokens;
        public RolloutCounts Rollout = RolloutCounts.None;
        public int Resumed;
        public readonly Dictionary<string, JudgeTrajectories> Judging = [];
        public double JudgeSeconds;
        public List<TrainingGroup>? Groups;
        public readonly Dictionary<string, RecordJudgedGroup> Recording = [];
        public string? TrainRequest;
        public IterationTrained? Trained;
        public bool TrainingDone;
    }

    private sealed record ResendTick;

    private void StartIteration()
    {
        if (_stopRequested || _state.CommittedIterations >= _state.TargetIterations)
        {
            Finish();
            return;
        }
        if (_pauseRequested)
        {
            _pauseRequested = false;
            Persist(new RunPaused(RunId), e => { _state = _state.Apply(e); Become(Paused); });
            return;
        }
        // Hyperparameter changes take effect here, at an iteration boundary.
        _options = RunOptionsBinder.Bind(_state.EffectiveConfig(), _tokenizer);
        int it = _state.CommittedIterations;
        // The replay buffer as the last commit left it: work of an iteration that never committed is redone.
        _buffer = ReplayBuffer.Restore(_state.Replay);
        var work = _work = new IterationWork(it);
        _phase = "sampling";
        _sampler.OnIterationStart(it);
        var (requests, resumed, drawn) = IterationSteps.PlanRollouts(_buffer, _sampler, _tasks.Train, _options, it, _tokenizer);
        work.Resumed = resumed;
        if (requests.Count == 0)
        {
            Fail("the sampler has no eligible prompt with positive weight (every prompt mastered and sampling.floor = 0?)");
            return;
        }

        _phase = "rolling-out";
        var slots = AvailableGenerators().ToList();
        var settings = IterationSteps.RolloutSettings(_options);
        // Whole groups per generator, spread evenly, continuations first; slot 0 uses the local loop's seed, so one
        // generator reproduces it. The token budget applies per generator.
        var parts = IterationSteps.Split(requests, slots.Count);
        for (int p = 0; p < parts.Count; p++)
        {
            if (parts[p].Count == 0) continue;
            var batch = new GenerateBatch(NextRequest("gen"), parts[p], settings, Seeds.Derive(_options.Seed, Seeds.Rollouts, it) + p);
            work.Generating[batch.RequestId] = (slots[p], batch);
            _generators.Tell(new ToGenerator(RunId, slots[p], batch));
        }
        Timers.StartPeriodicTimer("resend", new ResendTick(), _node.ResendAfter);
    }

    private void OnBatchGenerated(BatchGenerated m)
    {
        var work = _work;
        if (work is null || !work.Generating.Remove(m.RequestId, out var sent)) return; // a late duplicate
        work.GenerationSecondsBySlot[sent.Slot] = work.GenerationSecondsBySlot.GetValueOrDefault(sent.Slot) + m.Seconds;
        work.NewTokens += m.NewTokens;
        work.Rollout += RolloutCounts.Of(m.Trajectories, 0);
        // Cut by the token budget: back to the replay buffer, resumed next iteration.
        foreach (var t in m.Trajectories.Where(t => !t.Finished)) _buffer.AddUnfinished(t);
        if (work.Generating.Count == 0) _phase = "judging";
        // Judge as batches arrive: verification overlaps the remaining generation.
        var items = m.Trajectories.Where(t => t.Finished).Select(t => new JudgeItem(t, _specs[_indexOf[t.PromptId]])).ToList();
        int slots = Math.Max(1, _node.JudgeSlots);
        if (items.Count > 0)
            foreach (var (chunk, j) in items.Chunk((items.Count + slots - 1) / slots).Select((c, j) => (c, j)))
            {
                var request = new JudgeTrajectories(j, RunId, NextRequest("judge"), chunk);
                work.Judging[request.RequestId] = request;
                _judges.Tell(request);
            }
        MaybeTrain();
    }

    private void OnJudged(TrajectoriesJudged m)
    {
        var work = _work;
        if (work is null || !work.Judging.Remove(m.RequestId)) return;
        work.JudgeSeconds += m.Seconds;
        foreach (var j in m.Judged) _buffer.AddJudged(j);
        MaybeTrain();
    }

    /// <summary>Once every batch is generated and judged: the complete groups are shaped, recorded (durably, per prompt) and trained.</summary>
    private void MaybeTrain()
    {
        var work = _work!;
        if (work.Generating.Count > 0 || work.Judging.Count > 0 || work.Groups is not null) return;
        _phase = "training";
        work.Groups = [];
        foreach (var group in _buffer.TakeComplete())
        {
            work.Groups.Add(IterationSteps.Group(group, _options, work.Iteration));
            // The group's own iteration keys its samples, so a redelivered record is not counted twice.
            var record = new RecordJudgedGroup(RunId, group.PromptId, group.Iteration, _specs[_indexOf[group.PromptId]].Difficulty,
                group.Finished.Select(s => new SampleVerdict(s.Trajectory.Sample, s.Correct, s.Trajectory.TrajectoryId)).ToList());
            work.Recording[group.PromptId] = record;
            _prompts.Tell(record);
        }
        if (work.Groups.Count == 0)
        {
            // Every response was cut by the budget: nothing trains, the weights stay as they are.
            work.TrainingDone = true;
            MaybePublish();
            return;
        }
        work.TrainRequest = NextRequest("train");
        _trainer.Tell(new ToTrainer(RunId, new TrainIteration(work.TrainRequest, RunId, work.Iteration, work.Groups,
            _options.Optimization, _options.Optimization.Segments, _state.WeightVersion, _options.Seed)));
    }

    private void OnGroupRecorded(GroupRecorded m)
    {
        var work = _work;
        if (work is null || !work.Recording.TryGetValue(m.PromptId, out var record) || record.Iteration != m.Iteration) return;
        work.Recording.Remove(m.PromptId);
        if (_indexOf.TryGetValue(m.PromptId, out int index)) _sampler.Record(index, m.NewAttempts, m.NewSuccesses);
        MaybePublish();
    }

    private void OnTrained(IterationTrained m)
    {
        var work = _work;
        if (work is null || m.RequestId != work.TrainRequest) return;
        work.Trained = m;
        work.TrainingDone = true;
        MaybePublish();
    }

    private void MaybePublish()
    {
        var work = _work!;
        if (!work.TrainingDone || work.Recording.Count > 0) return;
        Timers.Cancel("resend");
        _phase = "publishing";
        if (work.Trained is null) Commit();
        else SyncGenerators(work.Trained.Weights, Commit);
    }

    private void Commit()
    {
        var work = _work!;
        var trained = work.Trained;
        _phase = "committing";
        long version = trained?.Weights.Version ?? _state.WeightVersion;
        var dir = trained is null ? _state.CheckpointDirectory! : _checkpoints.Save(RunId, version, _store.Fetch(trained.Weights));
        double wall = work.Watch.Elapsed.TotalSeconds;
        double generation = work.GenerationSecondsBySlot.Values.DefaultIfEmpty().Max();
        double inside = generation + work.JudgeSeconds + (trained?.Seconds ?? 0);
        double overhead = wall > 0 ? Math.Max(0, wall - inside) / wall : 0;
        // Idle: the share of the iteration each generator slot was not generating, averaged over the slots.
        int slots = Math.Max(1, _generatorUp.Count);
        double idle = wall > 0
            ? Math.Clamp(1 - _generatorUp.Keys.Sum(s => work.GenerationSecondsBySlot.GetValueOrDefault(s)) / (slots * wall), 0, 1)
            : 0;
        var metrics = IterationSteps.Metrics(work.Iteration, version, work.Groups!, _options, trained?.Stats ?? TrainStepStats.Idle,
            work.NewTokens, generation, work.JudgeSeconds, wall, _sampler.MaxEligibleDifficulty, null,
            work.Rollout with { Resumed = work.Resumed }, idle, _buffer.UnfinishedCount);
        Persist(new IterationCommitted(RunId, work.Iteration, version, dir, metrics, overhead, _buffer.Snapshot()), e =>
        {
            _state = _state.Apply(e);
            _work = null;
            _sessionOverheads.Add(overhead);
            // Older weights are no longer needed by any generator (staleness 0).
            _store.Prune(RunId, version);
            if (IterationSteps.EvaluateAfter(work.Iteration, _state.TargetIterations, _options))
            {
                Evaluate("rl", work.Iteration + 1, eval => Persist(new HeldOutRecorded(RunId, "rl", work.Iteration + 1, eval), r =>
                {
                    _state = _state.Apply(r);
                    Publish(new IterationReported(RunId, metrics with { HeldOutAccuracy = eval.Accuracy,
                        HeldOutAccuracyByDifficulty = eval.Primary.ByDifficulty.ToDictionary(p => p.Key, p => p.Value.Accuracy) }, overhead));
                    StartIteration();
                }));
                return;
            }
            Publish(new IterationReported(RunId, metrics, overhead));
            StartIteration();
        });
    }

    private void ResendOutstanding()
    {
        // Judges and Prompt entities are idempotent for a request: re-sending what is unanswered is always safe.
        var work = _work;
        if (work is null) return;
        foreach (var r in work.Judging.Values) _judges.Tell(r);
        foreach (var r in work.Recording.Values) _prompts.Tell(r);
    }

    private void OnGeneratorUnavailable(GeneratorUnavailable m)
    {
        _generatorUp[m.Slot] = false;
        _log.Warning("run {0}: rollout generator {1} is unavailable ({2}); routing its work elsewhere", RunId, m.Slot, m.Reason);
        var remaining = AvailableGenerators().ToList();
        if (remaining.Count == 0)
        {
            Fail($"every rollout generator is unavailable (slot {m.Slot}: {m.Reason})");
            return;
        }
        // Generation in flight on the lost slot goes to the others.
        if (_work is { } work)
            foreach (var (id, (slot, batch)) in work.Generating.Where(p => p.Value.Slot == m.Slot).ToList())
            {
                int to = remaining[Math.Abs(id.GetHashCode()) % remaining.Count];
                work.Generating[id] = (to, batch);
                _generators.Tell(new ToGenerator(RunId, to, batch));
            }
        foreach (var (id, slot) in _syncPending.Where(p => p.Value == m.Slot).ToList())
        {
            _syncPending.Remove(id);
            if (_syncPending.Count == 0) { var next = _afterSync; _afterSync = null; next?.Invoke(); }
        }
        if (_evalRequest is not null && _afterEval is not null)
        {
            // Re-run the evaluation on a generator that is still there.
            var retry = _afterEval;
            _evalRequest = null;
            _afterEval = null;
            var (greedy, sampled) = HeldOut.Settings(_options);
            _evalRequest = NextRequest("eval");
            _afterEval = retry;
            _generators.Tell(new ToGenerator(RunId, remaining[0],
                new EvaluateHeldOut(_evalRequest, _heldOutSpecs, greedy, sampled, _options.Eval.Primary)));
        }
    }

    // ---------------------------------------------------------------- hyperparameters, finish, failure

    private static readonly string[] MutableSections =
        ["kimi.rollout.", "kimi.optimization.", "kimi.length-penalty.", "kimi.sampling.floor", "kimi.eval.", "kimi.run.iterations"];

    private void OnSetHyperparameter(SetHyperparameter m)
    {
        var key = m.Key.StartsWith("kimi.") ? m.Key : "kimi." + m.Key;
        if (!_state.Started) { Sender.Tell(new RunRejected(RunId, $"no run with id {RunId}")); return; }
        if (!MutableSections.Any(key.StartsWith))
        {
            Sender.Tell(new RunRejected(RunId, $"{key} cannot change during a run (changeable: {string.Join(", ", MutableSections.Select(s => s.TrimEnd('.') + (s.EndsWith('.') ? ".*" : "")))})"));
            return;
        }
        var candidate = _state with { Overrides = _state.Overrides.Add((key, m.Value)) };
        try { RunOptionsBinder.Bind(candidate.EffectiveConfig(), _tokenizer); }
        catch (Exception e) when (e is ConfigException or Akka.Configuration.ConfigurationException or ArgumentException)
        {
            Sender.Tell(new RunRejected(RunId, e.Message));
            return;
        }
        var replyTo = Sender;
        Persist(new HyperparameterChanged(RunId, key, m.Value), e =>
        {
            _state = _state.Apply(e);
            replyTo.Tell(new HyperparameterAccepted(RunId, key, m.Value));
        });
    }

    private void Finish()
    {
        Timers.CancelAll();
        Evaluate("rl", _state.CommittedIterations, eval =>
            Persist(new HeldOutRecorded(RunId, "final", _state.CommittedIterations, eval), r =>
            {
                _state = _state.Apply(r);
                Persist(new RunCompleted(RunId, _state.CommittedIterations), c =>
                {
                    _state = _state.Apply(c);
                    Publish(new CheckpointReported(RunId, "final", _state.WeightVersion, _state.CheckpointDirectory!));
                    var finished = new RunFinished(RunId, _sessionStart, _state.CommittedIterations, _state.WeightVersion,
                        _state.SftEvaluation, eval, _state.CheckpointDirectory!, _sessionOverheads.DefaultIfEmpty().Average(),
                        _options.Model.VocabSize == 0 ? 0 : ParameterCount(), _node.DeviceDescription, _state.SftSeconds);
                    DetachWorkers();
                    Publish(finished);
                    Become(Idle);
                });
            }));
    }

    private long ParameterCount()
    {
        var m = _options.Model;
        long h = m.HiddenSize, kv = (long)m.NumKeyValueHeads * m.HeadDim, q = (long)m.NumAttentionHeads * m.HeadDim;
        long perLayer = h * q + 2 * h * kv + q * h + 3 * h * m.IntermediateSize + 2 * h;
        return m.VocabSize * h * (m.TieWordEmbeddings ? 1 : 2) + m.NumHiddenLayers * perLayer + h;
    }

    private void Fail(string reason)
    {
        _log.Error("run {0} failed: {1}", RunId, reason);
        Timers.CancelAll();
        var failed = new RunFailed(RunId, reason);
        Publish(failed);
        _requester?.Tell(failed);
        _work = null;
        _afterSync = null;
        _afterEval = null;
        DetachWorkers();
        Become(Idle);
    }

    /// <summary>
    /// Releases what the session held: the workers, and the run's published weights (shared memory on one node, as
    /// large as the model): a continued run republishes them from the durable checkpoint.
    /// </summary>
    private void DetachWorkers()
    {
        if (ReferenceEquals(_trainer, ActorRefs.Nobody)) return;
        _trainer.Tell(new DetachTrainer(RunId));
        foreach (var slot in _generatorUp.Keys) _generators.Tell(new DetachGenerator(RunId, slot));
        _store.Prune(RunId, long.MaxValue);
    }

    private void Publish(object message)
    {
        foreach (var s in _subscribers) s.Tell(message);
    }

    private IEnumerable<int> AvailableGenerators() => _generatorUp.Where(p => p.Value).Select(p => p.Key).OrderBy(s => s);

    private string NextRequest(string kind) => $"{RunId}/{kind}/{++_requests}";

    public static Props Props(string runId) => Akka.Actor.Props.Create(() => new RunActor(runId));
}
