using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Tests.Support;
using Microsoft.Data.Sqlite;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;
using static Kimi.Actors.Cluster.Tests.Prompt.PromptStateTests;

namespace Kimi.Actors.Cluster.Tests.Prompt;

/// <summary>A Prompt entity recovers its counts and its de-duplication from the journal (SQLite, PostgreSQL) in a fresh ActorSystem.</summary>
public sealed class PromptRecoveryTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [SkippableTheory]
    [InlineData(TempDatabase.Sqlite)]
    [InlineData(TempDatabase.Postgres)]
    public async Task Counts_and_deduplication_survive_a_restart(string provider)
    {
        using var database = TempDatabase.For(provider);
        PromptStats before;
        await using (var node = new PromptNode(database))
        {
            await node.Record(Group(0, (0, true), (1, false)));
            await node.Record(Group(0, (1, false), (2, true)));
            await node.Record(Group(1, (0, false)));
            before = await node.Stats(Ids.Run("run-1"), Ids.Prompt("p-1"));
        }
        Assert.Equal(new PromptStats(Ids.Run("run-1"), Ids.Prompt("p-1"), 3, 4, 2, 1), before);
        // One row per group with new samples, each tagged with its run (the read journal's tag query reads them).
        Assert.Equal((3L, 3L), (database.Count("journal"), database.Count("tags")));

        await using (var node = new PromptNode(database))
        {
            Assert.Equal(before, await node.Stats(Ids.Run("run-1"), Ids.Prompt("p-1")));
            var again = await node.Record(Group(0, (2, true), (3, true)));
            Assert.Equal((1, 1, 5L, 3L), (again.NewAttempts, again.NewSuccesses, again.Attempts, again.Successes));
            var duplicate = await node.Record(Group(1, (0, false)));
            Assert.Equal((0, 5L), (duplicate.NewAttempts, duplicate.Attempts));
        }
        Assert.Equal(4L, database.Count("journal"));
    }

    [Fact]
    public async Task Recovery_starts_from_the_latest_snapshot()
    {
        var settings = new PromptSettings(SnapshotEvery: 2, IdempotencyWindow: 4);
        PromptStats before;
        await using (var node = new PromptNode(_database, settings))
        {
            for (int iteration = 0; iteration < 5; iteration++)
                await node.Record(Group(iteration, (0, iteration % 2 == 0), (1, true)));
            before = await node.Stats(Ids.Run("run-1"), Ids.Prompt("p-1"));
            // Snapshots at events 2 and 4; the older one is deleted once the newer is saved.
            await Eventually(() => _database.Count("snapshot") == 1 && _database.Count("snapshot", "sequence_number = 4") == 1);
        }
        Assert.Equal(new PromptStats(Ids.Run("run-1"), Ids.Prompt("p-1"), 3, 10, 8, 4), before);

        // Without events 1..4 the counts can only come from the snapshot taken at event 4 (plus event 5).
        DeleteEventsUpTo(4);
        await using (var node = new PromptNode(_database, settings))
        {
            Assert.Equal(before, await node.Stats(Ids.Run("run-1"), Ids.Prompt("p-1")));
            var duplicate = await node.Record(Group(3, (0, true), (1, true)));
            Assert.Equal((0, 10L), (duplicate.NewAttempts, duplicate.Attempts));
        }
    }

    private void DeleteEventsUpTo(long sequenceNr)
    {
        SqliteConnection.ClearAllPools();
        using var connection = new SqliteConnection($"Data Source={_database.File};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM journal WHERE sequence_number <= {sequenceNr}";
        Assert.Equal((int)sequenceNr, command.ExecuteNonQuery());
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(5); !condition(); await Task.Delay(50))
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 5 s");
    }

    public void Dispose() => _database.Dispose();
}
