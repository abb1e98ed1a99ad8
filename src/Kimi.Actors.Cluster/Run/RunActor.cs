using System.Diagnostics;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using Akka.Persistence;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Protocol.Journal;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.WeightSync;
using static Kimi.Actors.Cluster.Protocol.RunControlProtocol;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Run;

/// <summary>
/// The Run entity (sharded by run id, persistent): a thin shell around <see cref="RunMachine"/>. It keeps the run's
/// durable <see cref="RunState"/> (configuration, hyperparameter changes, progress), starts a session when the run is
/// started or continued, feeds the machine every reply, persists the facts it emits before acting on what follows them,
/// and routes its other commands to the entities (<see cref="RunRoutes"/>). The method's order, retries and metrics are
/// the machine's; the model, checkpoints and parameter counts are the workers'.
/// Across nodes: the trainer and generator entities of a session are watched; when one goes (its node died or left and
/// its shard moved) the session starts again from the last committed iteration, attaching them where they are now. A
/// Run that recovers while its run is marked active (<see cref="ActiveRuns"/>: restarted by remember-entities on
/// another node, or by its back-off supervisor after a journal failure) continues the run by itself.
/// </summary>
public sealed class RunActor : ReceivePersistentActor, IWithTimers
{
    private const string ResendTimer = "resend", AttachTimer = "attach";
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<IActorRef> _subscribers = [];
    private RunState _state;
    private IActorRef? _requester;
    private Session? _session;
    private string? _lastFailure;
    // The session's trainer and generator entities (watched), by what they are to the run (trainer, rollout-N).
    private readonly Dictionary<IActorRef, string> _entities = [];
    // Where they were: worker → node now, and role → every node that hosted one (PlacementProtocol).
    private readonly SortedDictionary<string, string> _placed = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, SortedSet<string>> _hosted = new(StringComparer.Ordinal);
    // How this incarnation's last session ended, for a follower that subscribes after the end (a re-subscribing client).
    private RunFinished? _finished;
    private readonly FaultInjector _faults;

    /// <summary>The answer to "is this run marked active?", asked once recovery is complete.</summary>
    private sealed record ActiveChecked(bool Active) : INoSerializationVerificationNeeded;

    /// <summary>The attach timer: the session has waited <see cref="RunNodeSettings.AttachTimeout"/> for its workers.</summary>
    private sealed record AttachOverdue : INoSerializationVerificationNeeded;

    /// <summary>One activation of the run: its machine, what the machine reads, and where its commands go.</summary>
    private sealed class Session(RunMachine machine, RunContext context, RunRoutes routes, TimeSpan resendAfter, TimeSpan attachTimeout)
    {
        public RunMachine Machine = machine;
        public readonly RunContext Context = context;
        public readonly RunRoutes Routes = routes;
        public readonly TimeSpan ResendAfter = resendAfter;
        public readonly TimeSpan AttachTimeout = attachTimeout;
        public readonly Stopwatch Clock = Stopwatch.StartNew();
    }

    public RunActor(RunId runId)
    {
        _state = RunState.Empty(runId);
        PersistenceId = EntityIds.RunPersistenceId(runId);
        _faults = FaultRegistry.Get(Context.System).ForEntity(FaultTargets.Run, runId.Value, _log);
        Recover<UnreadableJournalEvent>(u => _state = _state with { Unreadable = _state.Unreadable ?? u.Reason });
        Recover<IJournalEvent>(e => _state = _state.Apply(JournalMapper.FromJournal(e)));
        Recover<RecoveryCompleted>(_ => CheckActive());
        Become(Idle);
    }

    public override string PersistenceId { get; }
    public ITimerScheduler Timers { get; set; } = null!;
    private RunId RunId => _state.RunId;

    /// <summary>
    /// First in every behaviour: fault rules for the Run see each protocol message as it is handled (a command stashed
    /// while an event is written is counted when it is handled, once). True: a rule dropped it.
    /// </summary>
    private void Faults() => Command<IKimiMessage>(_ => { }, m => !_faults.Admit(m));

    /// <summary>Not running: waits to be started or continued.</summary>
    private void Idle()
    {
        Faults();
        Command<StartRun>(Start);
        Command<ContinueRun>(Continue);
        Command<SetHyperparameter>(m => Change(m, null));
        // Not running: a console's pause, resume or stop is answered at once with why nothing happened.
        Command<PauseRun>(m => NotRunning(m.RunId, "pause"));
        Command<ResumeRun>(m => NotRunning(m.RunId, "resume (continue it with kimi train --resume)"));
        Command<StopRun>(m => NotRunning(m.RunId, "stop"));
        Command<ActiveChecked>(m => { if (m.Active && _session is null && ShouldContinue) AutoContinue(); });
        Common();
        Command<IKimiMessage>(_ => { }); // late replies to a session that has ended
        Command<Terminated>(_ => { }); // an entity of a session that has ended
    }

    private void Active()
    {
        Faults();
        Command<StartRun>(_ => Sender.Tell(new RunRejected(RunId, $"run {RunId} is already running")));
        Command<ContinueRun>(Rejoin);
        Command<PauseRun>(_ => Control(new PauseRequested()));
        Command<ResumeRun>(_ => Control(new ResumeRequested()));
        Command<StopRun>(_ => Control(new StopRequested()));
        Command<SetHyperparameter>(m => Change(m, _session));
        Command<Terminated>(t => EntityLost(t.ActorRef), (Predicate<Terminated>)(t => _entities.ContainsKey(t.ActorRef)));
        Command<AttachOverdue>(_ => Reattach());
        Command<ActiveChecked>(_ => { });
        Command<object>(m => RunRoutes.ToInput(m) is not null, m =>
        {
            if (m is TrainerProtocol.TrainerAvailable) WatchEntity(Sender, "trainer");
            else if (m is GeneratorProtocol.GeneratorAvailable g) WatchEntity(Sender, g.Slot.ToString());
            Decide(RunRoutes.ToInput(m)!);
        });
        Common();
    }

    private void Common()
    {
        Command<SubscribeRun>(m =>
        {
            // Followers renew their subscription (a Run that moved has none): a new one that missed the end hears it.
            if (_subscribers.Add(m.Subscriber) && _session is null && _finished is { } finished) m.Subscriber.Tell(new RunReported(RunId, finished));
            Context.Watch(m.Subscriber);
        });
        Command<Terminated>(t => _subscribers.Remove(t.ActorRef), (Predicate<Terminated>)(t => _subscribers.Contains(t.ActorRef)));
        Command<GetRunStatus>(_ => Sender.Tell(Status()));
        Command<PlacementProtocol.GetRunPlacement>(m =>
        {
            if (Refused(m.RunId)) return;
            Sender.Tell(new PlacementProtocol.RunPlacement(RunId, NodeOf(Self),
                _hosted.ToDictionary(h => h.Key, h => (IReadOnlyList<string>)[.. h.Value]), new Dictionary<string, string>(_placed)));
        });
        Command<IUpdateResponse>(m =>
        {
            if (m is not UpdateSuccess) _log.Warning("run {0}: the cluster's record of active runs was not updated ({1})", RunId, m.GetType().Name);
        });
        Command<GetRunDetails>(m => Answer(m.RunId, Details));
        Command<GetHyperparameter>(m => Answer(m.RunId, () => Value(m.Key)));
        Command<GetHyperparameterHistory>(m => Answer(m.RunId, () => History(m.Key)));
        Command<GetWeakestPrompts>(Weakest);
        Command<PinCheckpoint>(m => Answer(m.RunId, Pin));
    }

    private void NotRunning(RunId requested, string what)
    {
        if (Refused(requested)) return;
        Sender.Tell(new RunRejected(RunId, !_state.Started ? $"no run with id {RunId}"
            : $"run {RunId} is {Status().State.ToString().ToLowerInvariant()}, not running: nothing to {what}"));
    }

    /// <summary>Replies with <paramref name="answer"/> for a run the journal holds, else with why not.</summary>
    private void Answer(RunId requested, Func<object> answer)
    {
        if (Refused(requested)) return;
        if (!_state.Started) { Sender.Tell(new RunRejected(RunId, $"no run with id {RunId}")); return; }
        Sender.Tell(answer());
    }

    // ---------------------------------------------------------------- starting a session

    private void Start(StartRun m)
    {
        if (Refused(m.RunId)) return;
        if (_state.Started) { Sender.Tell(new RunRejected(RunId, $"run {RunId} already exists; continue it with --resume {RunId}")); return; }
        RunOptions options;
        try { options = RunOptionsBinder.Bind(Akka.Configuration.ConfigurationFactory.ParseString(m.ConfigHocon)); }
        catch (Exception e) when (e is ConfigException or Akka.Configuration.ConfigurationException or ArgumentException)
        {
            Sender.Tell(new RunRejected(RunId, e.Message));
            return;
        }
        _requester = Sender;
        Persist(JournalMapper.ToJournal(new RunStarted(m.ConfigHocon, options.Iterations, DateTime.UtcNow)), e => Activate(e));
    }

    private void Continue(ContinueRun m)
    {
        if (Refused(m.RunId)) return;
        if (!_state.Started) { Sender.Tell(new RunRejected(RunId, $"no run with id {RunId} in the journal")); return; }
        if (m.AdditionalIterations is < 0) { Sender.Tell(new RunRejected(RunId, $"additional iterations must be >= 0, got {m.AdditionalIterations}")); return; }
        _requester = Sender;
        if (m.AdditionalIterations is { } more)
            Persist(JournalMapper.ToJournal(new TargetExtended(_state.Progress.CommittedIterations + more)), e => Activate(e));
        else Activate(null);
    }

    /// <summary>
    /// Continue a run that is going on here: the sender follows it as its requester (a client that detached, or whose
    /// run moved to this node, comes back), and a paused session resumes. More iterations are for a stopped run.
    /// </summary>
    private void Rejoin(ContinueRun m)
    {
        if (Refused(m.RunId)) return;
        if (m.AdditionalIterations is not null)
        {
            Sender.Tell(new RunRejected(RunId, $"run {RunId} is running (iteration {_state.Progress.CommittedIterations} of " +
                $"{_state.Progress.TargetIterations}); more iterations can be added once it has stopped"));
            return;
        }
        _requester = Sender;
        Sender.Tell(new RunAccepted(RunId, _state.Progress.CommittedIterations, _state.Progress.TargetIterations));
        if (_session!.Machine.Phase == RunPhase.Paused) Decide(new ResumeRequested());
    }

    private bool Refused(RunId requested)
    {
        string? reason = requested != RunId ? $"message for run {requested} reached the entity of run {RunId}"
            : _state.Unreadable is { } u ? $"run {RunId} cannot be recovered from the journal: {u}" : null;
        if (reason is not null) Sender.Tell(new RunRejected(requested, reason));
        return reason is not null;
    }

    /// <summary>A session begins: bind the options in force, rebuild the prompts, start the machine.</summary>
    private void Activate(IJournalEvent? persisted)
    {
        if (persisted is not null) _state = _state.Apply(JournalMapper.FromJournal(persisted));
        RunOptions options;
        RunNodeSettings node;
        RunContext context;
        try
        {
            options = RunOptionsBinder.Bind(_state.EffectiveConfig());
            node = RunNodeSettings.FromConfig(Context.System.Settings.Config);
            var tokenizer = options.Tokenizer.Create();
            context = new RunContext(RunId, TaskSuite.Create(options.Tasks, options.Seed, tokenizer), tokenizer, options.Sampling,
                RunContext.ImageLayoutOf(options));
        }
        catch (Exception e) when (e is ConfigException or ArgumentException or Tasks.PromptSetException or IOException or Model.Checkpoints.CheckpointException)
        {
            _lastFailure = e.Message;
            _log.Error("run {0} cannot start: {1}", RunId, e.Message);
            _requester?.Tell(new RunReported(RunId, new RunFailed(e.Message)));
            return;
        }
        var decision = RunMachine.Start(context, RunId, options, _state.Progress, node.GeneratorSlots, node.JudgeSlots,
            session: Random.Shared.NextInt64(1, long.MaxValue));
        _session = new Session(decision.State, context, new RunRoutes(Context.System, Self, RunId, options.Tokenizer), node.ResendAfter,
            node.AttachTimeout);
        _lastFailure = null;
        _finished = null;
        _requester?.Tell(new RunAccepted(RunId, _state.Progress.CommittedIterations, _state.Progress.TargetIterations));
        ActiveRuns.Mark(Context.System, RunId, Self);
        Timers.StartPeriodicTimer(AttachTimer, new AttachOverdue(), node.AttachTimeout);
        Become(Active);
        Execute(decision.Commands, 0);
    }

    // ---------------------------------------------------------------- across nodes

    /// <summary>Recovered: a run marked active whose session is not here (its node died, or its journal failed it) continues.</summary>
    private void CheckActive()
    {
        if (!ShouldContinue) return;
        ActiveRuns.IsMarkedAsync(Context.System, RunId).PipeTo(Self, success: active => new ActiveChecked(active),
            failure: e =>
            {
                _log.Warning("run {0}: cannot read the cluster's record of active runs ({1}); the run waits to be continued", RunId, e.Message);
                return new ActiveChecked(false);
            });
    }

    /// <summary>Started, not finished, not paused, readable: a run that would carry on if its session were still there.</summary>
    private bool ShouldContinue => _state.Started && !_state.Progress.Completed && !_state.Progress.Paused && _state.Unreadable is null;

    private void AutoContinue()
    {
        _log.Warning("run {0}: recovered on {1} while active; continuing from iteration {2}", RunId,
            Akka.Cluster.Cluster.Get(Context.System).SelfAddress, _state.Progress.CommittedIterations);
        _requester = null;
        Activate(null);
        Publish(new RunWarning($"run {RunId} continues on {Akka.Cluster.Cluster.Get(Context.System).SelfAddress} from iteration " +
            $"{_state.Progress.CommittedIterations} (its Run entity was started again)"));
    }

    private void WatchEntity(IActorRef entity, string what)
    {
        // Replies the entities forward from their workers come from the workers; availability comes from the entity itself.
        if (entity.IsNobody() || _entities.ContainsKey(entity)) return;
        _entities[entity] = what;
        Context.Watch(entity);
        var node = NodeOf(entity);
        _placed[what] = node;
        var role = what == "trainer" ? "trainer" : "rollout";
        if (!_hosted.TryGetValue(role, out var nodes)) _hosted[role] = nodes = new SortedSet<string>(StringComparer.Ordinal);
        nodes.Add(node);
    }

    /// <summary>The cluster address (host:port) of the node an actor lives on.</summary>
    private string NodeOf(IActorRef actor)
    {
        var address = actor.Path.Address.HasGlobalScope ? actor.Path.Address : Akka.Cluster.Cluster.Get(Context.System).SelfAddress;
        return $"{address.Host}:{address.Port}";
    }

    private void UnwatchEntities()
    {
        foreach (var entity in _entities.Keys) Context.Unwatch(entity);
        _entities.Clear();
    }

    /// <summary>
    /// A trainer or generator entity of the session stopped: its node died (and was downed) or left and handed its shard
    /// off. The work in flight on it is gone, so the session starts again from the last committed iteration; attaching
    /// reaches the entity wherever its shard lives now. A node that is itself shutting down only lets the session go.
    /// </summary>
    private void EntityLost(IActorRef entity)
    {
        var what = _entities[entity];
        if (CoordinatedShutdown.Get(Context.System).ShutdownReason is not null)
        {
            _log.Info("run {0}: {1} stopped while this node shuts down", RunId, what);
            UnwatchEntities();
            return;
        }
        var reason = $"{what} ({entity.Path.Address}) is gone: its node left or died";
        _log.Warning("run {0}: {1}; the session starts again from iteration {2}", RunId, reason, _state.Progress.CommittedIterations);
        Publish(new RunWarning($"{reason}; run {RunId} starts again from its last committed iteration ({_state.Progress.CommittedIterations})"));
        Timers.CancelAll();
        UnwatchEntities();
        _session = null;
        Activate(null);
    }

    /// <summary>
    /// The session still waits for workers it attached: say which, and attach them again (the request may have been lost
    /// with a node that died, or no member with the role may be up yet; attaching twice is harmless).
    /// </summary>
    private void Reattach()
    {
        var session = _session!;
        if (session.Machine.Phase != RunPhase.Preparing) { Timers.Cancel(AttachTimer); return; }
        var waiting = session.Machine.Generators.Where(g => g.Value == GeneratorState.Pending).Select(g => new GeneratorSlot(g.Key)).ToList();
        var names = (session.Machine.TrainerUp ? [] : new List<string> { "the trainer (role trainer)" })
            .Concat(waiting.Select(s => $"{s} (role rollout)")).ToList();
        if (names.Count == 0) return;
        Publish(new RunWarning($"run {RunId} has waited {session.AttachTimeout.TotalSeconds:0} s for {string.Join(", ", names)}; " +
            "is a node with that role up, with a free device slot (kimi.workers.devices, slots-per-device)? Attaching again"));
        if (!session.Machine.TrainerUp) session.Routes.Send(new AttachTrainer());
        foreach (var slot in waiting) session.Routes.Send(new AttachGenerator(slot));
    }

    // ---------------------------------------------------------------- the session

    private void Control(IRunInput input)
    {
        Decide(input);
        Sender.Tell(Status());
    }

    private void Decide(IRunInput input)
    {
        var session = _session!;
        var decision = session.Machine.Next(session.Context, input, session.Clock.Elapsed);
        session.Machine = decision.State;
        Execute(decision.Commands, 0);
    }

    /// <summary>Carries out commands in order; nothing after a fact runs before the fact is durable.</summary>
    private void Execute(IReadOnlyList<IRunCommand> commands, int from)
    {
        var session = _session!;
        for (int i = from; i < commands.Count; i++)
        {
            switch (commands[i])
            {
                case Persist p:
                    int next = i + 1;
                    Persist(JournalMapper.ToJournal(p.Fact), _ =>
                    {
                        _state = _state.Apply(p.Fact);
                        Execute(commands, next);
                    });
                    return;
                case Report r: Publish(r.Progress); break;
                case SetResendTimer { On: true }: Timers.StartPeriodicTimer(ResendTimer, new LocalInput(new ResendDue()), session.ResendAfter); break;
                case SetResendTimer: Timers.Cancel(ResendTimer); break;
                case var command: session.Routes.Send(command); break;
            }
        }
        if (session.Machine.IsOver) End(session.Machine);
    }

    private void Publish(IRunReport report)
    {
        switch (report)
        {
            case RunWarning w: _log.Warning("run {0}: {1}", RunId, w.Message); break;
            case RunFailed f: _log.Error("run {0} failed: {1}", RunId, f.Reason); break;
        }
        if (report is RunFinished finished) _finished = finished;
        var message = new RunReported(RunId, report);
        foreach (var s in _subscribers) s.Tell(message);
        // A requester that did not subscribe still hears how its run ended.
        if (report is RunFailed or RunFinished && _requester is { } r && !_subscribers.Contains(r)) r.Tell(message);
    }

    private void End(RunMachine machine)
    {
        Timers.CancelAll();
        UnwatchEntities();
        _lastFailure = machine.Phase == RunPhase.Failed ? machine.FailureReason : null;
        _session = null;
        ActiveRuns.Clear(Context.System, RunId, Self);
        Become(Idle);
    }

    // ---------------------------------------------------------------- hyperparameters and status

    private void Change(SetHyperparameter m, Session? session)
    {
        if (Refused(m.RunId)) return;
        if (!_state.Started) { Sender.Tell(new RunRejected(RunId, $"no run with id {RunId}")); return; }
        var verdict = Hyperparameters.Check(_state, m.Key, m.Value);
        if (verdict.Problem is not null) { Sender.Tell(new RunRejected(RunId, verdict.Problem, verdict.Allowed)); return; }
        int committed = _state.Progress.CommittedIterations;
        int from = session?.Machine.Phase == RunPhase.Iterating ? committed + 1 : committed;
        var replyTo = Sender;
        Persist(JournalMapper.ToJournal(new HyperparameterChanged(verdict.Key, verdict.Value, from, DateTime.UtcNow)), e =>
        {
            _state = _state.Apply(JournalMapper.FromJournal(e));
            var config = _state.EffectiveConfig();
            var options = RunOptionsBinder.Bind(config);
            replyTo.Tell(new HyperparameterAccepted(RunId, verdict.Key, Hyperparameters.ValueOf(verdict.Key, options, config), from));
            if (_session is not null) Decide(new OptionsChanged(options));
        });
    }

    /// <summary>The options in force now: the session's, or (not running) those the next session starts with.</summary>
    private RunOptions InForce() => _session?.Machine.Options ?? RunOptionsBinder.Bind(_state.EffectiveConfig());

    private RunDetails Details()
    {
        var machine = _session?.Machine;
        var inForce = InForce();
        var values = Tunables.ValuesOf(inForce);
        var pending = new List<PendingChange>();
        if (machine?.PendingOptions is { } next)
            foreach (var (name, value) in Tunables.ValuesOf(next).Where(p => values[p.Key] != p.Value))
            {
                var key = Tunables.Find(name)!.Key;
                int from = _state.Changes.LastOrDefault(c => c.Key == key)?.FromIteration ?? _state.Progress.CommittedIterations + 1;
                pending.Add(new PendingChange(name, key, value, from));
            }
        return new RunDetails(Status(), values, pending, _state.LastMetrics, machine?.WorkerRestarts ?? 0,
            machine?.FailureReason ?? _lastFailure ?? _state.Unreadable, _state.StartedAtUtc);
    }

    private object Value(string nameOrKey)
    {
        var (key, problem, allowed) = Hyperparameters.Resolve(nameOrKey);
        if (key is null) return new RunRejected(RunId, problem!, allowed);
        var config = _state.EffectiveConfig();
        var value = Hyperparameters.ValueOf(key, InForce(), config);
        var latest = Hyperparameters.ValueOf(key, RunOptionsBinder.Bind(config), config);
        var change = _state.Changes.LastOrDefault(c => c.Key == key);
        var pending = latest != value && change is not null ? new PendingChange(Hyperparameters.NameOf(key), key, latest, change.FromIteration) : null;
        return new HyperparameterValue(RunId, Hyperparameters.NameOf(key), key, value, Hyperparameters.AllowedFor(_state, key),
            Tunables.All.FirstOrDefault(t => t.Key == key)?.Description, pending);
    }

    /// <summary>Every accepted change (of one key, or all), with the value it replaced, read back by binding the history in order.</summary>
    private object History(string? nameOrKey)
    {
        string? key = null;
        if (nameOrKey is not null)
        {
            (key, var problem, var allowed) = Hyperparameters.Resolve(nameOrKey);
            if (key is null) return new RunRejected(RunId, problem!, allowed);
        }
        var entries = new List<HyperparameterChangeEntry>();
        for (int i = 0; i < _state.Changes.Count; i++)
        {
            var change = _state.Changes[i];
            if (key is not null && change.Key != key) continue;
            string ValueAfter(int changes)
            {
                var config = _state.ConfigWith(changes);
                try { return Hyperparameters.ValueOf(change.Key, RunOptionsBinder.Bind(config), config); }
                catch (Exception e) when (e is ConfigException or Akka.Configuration.ConfigurationException or ArgumentException) { return change.Value; }
            }
            entries.Add(new HyperparameterChangeEntry(Hyperparameters.NameOf(change.Key), change.Key, ValueAfter(i), ValueAfter(i + 1),
                change.FromIteration, change.AtUtc));
        }
        return new HyperparameterHistory(RunId, entries);
    }

    /// <summary>Success rates from the Prompt entities' journal (every judged group persisted), joined with the prompt set.</summary>
    private void Weakest(GetWeakestPrompts m)
    {
        if (Refused(m.RunId)) return;
        if (!_state.Started) { Sender.Tell(new RunRejected(RunId, $"no run with id {RunId}")); return; }
        if (m.Count < 1) { Sender.Tell(new RunRejected(RunId, $"the number of prompts must be >= 1, got {m.Count}")); return; }
        var system = Context.System;
        var runId = RunId;
        var session = _session?.Context.Tasks.Train;
        var options = InForce();
        Task.Run(async () =>
        {
            var prompts = session ?? TaskSuite.Create(options.Tasks, options.Seed, options.Tokenizer.Create()).Train;
            var counts = await PromptIndexRebuild.LoadAsync(system, runId, upToIteration: int.MaxValue).ConfigureAwait(false);
            return (object)PromptRanking.Weakest(runId, prompts, counts, m.Count, m.Tag, m.Domain);
        }).PipeTo(Sender, failure: e => new RunRejected(runId, "reading the prompt statistics failed: " + e.GetBaseException().Message));
    }

    private object Pin()
    {
        var p = _state.Progress;
        if (p.Checkpoint is not { } checkpoint)
            return new RunRejected(RunId, $"run {RunId} has no checkpoint yet (warm-up SFT has not finished)");
        int iteration = p.CommittedIterations;
        bool pinned = CheckpointStore.Pin(checkpoint.Directory,
            $"pinned from the console at {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}: run {RunId}, {iteration} iterations, version {p.WeightVersion}");
        return new CheckpointPinned(RunId, iteration, p.WeightVersion, checkpoint.Directory, checkpoint.Sha256, pinned, pinned
            ? $"kept when older checkpoints are pruned ({CheckpointStore.PinFile} written into the folder)"
            : $"the folder is not visible from node {Akka.Cluster.Cluster.Get(Context.System).SelfAddress}: it is kept only while among the newest kimi.persistence.keep-checkpoints");
    }

    private RunStatus Status()
    {
        var p = _state.Progress;
        var kind = _session?.Machine.Phase switch
        {
            RunPhase.Paused => RunStatusKind.Paused,
            RunPhase.Completed => RunStatusKind.Completed,
            RunPhase.Failed => RunStatusKind.Failed,
            not null => RunStatusKind.Active,
            null when !_state.Started => RunStatusKind.New,
            null when _state.Unreadable is not null || _lastFailure is not null => RunStatusKind.Failed,
            null when p.Completed => RunStatusKind.Completed,
            null => RunStatusKind.Stopped,
        };
        return new RunStatus(RunId, kind, _session?.Machine.Phase, p.CommittedIterations, p.WeightVersion, p.TargetIterations, p.LastEvaluation?.Accuracy);
    }

    public static Props Props(string entityId) => Akka.Actor.Props.Create(() => new RunActor(RunId.Parse(entityId)));
}
