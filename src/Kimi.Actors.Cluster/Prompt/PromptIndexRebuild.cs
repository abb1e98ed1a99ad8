using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Protocol.Journal;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Sampling;

namespace Kimi.Actors.Cluster.Prompt;

/// <summary>
/// Reads a run's judged groups back from the journal: the Prompt entities' <see cref="GroupJudged"/> events, found by
/// the run's tag (<see cref="EntityIds.RunTag"/>). The Run rebuilds its sampler from their per-prompt sums after
/// recovery; an audit lists every judged trajectory.
/// </summary>
/// <remarks>
/// Only iterations below the cut-off count: the Run passes the number of iterations it had committed, so groups of
/// an iteration in flight when it stopped are left out (the Run runs that iteration again, and the Prompt entities
/// treat its redelivered samples as duplicates).
/// </remarks>
public static class PromptIndexRebuild
{
    // One materializer per system, kept for its lifetime: disposing one after a query breaks the next query's
    // materialization (Akka.Streams 1.5.73), and a fresh one per query would leave a supervisor actor behind each time.
    private static readonly ConditionalWeakTable<ActorSystem, ActorMaterializer> Materializers = new();

    /// <summary>(attempts, successes) per prompt over the run's events with <c>Iteration &lt; upToIteration</c>.</summary>
    public static async Task<IReadOnlyDictionary<PromptId, PromptCounts>> LoadAsync(ActorSystem system, RunId runId, int upToIteration,
        CancellationToken cancellationToken = default, string readJournalId = SqlPersistence.QueryConfigPath)
    {
        var counts = new Dictionary<PromptId, PromptCounts>();
        foreach (var judged in await GroupsAsync(system, runId, cancellationToken, readJournalId).ConfigureAwait(false))
        {
            if (judged.Iteration >= upToIteration) continue;
            var (attempts, successes) = counts.TryGetValue(judged.PromptId, out var c) ? c : default;
            counts[judged.PromptId] = new PromptCounts(attempts + judged.Samples.Length, successes + judged.Successes);
        }
        return counts;
    }

    /// <summary>Every judged group of the run in journal order.</summary>
    /// <exception cref="JournalFormatException">An event of the run could not be read by this build.</exception>
    public static async Task<IReadOnlyList<GroupJudged>> GroupsAsync(ActorSystem system, RunId runId, CancellationToken cancellationToken = default,
        string readJournalId = SqlPersistence.QueryConfigPath)
    {
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(readJournalId);
        var groups = new List<GroupJudged>();
        string? unreadable = null;
        var materializer = Materializers.GetValue(system, s => s.Materializer(namePrefix: "kimi-prompt-index"));
        var (killSwitch, done) = journal.CurrentEventsByTag(EntityIds.RunTag(runId), Offset.NoOffset())
            .ViaMaterialized(KillSwitches.Single<EventEnvelope>(), Keep.Right)
            .ToMaterialized(Sink.ForEach<EventEnvelope>(envelope =>
            {
                switch (envelope.Event)
                {
                    case GroupJudgedV1 dto when JournalMapper.FromJournal(dto) is GroupJudged judged && judged.RunId == runId:
                        groups.Add(judged);
                        break;
                    case UnreadableJournalEvent u:
                        unreadable ??= $"{envelope.PersistenceId}#{envelope.SequenceNr}: {u.Reason}";
                        break;
                }
            }), Keep.Both)
            .Run(materializer);
        await using (cancellationToken.Register(() => killSwitch.Abort(new OperationCanceledException(cancellationToken))))
            await done.ConfigureAwait(false);
        if (unreadable is not null) throw new JournalFormatException($"the journal of run {runId} has an event this build cannot read: {unreadable}");
        return groups;
    }
}
