using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Persistence;
using Akka.Persistence.Sql.Journal;
using AkkaConfig = Akka.Configuration.Config;

namespace Kimi.Actors.Cluster.Management;

/// <summary>
/// Akka.Persistence.Sql's journal, timing every batch write into the node's <c>kimi_journal_write_seconds</c>
/// (hocon/persistence.conf names it as the journal's class). Nothing else changes: same tables, same behaviour.
/// </summary>
public sealed class TimedSqlJournal(AkkaConfig journalConfig) : SqlWriteJournal(journalConfig)
{
    private readonly NodeMetrics _metrics = KimiManagement.Get(Context.System).Metrics;

    protected override async Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var result = await base.WriteMessagesAsync(messages, cancellationToken).ConfigureAwait(false);
            _metrics.ObserveJournalWrite(clock.Elapsed, ok: result is null || result.All(e => e is null));
            return result;
        }
        catch
        {
            _metrics.ObserveJournalWrite(clock.Elapsed, ok: false);
            throw;
        }
    }
}
