using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Rl.Sampling;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;

namespace Kimi.Actors.Cluster.Prompt;

/// <summary>
/// Rebuilds a Run's prompt index after recovery from the journal: the Prompt entities' <see cref="GroupJudged"/>
/// events, read by the run's tag (<see cref="EntityIds.RunTag"/>), summed per prompt.
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

    /// <summary>(attempts, successes) per prompt id over the run's events with <c>Iteration &lt; upToIteration</c>.</summary>
    /// <param name="readJournalId">The read journal's configuration path (the SQL plugin's by default).</param>
    public static async Task<IReadOnlyDictionary<string, PromptCounts>> LoadAsync(ActorSystem system, string runId, int upToIteration,
        CancellationToken cancellationToken = default, string readJournalId = SqlPersistence.QueryConfigPath)
    {
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(readJournalId);
        var counts = new Dictionary<string, PromptCounts>(StringComparer.Ordinal);
        var materializer = Materializers.GetValue(system, s => s.Materializer(namePrefix: "kimi-prompt-index"));
        var (killSwitch, done) = journal.CurrentEventsByTag(EntityIds.RunTag(runId), Offset.NoOffset())
            .ViaMaterialized(KillSwitches.Single<EventEnvelope>(), Keep.Right)
            .ToMaterialized(Sink.ForEach<EventEnvelope>(envelope =>
            {
                if (envelope.Event is GroupJudged judged && judged.RunId == runId) Add(counts, judged, upToIteration);
            }), Keep.Both)
            .Run(materializer);
        await using (cancellationToken.Register(() => killSwitch.Abort(new OperationCanceledException(cancellationToken))))
            await done.ConfigureAwait(false);
        return counts;
    }

    private static void Add(IDictionary<string, PromptCounts> counts, GroupJudged judged, int upToIteration)
    {
        if (judged.Iteration >= upToIteration) return;
        var (attempts, successes) = counts.TryGetValue(judged.PromptId, out var c) ? c : default;
        counts[judged.PromptId] = new PromptCounts(attempts + judged.Samples.Length, successes + judged.Successes);
    }

    /// <summary>
    /// Sets each counted prompt's counts in <paramref name="sampler"/> (<see cref="PromptSampler.Restore"/>); prompts
    /// without events keep theirs. Returns the prompt ids that <paramref name="indexOf"/> does not know (the prompt set
    /// changed since the events were written), ordered, for the Run to report.
    /// </summary>
    public static IReadOnlyList<string> Restore(PromptSampler sampler, IReadOnlyDictionary<string, int> indexOf,
        IReadOnlyDictionary<string, PromptCounts> counts)
    {
        var unknown = new List<string>();
        foreach (var (promptId, (attempts, successes)) in counts)
        {
            if (indexOf.TryGetValue(promptId, out int index)) sampler.Restore(index, attempts, successes);
            else unknown.Add(promptId);
        }
        unknown.Sort(StringComparer.Ordinal);
        return unknown;
    }
}
