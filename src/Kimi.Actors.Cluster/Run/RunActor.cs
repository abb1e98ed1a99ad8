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
        var (key, problem) = Hyperparameters.Check(_state, m.Key, m.Value);
        if (problem is not null) { Sender.Tell(new RunRejected(RunId, problem)); return; }
        int committed = _state.Progress.CommittedIterations;
        int from = session?.Machine.Phase == RunPhase.Iterating ? committed + 1 : committed;
        var replyTo = Sender;
        Persist(JournalMapper.ToJournal(new HyperparameterChanged(key, m.Value, from)), e =>
        {
            _state = _state.Apply(JournalMapper.FromJournal(e));
            replyTo.Tell(new HyperparameterAccepted(RunId, key, m.Value, from));
            if (_session is not null) Decide(new OptionsChanged(RunOptionsBinder.Bind(_state.EffectiveConfig())));
        });
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
