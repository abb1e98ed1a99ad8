using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Protocol.Journal;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;

namespace Kimi.Actors.Cluster.Run;

/// <summary>
/// Exactly-once, checked where it matters: every trajectory a Prompt entity journaled as judged against every trajectory
/// the trainer reported it trained on (journaled with each committed iteration), id by id.
/// </summary>
/// <param name="CommittedIterations">Iterations the Run committed.</param>
/// <param name="Judged">Distinct trajectories journaled as judged.</param>
/// <param name="Trained">Trajectories the trainer consumed, counting repeats.</param>
/// <param name="Lost">Judged in a committed iteration but never trained.</param>
/// <param name="Duplicated">Trained more than once.</param>
/// <param name="Unjudged">Trained although no Prompt entity journaled them as judged.</param>
/// <param name="Pending">
/// Judged after the last commit: the iteration they belong to never committed (the run was stopped or killed in it).
/// They train when the run is continued, which runs that iteration again.
/// </param>
/// <param name="TrainedByIteration">What the trainer consumed in each committed iteration that still counts.</param>
/// <param name="Superseded">
/// Judged in an iteration that a later fallback (<see cref="RolledBack"/>: the newest checkpoint was damaged) took back,
/// and not trained by a commit that still counts. The training on them went with the damaged weights; the Prompt
/// entities keep their verdicts (they were real attempts), and the iteration ran again with fresh samples.
/// </param>
/// <param name="RolledBackCommits">Commits a fallback took back: what they trained no longer counts.</param>
public sealed record RunAuditReport(RunId RunId, int CommittedIterations, int Judged, int Trained, IReadOnlyList<TrajectoryId> Lost,
    IReadOnlyList<TrajectoryId> Duplicated, IReadOnlyList<TrajectoryId> Unjudged, IReadOnlyList<TrajectoryId> Pending,
    IReadOnlyDictionary<int, IReadOnlyList<TrajectoryId>> TrainedByIteration)
{
    public IReadOnlyList<TrajectoryId> Superseded { get; init; } = [];
    public int RolledBackCommits { get; init; }

    public bool ExactlyOnce => Lost.Count == 0 && Duplicated.Count == 0 && Unjudged.Count == 0;

    /// <summary>
    /// Compares a run's journals: the Run entity's (what the trainer consumed, per committed iteration) and its Prompt
    /// entities' (what was judged), by trajectory id.
    /// </summary>
    /// <exception cref="JournalFormatException">An event of the run cannot be read by this build.</exception>
    public static async Task<RunAuditReport> AuditAsync(ActorSystem system, RunId runId, CancellationToken cancel = default,
        string readJournalId = SqlPersistence.QueryConfigPath)
    {
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(readJournalId);
        var materializer = system.Materializer(namePrefix: "kimi-audit");
        try
        {
            var runEvents = await Read(journal.CurrentEventsByPersistenceId(EntityIds.RunPersistenceId(runId), 0, long.MaxValue), materializer, cancel);
            var promptEvents = await Read(journal.CurrentEventsByTag(EntityIds.RunTag(runId), Offset.NoOffset()), materializer, cancel);
            return Compare(runId, runEvents, promptEvents);
        }
        finally
        {
            materializer.Dispose();
        }
    }

    private static async Task<List<EventEnvelope>> Read(Source<EventEnvelope, Akka.NotUsed> source, IMaterializer materializer, CancellationToken cancel)
    {
        var events = await source.RunWith(Sink.Seq<EventEnvelope>(), materializer).WaitAsync(cancel);
        if (events.FirstOrDefault(e => e.Event is UnreadableJournalEvent) is { } bad)
            throw new JournalFormatException($"{bad.PersistenceId}#{bad.SequenceNr}: {((UnreadableJournalEvent)bad.Event).Reason}");
        return [.. events];
    }

    /// <summary>The comparison itself, on events as the journal returns them (journal order in <see cref="EventEnvelope.Offset"/>).</summary>
    public static RunAuditReport Compare(RunId runId, IReadOnlyList<EventEnvelope> runEvents, IReadOnlyList<EventEnvelope> promptEvents)
    {
        // Commits in journal order; a fallback (RolledBack to k) takes back every earlier commit of an iteration >= k.
        var commits = new List<(long Ordering, IterationCommitted Commit)>();
        var rollbacks = new List<(long Ordering, int To)>();
        foreach (var e in runEvents)
        {
            switch (e.Event)
            {
                case IterationCommittedV1 dto: commits.Add((Ordering(e), (IterationCommitted)JournalMapper.FromJournal(dto))); break;
                case RolledBackV1 dto: rollbacks.Add((Ordering(e), dto.ToIteration)); break;
            }
        }
        bool TakenBack(long ordering, int iteration) => rollbacks.Any(r => r.Ordering > ordering && iteration >= r.To);
        var surviving = commits.Where(c => !TakenBack(c.Ordering, c.Commit.Iteration)).ToList();

        var trained = new List<TrajectoryId>();
        var byIteration = new SortedDictionary<int, IReadOnlyList<TrajectoryId>>();
        int committed = 0;
        long lastCommit = -1;
        foreach (var (ordering, commit) in surviving)
        {
            committed = Math.Max(committed, commit.Iteration + 1);
            lastCommit = Math.Max(lastCommit, ordering);
            var consumed = commit.Trained.SelectMany(g => g.Trajectories).ToList();
            trained.AddRange(consumed);
            // A committed iteration appears once among the commits that count: the last one wins if ever repeated.
            byIteration[commit.Iteration] = consumed;
        }
        var judgedAt = new Dictionary<TrajectoryId, (long Ordering, int Iteration)>();
        foreach (var e in promptEvents)
        {
            if (e.Event is not GroupJudgedV1 dto || dto.Run != runId.Value) continue;
            var judged = (Prompt.GroupJudged)JournalMapper.FromJournal(dto);
            foreach (var id in judged.Trajectories) judgedAt.TryAdd(id, (Ordering(e), judged.Iteration));
        }
        var trainedSet = trained.ToHashSet();
        var notTrained = judgedAt.Where(p => !trainedSet.Contains(p.Key)).ToList();
        var superseded = notTrained.Where(p => TakenBack(p.Value.Ordering, p.Value.Iteration)).Select(p => p.Key).ToHashSet();
        var open = notTrained.Where(p => !superseded.Contains(p.Key)).ToList();
        static List<TrajectoryId> Sorted(IEnumerable<TrajectoryId> ids) => [.. ids.OrderBy(i => i.ToString(), StringComparer.Ordinal)];
        return new RunAuditReport(runId, committed, judgedAt.Count, trained.Count,
            Lost: Sorted(open.Where(p => p.Value.Ordering < lastCommit).Select(p => p.Key)),
            Duplicated: Sorted(trained.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => g.Key)),
            Unjudged: Sorted(trainedSet.Where(t => !judgedAt.ContainsKey(t))),
            Pending: Sorted(open.Where(p => p.Value.Ordering > lastCommit).Select(p => p.Key)),
            TrainedByIteration: byIteration)
        {
            Superseded = Sorted(superseded),
            RolledBackCommits = commits.Count - surviving.Count,
        };
    }

    private static long Ordering(EventEnvelope e) => e.Offset is Sequence s ? s.Value : throw new InvalidOperationException($"{e.PersistenceId}: no journal ordering");
}
