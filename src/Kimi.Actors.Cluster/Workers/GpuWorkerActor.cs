using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Rl.Vision;
using Kimi.Actors.Model.Vision;
using Kimi.Actors.Tasks.Images;
using TorchSharp;
using Kimi.Actors.Rl.Identity;
using CheckpointRef = Kimi.Actors.Rl.Runs.CheckpointRef;
using WeightsPublished = Kimi.Actors.Rl.Runs.WeightsPublished;
using static Kimi.Actors.Cluster.Protocol.WorkerProtocol;
using Device = TorchSharp.torch.Device;

namespace Kimi.Actors.Cluster.Workers;

/// <param name="WorkerId">The supervised worker's id; with <see cref="Incarnation"/> it names this start.</param>
/// <param name="Device">cpu, cuda or cuda:N.</param>
/// <param name="Incarnation">1 for the first start, +1 per restart (fault rules may target one).</param>
/// <param name="OwnsProcess">True in a `kimi-worker` process: a kill-process fault may kill it.</param>
public sealed record GpuWorkerOptions(string WorkerId, string Device, int Incarnation = 1, bool OwnsProcess = false)
{
    /// <summary>What <see cref="WorkerReady.WorkerId"/> carries: <c>id#incarnation</c>, so a stale handshake is recognisable.</summary>
    public string IncarnationId => $"{WorkerId}#{Incarnation.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Holds one policy (<see cref="LlamaForCausalLM"/>) on one device and runs the method's operations on it for its
/// entity: generate, evaluate, warm-up SFT, train, checkpoint. It runs on a pinned dispatcher (its own thread), so a
/// long call never holds a thread other actors need; the entity's supervisor re-sends work after a restart.
/// Bad requests are answered with <see cref="WorkRejected"/>; anything else that goes wrong throws, so supervision
/// sees it and the worker (whose CUDA context may be broken) is replaced rather than nursed.
/// </summary>
public sealed class GpuWorkerActor : ReceiveActor
{
    private readonly GpuWorkerOptions _options;
    private readonly IWeightStore _store;
    private readonly IActorRef? _readyTo;
    private readonly FaultInjector _faults;
    // The rules in force, replaced by SetFaultPlan when faults are injected at run time.
    private FaultPlan _plan;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CheckpointStore _checkpoints;
    private Device _device = TorchSharp.torch.CPU;
    private LlamaForCausalLM? _policy;
    private RunId _runId;
    private long _version;
    // The published copy of the version held (null after InitPolicy: version 0 is only published by SFT's successor).
    private WeightsPublished? _published;
    // The bytes this worker published itself (null for weights it loaded): a checkpoint of them needs no fetch and no
    // second hash. Kept until the next publish or load: the trainer checkpoints what it has just published.
    private byte[]? _publishedBytes;
    private TrainerSession? _trainer;

    public GpuWorkerActor(GpuWorkerOptions options, IWeightStore store, CheckpointStore checkpoints, FaultPlan? faults, IActorRef? readyTo)
    {
        _options = options;
        _store = store;
        _checkpoints = checkpoints;
        _readyTo = readyTo;
        _plan = faults ?? FaultPlan.None;
        var registry = FaultRegistry.Get(Context.System);
        _faults = new FaultInjector(() => _plan, FaultTargets.GpuWorker, options.Incarnation, options.OwnsProcess, _log,
            (rule, n) => registry.Record(rule, n, options.IncarnationId), ExhaustDevice);
        Empty();
    }

    /// <summary>
    /// An allocation no device can grant (1 PiB, beyond any GPU and any x86-64 address space), so libtorch's allocator
    /// raises its own out-of-memory error ("CUDA out of memory" on a GPU) exactly where a real one would come from.
    /// </summary>
    private void ExhaustDevice()
    {
        using var impossible = TorchSharp.torch.empty(1L << 50, TorchSharp.torch.ScalarType.Byte, device: _device);
    }

    /// <summary>
    /// Props on the compute dispatcher. Call <see cref="EnsureComputeDispatcher"/> on the system first.
    /// <paramref name="readyTo"/> receives <see cref="WorkerReady"/> once started (default: the parent).
    /// </summary>
    public static Props Props(GpuWorkerOptions options, IWeightStore store, CheckpointStore checkpoints, FaultPlan? faults = null,
        IActorRef? readyTo = null) =>
        Akka.Actor.Props.Create(() => new GpuWorkerActor(options, store, checkpoints, faults, readyTo)).WithDispatcher(WorkerSettings.ComputeDispatcherId);

    /// <summary>
    /// Registers <see cref="WorkerSettings.ComputeDispatcherId"/> as a pinned dispatcher (a thread per actor) unless the
    /// system's configuration defines it, so workers run whichever Akka configuration the caller passes.
    /// </summary>
    public static void EnsureComputeDispatcher(ActorSystem system)
    {
        var dispatchers = system.Dispatchers;
        if (dispatchers.HasDispatcher(WorkerSettings.ComputeDispatcherId)) return;
        var config = ConfigurationFactory.ParseString($"id = \"{WorkerSettings.ComputeDispatcherId}\"\ntype = PinnedDispatcher")
            .WithFallback(system.Settings.Config.GetConfig("akka.actor.default-dispatcher"));
        dispatchers.RegisterConfigurator(WorkerSettings.ComputeDispatcherId, new PinnedConfigurator(config, dispatchers.Prerequisites));
    }

    /// <summary>A new dispatcher with its own thread per actor, as Akka's own (internal) pinned configurator makes.</summary>
    private sealed class PinnedConfigurator(Config config, IDispatcherPrerequisites prerequisites) : MessageDispatcherConfigurator(config, prerequisites)
    {
        private readonly ExecutorServiceConfigurator _executor = new OwnThreadConfigurator(config, prerequisites);

        public override MessageDispatcher Dispatcher() => new PinnedDispatcher(this, Config.GetString("id"), Config.GetInt("throughput"),
            Config.GetTimeSpan("throughput-deadline-time").Ticks, _executor, Config.GetTimeSpan("shutdown-timeout"));
    }

    private sealed class OwnThreadConfigurator(Config config, IDispatcherPrerequisites prerequisites) : ExecutorServiceConfigurator(config, prerequisites)
    {
        public override ExecutorService Produce(string id) => new OwnThreadExecutor(id);
    }

    /// <summary>Runs everything on one background thread, in order, until shut down.</summary>
    private sealed class OwnThreadExecutor : ExecutorService
    {
        private readonly System.Collections.Concurrent.BlockingCollection<IRunnable> _queue = [];

        public OwnThreadExecutor(string id) : base(id) =>
            new Thread(() => { foreach (var r in _queue.GetConsumingEnumerable()) r.Run(); }) { IsBackground = true, Name = id }.Start();

        public override void Execute(IRunnable run) => _queue.Add(run);

        public override void Shutdown() => _queue.CompleteAdding();
    }

    protected override void PreStart()
    {
        _device = TorchRuntime.ResolveDevice(_options.Device);
        (_readyTo ?? Context.Parent).Tell(new WorkerReady(_options.IncarnationId, Self, Environment.ProcessId));
    }

    protected override void PostStop()
    {
        _trainer?.Dispose();
        _policy?.Dispose();
    }

    protected override bool AroundReceive(Receive receive, object message)
    {
        if (message is FaultProtocol.SetFaultPlan set)
        {
            _plan = set.Plan;
            return true;
        }
        return message is not IWorkerRequest || _faults.Admit(message) ? base.AroundReceive(receive, message) : true;
    }

    /// <summary>No policy yet: only InitPolicy, LoadPolicy and RestoreCheckpoint are accepted.</summary>
    private void Empty()
    {
        Receive<InitPolicy>(Init);
        Receive<LoadPolicy>(Load);
        Receive<RestoreCheckpoint>(Restore);
        Receive<IWorkerRequest>(r => Reject(r.RequestId, "no policy loaded: send InitPolicy, LoadPolicy or RestoreCheckpoint first"));
    }

    private void Loaded()
    {
        Receive<InitPolicy>(Init);
        Receive<LoadPolicy>(Load);
        Receive<RestoreCheckpoint>(Restore);
        Receive<GenerateBatch>(Generate);
        Receive<EvaluateHeldOut>(Evaluate);
        Receive<RunWarmupSft>(WarmupSft);
        Receive<TrainIteration>(Train);
        Receive<SaveCheckpoint>(Save);
    }

    private string DeviceName => _device.ToString();

    private void Init(InitPolicy m)
    {
        LlamaForCausalLM policy;
        try
        {
            policy = PolicyCheckpoint.Initial(ModelConfig.FromJson(m.ModelConfigJson, "InitPolicy.ModelConfigJson"), m.Seed, m.InitCheckpoint, m.Dtype, _device);
        }
        catch (Exception e) when (e is ArgumentException or CheckpointException or IOException)
        {
            Reject(m.RequestId, m.InitCheckpoint is null ? e.Message : $"initial weights {m.InitCheckpoint}: {e.Message}");
            return;
        }
        Replace(policy, m.RunId, 0, published: null);
        Sender.Tell(new PolicyReady(m.RequestId, 0, policy.ParameterCount(), DeviceName));
    }

    private void Load(LoadPolicy m)
    {
        var w = m.Weights;
        byte[] bytes;
        try { bytes = _store.Fetch(w); }
        catch (WeightSyncException e) { Reject(m.RequestId, e.Message); return; }
        if (LoadBytes(bytes, w.Run, w.Version, w.Location, w) is { } problem) { Reject(m.RequestId, problem); return; }
        Sender.Tell(new PolicyReady(m.RequestId, w.Version, _policy!.ParameterCount(), DeviceName));
    }

    /// <summary>
    /// A continued run: the committed checkpoint (hash-checked) becomes the policy and is published as the version asked
    /// for. A checkpoint that is missing, unreadable or not the journaled bytes is answered with
    /// <see cref="CheckpointUnusable"/> (the Run can fall back to an older one), and the worker keeps what it held.
    /// </summary>
    private void Restore(RestoreCheckpoint m)
    {
        byte[] bytes;
        try { bytes = CheckpointStore.Load(m.Checkpoint); }
        catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
        {
            Unusable(m, e.Message);
            return;
        }
        if (LoadBytes(bytes, m.RunId, m.Version, m.Checkpoint.Directory, published: null) is { } problem)
        {
            Unusable(m, problem);
            return;
        }
        var weights = PublishAs(m.Version, bytes);
        // Said once per resume: where a continued run's policy came from (chaos runs and operators read it).
        _log.Info("{0}: restored run {1} as version {2} from {3} (SHA-256 verified)", _options.IncarnationId, m.RunId, m.Version, m.Checkpoint.Directory);
        Sender.Tell(new PolicyRestored(m.RequestId, weights, _policy!.ParameterCount(), DeviceName));
    }

    private void Unusable(RestoreCheckpoint m, string problem)
    {
        _log.Warning("{0}: cannot restore run {1} from {2}: {3}", _options.IncarnationId, m.RunId, m.Checkpoint.Directory, problem);
        Sender.Tell(new CheckpointUnusable(m.RequestId, m.Checkpoint.Directory, problem));
    }

    /// <summary>Loads <paramref name="bytes"/> as the policy; returns what is wrong with them, or null.</summary>
    private string? LoadBytes(byte[] bytes, RunId runId, long version, string source, WeightsPublished? published)
    {
        try
        {
            if (_policy is not null && PolicyWeights.SameArchitecture(_policy, bytes, source))
            {
                PolicyWeights.LoadInto(_policy, bytes, source);
                Replace(_policy, runId, version, published);
            }
            else Replace(PolicyWeights.ToPolicy(bytes, _device, source), runId, version, published);
            return null;
        }
        catch (CheckpointException e)
        {
            return e.Message;
        }
    }

    /// <summary>A new policy or new weights: the optimizer state of the previous one no longer applies.</summary>
    private void Replace(LlamaForCausalLM policy, RunId runId, long version, WeightsPublished? published)
    {
        _trainer?.Dispose();
        _trainer = null;
        if (!ReferenceEquals(_policy, policy)) _policy?.Dispose();
        _policy = policy;
        _runId = runId;
        _version = version;
        _published = published;
        _publishedBytes = null;
        Become(Loaded);
    }

    private void Generate(GenerateBatch m)
    {
        var policy = _policy!;
        var problem = m.Requests.Count == 0 ? "no rollout requests" : CheckSettings(() => m.Settings.ToGenerationOptions(policy.Config.EosTokenId, m.Seed).Validate());
        for (int i = 0; problem is null && i < m.Requests.Count; i++)
        {
            var r = m.Requests[i];
            problem = CheckTokens($"request {i} ({r.Id}) prompt", r.PromptTokens, allowEmpty: false)
                ?? CheckTokens($"request {i} ({r.Id}) prior response", r.PriorTokens ?? [], allowEmpty: true)
                ?? CheckLength($"request {i} ({r.Id})", r.PromptTokens.Length, Math.Max(r.PriorTokens?.Length ?? 0, m.Settings.MaxResponseTokens))
                ?? CheckImages($"request {i} ({r.Id})", [.. r.PromptTokens, .. r.PriorTokens ?? []], r.Images);
        }
        if (problem is not null) { Reject(m.RequestId, problem); return; }

        var sw = Stopwatch.StartNew();
        var (trajectories, stats) = RolloutWorker.Generate(policy, m.Requests, m.Settings, _version, m.Seed);
        Sender.Tell(new BatchGenerated(m.RequestId, _version, trajectories, stats.NewTokens, sw.Elapsed.TotalSeconds, stats.Decoding));
    }

    private void Evaluate(EvaluateHeldOut m)
    {
        var tokenizer = Tokenizer(m.RequestId, m.Tokenizer);
        if (tokenizer is null) return;
        string? problem = m.Prompts.Count == 0 ? "no held-out prompts" : null;
        foreach (var p in m.Prompts)
        {
            if (problem is not null) break;
            if (!p.Prompt.All(tokenizer.CanEncode)) problem = $"prompt {p.Id}: characters outside the tokenizer's alphabet";
            else problem = CheckHeldOutPrompt(p, tokenizer, Math.Max(m.Plan.Greedy.MaxResponseTokens, m.Plan.Sampled.MaxResponseTokens));
        }
        if (problem is not null) { Reject(m.RequestId, problem); return; }

        var sw = Stopwatch.StartNew();
        var evaluation = HeldOut.Evaluate(_policy!, m.Prompts.Select(p => p.ToRecord()).ToList(), tokenizer, m.Plan);
        Sender.Tell(new HeldOutEvaluated(m.RequestId, _version, evaluation, sw.Elapsed.TotalSeconds));
    }

    private void WarmupSft(RunWarmupSft m)
    {
        if (m.RunId != _runId) { Reject(m.RequestId, $"worker holds run '{_runId}', not '{m.RunId}'"); return; }
        var tokenizer = Tokenizer(m.RequestId, m.Tokenizer);
        if (tokenizer is null) return;
        TaskSuite tasks;
        try
        {
            m.Sft.Validate();
            tasks = TaskSuite.Create(m.Tasks, m.Seed, tokenizer);
        }
        catch (ArgumentException e) { Reject(m.RequestId, e.Message); return; }

        var sw = Stopwatch.StartNew();
        var requester = Sender;
        Rl.Training.WarmupSft.Run(_policy!, tasks, m.Sft, m.Seed, tokenizer, s => requester.Tell(new SftProgress(m.RequestId, s)));
        var weights = PublishNext(_version + 1);
        requester.Tell(new SftCompleted(m.RequestId, weights, sw.Elapsed.TotalSeconds));
    }

    private void Train(TrainIteration m)
    {
        string? problem = m.RunId != _runId ? $"worker holds run '{_runId}', not '{m.RunId}'"
            : m.CurrentVersion != _version ? $"worker holds version {_version} of run '{_runId}'; TrainIteration {m.Iteration} expects version {m.CurrentVersion}"
            : m.Groups.Count == 0 ? "no training groups" : null;
        foreach (var g in m.Groups)
        {
            if (problem is not null) break;
            problem = g.ShapedRewards.Length != g.K ? $"group {g.Group}: {g.K} samples but {g.ShapedRewards.Length} rewards"
                : CheckTokens($"group {g.Group} prompt", g.PromptTokens, allowEmpty: false)
                    ?? CheckImages($"group {g.Group}", g.PromptTokens, g.Images);
            foreach (var s in g.Samples)
                problem ??= CheckTokens($"trajectory {s.Trajectory.Id}", s.Trajectory.ResponseTokens, allowEmpty: true)
                    ?? CheckLength($"trajectory {s.Trajectory.Id}", g.PromptTokens.Length + s.Trajectory.Length, 0);
        }
        if (problem is not null) { Reject(m.RequestId, problem); return; }

        // Kept across iterations so optimizer state can persist (reset-optimizer-each-iteration = false).
        _trainer ??= new TrainerSession(_policy!);
        var sw = Stopwatch.StartNew();
        TrainStepStats stats;
        IReadOnlyList<TrainedGroup> consumed;
        try { (stats, consumed) = _trainer.Train(m.Groups, m.Optimization, m.Iteration, m.CurrentVersion, m.Seed, m.LearningRate); }
        catch (ArgumentException e) { Reject(m.RequestId, "optimization options: " + e.Message); return; }
        var weights = PublishNext(m.CurrentVersion + 1);
        Sender.Tell(new IterationTrained(m.RequestId, m.Iteration, stats, weights, consumed, sw.Elapsed.TotalSeconds));
    }

    /// <summary>The published bytes of the version this worker holds, written as a durable checkpoint of its node.</summary>
    private void Save(SaveCheckpoint m)
    {
        if (m.RunId != _runId || m.Version != _version || _published is not { } published)
        {
            Reject(m.RequestId, $"worker holds version {_version} of run '{_runId}' ({(_published is null ? "unpublished" : "published")}); cannot checkpoint version {m.Version} of '{m.RunId}'");
            return;
        }
        CheckpointRef checkpoint;
        try
        {
            checkpoint = _publishedBytes is { } own && own.LongLength == published.Bytes
                ? _checkpoints.Save(_runId, _version, own, published.Sha256)
                : _checkpoints.Save(_runId, _version, _store.Fetch(published));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WeightSyncException)
        {
            Reject(m.RequestId, $"cannot write the checkpoint of version {m.Version} under {_checkpoints.Root}: {e.Message}");
            return;
        }
        Sender.Tell(new CheckpointSaved(m.RequestId, m.Version, checkpoint));
    }

    /// <summary>
    /// Publishes the policy as <paramref name="version"/>. A copy already there can only be from an earlier attempt
    /// of this same request whose worker died before answering (one publisher per run): it is retracted first.
    /// </summary>
    private WeightsPublished PublishNext(long version) => PublishAs(version, PolicyWeights.ToSafeTensors(_policy!, _runId, version));

    private WeightsPublished PublishAs(long version, byte[] bytes)
    {
        if (_store.LatestVersion(_runId) >= version)
        {
            _log.Warning("run {0}: version {1} already published by an attempt that never answered; replacing it", _runId, version);
            _store.Retract(_runId, version);
        }
        var weights = _store.Publish(_runId, version, bytes);
        _version = version;
        _published = weights;
        _publishedBytes = bytes;
        return weights;
    }

    private ITokenizer? Tokenizer(RequestId request, TokenizerSpec spec)
    {
        try { return spec.Create(); }
        catch (ArgumentException e) { Reject(request, e.Message); return null; }
    }

    private void Reject(RequestId requestId, string reason)
    {
        _log.Warning("{0}: rejected request {1}: {2}", _options.IncarnationId, requestId, reason);
        Sender.Tell(new WorkRejected(requestId, reason));
    }

    private static string? CheckSettings(Action validate)
    {
        try { validate(); return null; }
        catch (ArgumentException e) { return e.Message; }
    }

    /// <summary>Token ids outside the vocabulary would index past the embedding: on CUDA a fatal device assert.</summary>
    private string? CheckTokens(string what, int[] tokens, bool allowEmpty)
    {
        if (tokens.Length == 0 && !allowEmpty) return $"{what}: no tokens";
        int vocab = _policy!.Config.VocabSize;
        foreach (int t in tokens)
            if (t < 0 || t >= vocab) return $"{what}: token id {t} is outside the vocabulary [0, {vocab})";
        return null;
    }

    /// <summary>A held-out prompt as the evaluation will encode it: its length with the response, and its images.</summary>
    private string? CheckHeldOutPrompt(Protocol.PromptSpec p, ITokenizer tokenizer, int maxResponse)
    {
        int[] tokens;
        try { tokens = PromptTokens.Encode(tokenizer, p.ToRecord(), _policy!.Config.Vision?.Layout); }
        catch (ArgumentException e) { return $"prompt {p.Id}: {e.Message}"; }
        return CheckLength($"prompt {p.Id}", tokens.Length, maxResponse) ?? CheckImages($"prompt {p.Id}", tokens, p.Images);
    }

    /// <summary>
    /// The prompt's placeholders match its images, and every image reads back with its hash and decodes (filling the
    /// process's image cache, so the work itself cannot fail on an image).
    /// </summary>
    private string? CheckImages(string what, int[] tokens, IReadOnlyList<PromptImage>? images)
    {
        if (ImagePlaceholders.Check(_policy!.Config, tokens, images?.Count ?? 0) is { } problem) return $"{what}: {problem}";
        try { PromptImageCache.Shared.Pixels(images, _policy.Config.Vision?.ImageSize); }
        catch (PromptImageException e) { return $"{what}: {e.Message}"; }
        return null;
    }

    private string? CheckLength(string what, int tokens, int maxResponse)
    {
        int max = _policy!.Config.MaxPositionEmbeddings;
        return tokens + maxResponse > max ? $"{what}: {tokens} tokens + {maxResponse} response tokens exceed max_position_embeddings ({max})" : null;
    }
}
