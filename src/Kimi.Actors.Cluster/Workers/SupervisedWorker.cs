using System.ComponentModel;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Rl.Identity;
using CheckpointRef = Kimi.Actors.Rl.Runs.CheckpointRef;
using WeightsPublished = Kimi.Actors.Rl.Runs.WeightsPublished;
using static Kimi.Actors.Cluster.Protocol.WorkerProtocol;

namespace Kimi.Actors.Cluster.Workers;

/// <summary>What a <see cref="SupervisedWorker"/> needs besides <see cref="WorkerSettings"/>.</summary>
/// <param name="WorkerId">Unique among the workers of the node (it names processes, logs and device leases).</param>
public sealed record SupervisedWorkerOptions(string WorkerId, WorkerSettings Settings)
{
    /// <summary>Akka configuration of worker processes (serialization must match the node's); required in process mode.</summary>
    public Config? ProcessConfig { get; init; }
    /// <summary>The node's <see cref="DevicePool"/>; null: always <see cref="Device"/>.</summary>
    public IActorRef? DevicePool { get; init; }
    /// <summary>The device without a pool; null: the first of <see cref="WorkerSettings.Devices"/>.</summary>
    public string? Device { get; init; }
    /// <summary>The weight store of in-process workers; null: <see cref="WeightStoreSettings.Create"/>.</summary>
    public IWeightStore? Store { get; init; }
}

/// <summary>
/// Owns the lifecycle of one GPU worker for an entity (RolloutGenerator, Trainer): starts it (in-process child actor,
/// or a `kimi-worker` process that hands back <see cref="WorkerReady"/>), queues requests until it is ready, forwards
/// each reply to whoever sent the request, and when the worker fails (it threw, its process crashed, aborted or was
/// killed, or it did not start in time) starts a new incarnation after an exponential back-off, restores the last
/// policy the worker confirmed (or the one set with <see cref="RestorePolicy"/>) and re-sends every unanswered request.
/// A reply from an earlier incarnation is dropped, so each request is answered once. Past the restart budget it gives
/// up and tells its parent <see cref="WorkerUnavailable"/>; its parent also hears <see cref="WorkerAvailable"/> at every start.
/// </summary>
public sealed class SupervisedWorker : ReceiveActor, IWithTimers
{
    /// <summary>The policy a new incarnation loads before it gets work. Normally tracked from replies; set it to override.</summary>
    public sealed record RestorePolicy(InitPolicy? Init, WeightsPublished? Weights) : IKimiMessage
    {
        public static RestorePolicy From(WeightsPublished weights) => new(null, weights);
        public static RestorePolicy From(InitPolicy init) => new(init, null);
    }

    /// <summary>To the parent: an incarnation started and restored <paramref name="PolicyVersion"/> (null: no policy yet).</summary>
    /// <param name="RestartReason">Why the previous incarnation ended; null for the first start.</param>
    public sealed record WorkerAvailable(string WorkerId, int Incarnation, int ProcessId, string Device, long? PolicyVersion, string? RestartReason)
        : IKimiMessage;

    /// <summary>To the parent: the restart budget is spent (or the worker cannot start at all); nothing more will be tried.</summary>
    /// <param name="PendingRequests">Ids of the requests that were never answered; they are dropped here.</param>
    public sealed record WorkerUnavailable(string WorkerId, string Reason, IReadOnlyList<string> PendingRequests) : IKimiMessage;

    public sealed record GetWorkerStats : IKimiMessage
    {
        public static GetWorkerStats Instance { get; } = new();
    }

    /// <param name="State">starting, restoring, ready, backing-off or unavailable.</param>
    public sealed record WorkerStats(string WorkerId, string State, int Incarnation, int Restarts, int ResentRequests, int DroppedReplies,
        int InFlight, int? ProcessId, string? Device, long? PolicyVersion) : IKimiMessage;

    private sealed record BeginIncarnation : INoSerializationVerificationNeeded
    {
        public static BeginIncarnation Instance { get; } = new();
    }

    private sealed record ProcessExited(int Incarnation, int ExitCode) : INoSerializationVerificationNeeded;

    private sealed record StartTimedOut(int Incarnation) : INoSerializationVerificationNeeded;

    /// <summary>A request not yet answered, and the incarnation it was last sent to (0: not sent yet).</summary>
    private sealed class Pending(IActorRef requester, IWorkerRequest request)
    {
        public IActorRef Requester = requester;
        public readonly IWorkerRequest Request = request;
        public int SentIn;
    }

    private const string StartTimer = "start", RestartTimer = "restart";

    private readonly SupervisedWorkerOptions _options;
    private readonly WorkerSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Random _random = new();
    private readonly OrderedDictionary<RequestId, Pending> _inFlight = new();
    private readonly Queue<DateTime> _recentRestarts = new();
    private IWeightStore? _store;
    private int _incarnation, _restarts, _resent, _dropped;
    private string _state = "starting";
    private IActorRef? _worker, _child;
    private WorkerProcessHandle? _process;
    private int? _processId;
    private string? _device;
    private bool _deviceRequested;
    private object? _restore; // InitPolicy or WeightsPublished
    private long? _policyVersion;
    private string? _childFailure, _restartReason;

    public ITimerScheduler Timers { get; set; } = null!;

    public SupervisedWorker(SupervisedWorkerOptions options)
    {
        _options = options;
        _settings = options.Settings;
        Starting();
    }

    /// <summary>Props for a child of the entity. Throws <see cref="ArgumentException"/> when the options cannot work.</summary>
    public static Props Props(SupervisedWorkerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.WorkerId)) throw new ArgumentException("a supervised worker needs a worker id");
        if (options.Settings.Mode == WorkerMode.Process)
        {
            if (options.ProcessConfig is null) throw new ArgumentException($"worker {options.WorkerId}: mode = process needs the worker processes' Akka configuration");
            if (!options.Settings.Weights.CrossesProcesses)
                throw new ArgumentException($"worker {options.WorkerId}: weight transport memory cannot reach a worker process; use shm");
        }
        return Akka.Actor.Props.Create(() => new SupervisedWorker(options));
    }

    /// <summary>The worker's rules: its configured ones (<see cref="WorkerSettings.Faults"/>) and those injected at run time.</summary>
    private FaultPlan Faults => _settings.Faults.With(FaultRegistry.Get(Context.System).Runtime);

    private string IncarnationId => $"{_options.WorkerId}#{_incarnation.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The supervisor's own request that restores a new incarnation's policy (session -1: never a run's).</summary>
    private RequestId RestoreId => new(-1, _incarnation);

    protected override void PreStart()
    {
        // Rules injected at run time reach the worker (in its process) as they change.
        Context.System.EventStream.Subscribe(Self, typeof(FaultPlanChanged));
        StartIncarnation();
    }

    // Stopped by its entity (the run's session ended, the node shuts down): a healthy worker process is let go in order.
    protected override void PostStop() => StopIncarnation(graceful: true);

    // A failed in-process worker is replaced, never restarted in place: the replacement goes through back-off,
    // restore and re-send like a crashed process, so both modes recover the same way.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        var cause = e is ActorInitializationException { InnerException: { } inner } ? inner : e;
        _childFailure = $"{cause.GetType().Name}: {cause.Message}";
        return Directive.Stop;
    });

    // ---- states ----

    private void Starting()
    {
        _state = "starting";
        Receive<DevicePool.DeviceGranted>(g => g.WorkerId == IncarnationId && _device is null, g => Launch(g.Device));
        Receive<WorkerReady>(r => r.WorkerId == IncarnationId && _device is not null, OnWorkerReady);
        Receive<IWorkerRequest>(r => Track(r));
        Common();
    }

    private void Restoring()
    {
        _state = "restoring";
        Receive<PolicyReady>(r => r.RequestId == RestoreId && Sender.Equals(_worker), r =>
        {
            _policyVersion = r.Version;
            BecomeReady();
        });
        Receive<WorkRejected>(r => r.RequestId == RestoreId && Sender.Equals(_worker), r => GiveUp($"cannot restore the policy: {r.Reason}"));
        Receive<IWorkerRequest>(r => Track(r));
        Common();
    }

    private void Ready()
    {
        _state = "ready";
        Receive<IWorkerRequest>(r =>
        {
            if (Track(r) is { } pending) Send(pending);
        });
        Receive<IWorkerReply>(OnReply);
        Common();
    }

    private void BackingOff()
    {
        _state = "backing-off";
        Receive<BeginIncarnation>(_ => StartIncarnation());
        Receive<IWorkerRequest>(r => Track(r));
        Common();
    }

    private void Unavailable(string reason)
    {
        _state = "unavailable";
        Receive<IWorkerRequest>(r => Sender.Tell(new WorkRejected(r.RequestId, $"worker {_options.WorkerId} is unavailable: {reason}")));
        Common();
    }

    /// <summary>Handled in every state; stale messages of earlier incarnations end here.</summary>
    private void Common()
    {
        Receive<RestorePolicy>(m => _restore = (object?)m.Init ?? m.Weights);
        Receive<FaultPlanChanged>(m => (_worker ?? _child)?.Tell(new FaultProtocol.SetFaultPlan(_settings.Faults.With(m.Runtime))));
        Receive<GetWorkerStats>(_ => Sender.Tell(new WorkerStats(_options.WorkerId, _state, _incarnation, _restarts, _resent, _dropped,
            _inFlight.Count, _processId, _device, _policyVersion)));
        Receive<Terminated>(t => t.ActorRef.Equals(_worker) || t.ActorRef.Equals(_child), _ =>
            Failed(_childFailure is null ? "the worker actor terminated" : "the worker threw " + _childFailure));
        Receive<ProcessExited>(e => e.Incarnation == _incarnation && _process is not null, e =>
            Failed($"the worker process exited with code {e.ExitCode}{(e.ExitCode == 137 ? " (SIGKILL)" : "")}"));
        Receive<StartTimedOut>(e => e.Incarnation == _incarnation && _state is "starting" or "restoring", _ =>
            Failed($"not ready within {_settings.StartTimeout.TotalSeconds:0.#}s (kimi.workers.start-timeout)"));
        Receive<DevicePool.DeviceGranted>(g => Sender.Tell(new DevicePool.Release(g.WorkerId))); // for an incarnation that is gone
        Receive<IWorkerReply>(_ => _dropped++); // a late answer from an earlier incarnation
        // Leftovers of earlier incarnations (their process or actor is already gone or being killed): nothing to do.
        Receive<WorkerReady>(_ => { });
        Receive<Terminated>(_ => { });
        Receive<ProcessExited>(_ => { });
        Receive<StartTimedOut>(_ => { });
    }

    // ---- lifecycle ----

    private void StartIncarnation()
    {
        _incarnation++;
        Become(Starting);
        Timers.StartSingleTimer(StartTimer, new StartTimedOut(_incarnation), _settings.StartTimeout);
        if (_options.DevicePool is { } pool)
        {
            _deviceRequested = true;
            pool.Tell(new DevicePool.Acquire(IncarnationId));
        }
        else Launch(_options.Device ?? _settings.Devices[0]);
    }

    private void Launch(string device)
    {
        _device = device;
        if (_settings.Mode == WorkerMode.InProcess)
        {
            GpuWorkerActor.EnsureComputeDispatcher(Context.System);
            _store ??= _options.Store ?? _settings.Weights.Create();
            var options = new GpuWorkerOptions(_options.WorkerId, device, _incarnation);
            _child = Context.ActorOf(GpuWorkerActor.Props(options, _store, _settings.Checkpoints(), Faults),
                "gpu-worker-" + _incarnation.ToString(CultureInfo.InvariantCulture));
            Context.Watch(_child);
            return;
        }
        var address = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress;
        if (address.Host is null)
        {
            GiveUp("mode = process needs remoting in this actor system (akka.actor.provider = remote or cluster)");
            return;
        }
        var self = Self;
        int incarnation = _incarnation;
        var log = _log;
        var faults = FaultRegistry.Get(Context.System);
        var args = new WorkerProcessArguments(Self.Path.ToStringWithAddress(address), _options.WorkerId, device, _settings.Threads, incarnation);
        try
        {
            _process = WorkerProcessLauncher.Start(args, _options.ProcessConfig!, _settings with { Faults = Faults },
                line =>
                {
                    // The process may be killed by the very fault it reports: it is counted from its output.
                    if (FaultRegistry.IsMarker(line)) faults.RecordReported(line);
                    log.Info("[{0}#{1}] {2}", args.WorkerId, incarnation, line);
                },
                code => self.Tell(new ProcessExited(incarnation, code)));
            _processId = _process.ProcessId;
        }
        catch (Exception e) when (e is FileNotFoundException or Win32Exception or IOException)
        {
            GiveUp("cannot start a worker process: " + e.Message); // configuration, not bad luck: retrying will not help
        }
    }

    private void OnWorkerReady(WorkerReady ready)
    {
        _worker = ready.Worker;
        _processId = ready.ProcessId;
        if (_settings.Mode == WorkerMode.Process) Context.Watch(_worker);
        switch (_restore)
        {
            case InitPolicy init:
                _worker.Tell(init with { RequestId = RestoreId });
                Become(Restoring);
                break;
            case WeightsPublished weights:
                _worker.Tell(new LoadPolicy(RestoreId, weights));
                Become(Restoring);
                break;
            default:
                BecomeReady();
                break;
        }
    }

    private void BecomeReady()
    {
        Timers.Cancel(StartTimer);
        Become(Ready);
        foreach (var pending in _inFlight.Values)
        {
            if (pending.SentIn != 0) _resent++;
            Send(pending);
        }
        Context.Parent.Tell(new WorkerAvailable(_options.WorkerId, _incarnation, _processId ?? 0, _device!, _policyVersion, _restartReason));
    }

    private void Failed(string reason)
    {
        if (_process is { } p && p.StandardErrorTail is { Length: > 0 } tail) reason += $"; its last output: {tail}";
        StopIncarnation();
        var now = DateTime.UtcNow;
        while (_recentRestarts.Count > 0 && now - _recentRestarts.Peek() > _settings.RestartBudget.Within) _recentRestarts.Dequeue();
        if (_recentRestarts.Count >= _settings.RestartBudget.MaxRestarts)
        {
            GiveUp($"restart budget spent ({_settings.RestartBudget.MaxRestarts} restarts within {_settings.RestartBudget.Within}); last failure: {reason}");
            return;
        }
        _recentRestarts.Enqueue(now);
        _restarts++;
        _restartReason = reason;
        var delay = _settings.Backoff.Delay(_recentRestarts.Count, _random);
        _log.Warning("worker {0} failed ({1}); restart {2} in {3:0}ms with {4} request(s) to re-send",
            IncarnationId, reason, _restarts, delay.TotalMilliseconds, _inFlight.Count);
        Become(BackingOff);
        Timers.StartSingleTimer(RestartTimer, BeginIncarnation.Instance, delay);
    }

    private void GiveUp(string reason)
    {
        StopIncarnation();
        Timers.CancelAll();
        var pending = _inFlight.Keys.Select(k => k.ToString()).ToList();
        _inFlight.Clear();
        _log.Error("worker {0} is unavailable: {1}", _options.WorkerId, reason);
        Context.Parent.Tell(new WorkerUnavailable(_options.WorkerId, reason, pending));
        Become(() => Unavailable(reason));
    }

    /// <summary>Ends the current incarnation, whatever state it is in: unwatch, stop or kill, give the device back.</summary>
    /// <param name="graceful">True when nothing failed: a worker process exits by itself before it would be killed.</param>
    private void StopIncarnation(bool graceful = false)
    {
        Timers.Cancel(StartTimer);
        if (_worker is not null) Context.Unwatch(_worker);
        if (_child is not null)
        {
            Context.Unwatch(_child);
            Context.Stop(_child);
        }
        if (graceful) _process?.StopGracefully(TimeSpan.FromSeconds(15)); // above the worker's own 10 s for an orderly exit
        else _process?.Dispose();
        if (_deviceRequested) _options.DevicePool?.Tell(new DevicePool.Release(IncarnationId));
        _worker = _child = null;
        _process = null;
        _processId = null;
        _device = null;
        _deviceRequested = false;
        _childFailure = null;
    }

    // ---- requests and replies ----

    /// <summary>Records a request; null when the same id is already pending (the answer then goes to the latest asker, once).</summary>
    private Pending? Track(IWorkerRequest request)
    {
        if (_inFlight.TryGetValue(request.RequestId, out var existing))
        {
            existing.Requester = Sender;
            return null;
        }
        var pending = new Pending(Sender, request);
        _inFlight.Add(request.RequestId, pending);
        return pending;
    }

    private void Send(Pending pending)
    {
        _worker!.Tell(pending.Request);
        pending.SentIn = _incarnation;
    }

    private void OnReply(IWorkerReply reply)
    {
        if (!Sender.Equals(_worker) || !_inFlight.TryGetValue(reply.RequestId, out var pending))
        {
            _dropped++;
            return;
        }
        if (reply is not SftProgress)
        {
            _inFlight.Remove(reply.RequestId);
            Remember(pending.Request, reply);
        }
        pending.Requester.Tell(reply);
    }

    /// <summary>The policy a replacement must restore: the last one this worker confirmed holding.</summary>
    private void Remember(IWorkerRequest request, IWorkerReply reply)
    {
        (_restore, _policyVersion) = (request, reply) switch
        {
            (InitPolicy init, PolicyReady r) => ((object)init, r.Version),
            (LoadPolicy load, PolicyReady r) => (load.Weights, r.Version),
            (_, SftCompleted s) => (s.Weights, s.Weights.Version),
            (_, IterationTrained t) => (t.Weights, t.Weights.Version),
            (_, PolicyRestored r) => (r.Weights, r.Weights.Version),
            _ => (_restore, _policyVersion),
        };
    }
}
