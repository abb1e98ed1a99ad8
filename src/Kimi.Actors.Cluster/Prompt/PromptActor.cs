using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Protocol.Journal;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;

namespace Kimi.Actors.Cluster.Prompt;

/// <summary>
/// The Prompt entity: one prompt of one run and its attempt/success counts. Every judged group with new samples is
/// one persisted <see cref="GroupJudged"/>, tagged with the run so the Run can rebuild its sampler from the journal;
/// a redelivered group adds nothing; a malformed one (negative iteration or sample, another prompt's) is answered with
/// <see cref="Status.Failure"/>. The logic lives in <see cref="PromptState"/>.
/// </summary>
public sealed class PromptActor : ReceivePersistentActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PromptSettings _settings;
    private readonly string _tag;
    private PromptState _state;
    // Set when the journal holds an event this build cannot read: the entity then refuses to record anything.
    private string? _unreadable;

    /// <param name="entityId">The sharding entity id, <see cref="EntityIds.Prompt"/>(run, prompt).</param>
    public PromptActor(string entityId, PromptSettings settings)
    {
        var (runId, promptId) = EntityIds.ParsePrompt(entityId);
        _settings = settings;
        _tag = EntityIds.RunTag(runId);
        _state = PromptState.Empty(runId, promptId, settings.IdempotencyWindow);
        PersistenceId = EntityIds.PromptPersistenceId(runId, promptId);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is PromptSnapshotV1 snapshot)
                _state = PromptState.FromSnapshot((PromptSnapshot)JournalMapper.FromJournal(snapshot), settings.IdempotencyWindow);
            else if (offer.Snapshot is UnreadableJournalEvent u) _unreadable = u.Reason;
        });
        Recover<GroupJudgedV1>(judged => _state = _state.ProcessEvent((GroupJudged)JournalMapper.FromJournal(judged)));
        Recover<UnreadableJournalEvent>(u => _unreadable ??= u.Reason);

        // Fault rules for Prompt entities see each protocol message as it is handled (true: a rule dropped it).
        var faults = FaultRegistry.Get(Context.System).ForEntity(FaultTargets.Prompt, entityId, _log);
        Command<IKimiMessage>(_ => { }, m => !faults.Admit(m));
        Command<RecordJudgedGroup>(Record);
        Command<GetPromptStats>(_ => Sender.Tell(_state.Stats()));
        // Older snapshots are superseded by the one just saved; events stay (the Run's rebuild reads them).
        Command<SaveSnapshotSuccess>(saved => DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(failed => _log.Warning(failed.Cause,
            "Prompt {0}: snapshot at {1} not saved; recovery replays more events", PersistenceId, failed.Metadata.SequenceNr));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning(failed.Cause, "Prompt {0}: old snapshots not deleted", PersistenceId));
    }

    public override string PersistenceId { get; }

    public static Props Props(string entityId, PromptSettings settings) => Akka.Actor.Props.Create(() => new PromptActor(entityId, settings));

    private void Record(RecordJudgedGroup command)
    {
        if (_unreadable is not null)
        {
            Sender.Tell(new Status.Failure(new InvalidOperationException($"prompt {PersistenceId}: {_unreadable}")));
            return;
        }
        GroupJudged? judged;
        try
        {
            judged = _state.ProcessCommand(command);
        }
        catch (ArgumentException e)
        {
            // A malformed command says nothing about this entity's state: refuse it and carry on.
            _log.Warning("Prompt {0}: refused a group: {1}", PersistenceId, e.Message);
            Sender.Tell(new Status.Failure(e));
            return;
        }
        if (judged is null)
        {
            Sender.Tell(_state.Reply(command, null));
            return;
        }
        var sender = Sender;
        Persist(new Tagged(JournalMapper.ToJournal(judged), [_tag]), _ =>
        {
            _state = _state.ProcessEvent(judged);
            sender.Tell(_state.Reply(command, judged));
            if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(JournalMapper.ToJournal(_state.ToSnapshot()));
        });
    }
}
