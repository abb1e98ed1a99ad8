using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Kimi.Actors.Cluster.Configuration;
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
/// </summary>
public sealed class RunActor : ReceivePersistentActor, IWithTimers
{
    private const string ResendTimer = "resend";
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<IActorRef> _subscribers = [];
    private RunState _state;
    private IActorRef? _requester;
    private Session? _session;
    private string? _lastFailure;

    /// <summary>One activation of the run: its machine, what the machine reads, and where its commands go.</summary>
    private sealed class Session(RunMachine machine, RunContext context, RunRoutes routes, TimeSpan resendAfter)
    {
        public RunMachine Machine = machine;
        public readonly RunContext Context = context;
        public readonly RunRoutes Routes = routes;
        public readonly TimeSpan ResendAfter = resendAfter;
        public readonly Stopwatch Clock = Stopwatch.StartNew();
    }

    public RunActor(RunId runId)
    {
        _state = RunState.Empty(runId);
        PersistenceId = EntityIds.RunPersistenceId(runId);
        Recover<UnreadableJournalEvent>(u => _state = _state with { Unreadable = _state.Unreadable ?? u.Reason });
        Recover<IJournalEvent>(e => _state = _state.Apply(JournalMapper.FromJournal(e)));
        Become(Idle);
    }

    public override string PersistenceId { get; }
    public ITimerScheduler Timers { get; set; } = null!;
    private RunId RunId => _state.RunId;

    /// <summary>Not running: waits to be started or continued.</summary>
    private void Idle()
    {
        Command<StartRun>(Start);
        Command<ContinueRun>(Continue);
        Command<SetHyperparameter>(m => Change(m, null));
        // Not running: a console's pause, resume or stop is answered at once with why nothing happened.
        Command<PauseRun>(m => NotRunning(m.RunId, "pause"));
        Command<ResumeRun>(m => NotRunning(m.RunId, "resume (continue it with kimi train --resume)"));
        Command<StopRun>(m => NotRunning(m.RunId, "stop"));
        Common();
        Command<IKimiMessage>(_ => { }); // late replies to a session that has ended
    }

    private void Active()
    {
        Command<StartRun>(_ => Sender.Tell(new RunRejected(RunId, $"run {RunId} is already running")));
        Command<ContinueRun>(_ => Sender.Tell(new RunRejected(RunId, $"run {RunId} is already running")));
        Command<PauseRun>(_ => Control(new PauseRequested()));
        Command<ResumeRun>(_ => Control(new ResumeRequested()));
        Command<StopRun>(_ => Control(new StopRequested()));
        Command<SetHyperparameter>(m => Change(m, _session));
        Command<object>(m => RunRoutes.ToInput(m) is not null, m => Decide(RunRoutes.ToInput(m)!));
        Common();
    }

    private void Common()
    {
        Command<SubscribeRun>(m =>
        {
            _subscribers.Add(m.Subscriber);
            Context.Watch(m.Subscriber);
        });
        Command<Terminated>(t => _subscribers.Remove(t.ActorRef));
        Command<GetRunStatus>(_ => Sender.Tell(Status()));
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
            context = new RunContext(RunId, TaskSuite.Create(options.Tasks, options.Seed, tokenizer), tokenizer, options.Sampling);
        }
        catch (Exception e) when (e is ConfigException or ArgumentException or Tasks.PromptSetException or IOException)
        {
            _lastFailure = e.Message;
            _log.Error("run {0} cannot start: {1}", RunId, e.Message);
            _requester?.Tell(new RunReported(RunId, new RunFailed(e.Message)));
            return;
        }
        var decision = RunMachine.Start(context, RunId, options, _state.Progress, node.GeneratorSlots, node.JudgeSlots,
            session: Random.Shared.NextInt64(1, long.MaxValue));
        _session = new Session(decision.State, context, new RunRoutes(Context.System, Self, RunId, options.Tokenizer), node.ResendAfter);
        _lastFailure = null;
        _requester?.Tell(new RunAccepted(RunId, _state.Progress.CommittedIterations, _state.Progress.TargetIterations));
        Become(Active);
        Execute(decision.Commands, 0);
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
        var message = new RunReported(RunId, report);
        foreach (var s in _subscribers) s.Tell(message);
        // A requester that did not subscribe still hears how its run ended.
        if (report is RunFailed or RunFinished && _requester is { } r && !_subscribers.Contains(r)) r.Tell(message);
    }

    private void End(RunMachine machine)
    {
        Timers.CancelAll();
        _lastFailure = machine.Phase == RunPhase.Failed ? machine.FailureReason : null;
        _session = null;
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
