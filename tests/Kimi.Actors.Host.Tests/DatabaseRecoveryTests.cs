using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Host.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// A node killed in the middle of a journal write leaves a hot rollback journal beside the database. Resuming must
/// accept that database: SQLite's recovery rolls the unfinished transaction back, and every committed row stays.
/// </summary>
public sealed class DatabaseRecoveryTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static SqliteConnection Open(string file)
    {
        var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        return connection;
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }

    [Fact]
    public void A_database_with_the_hot_journal_of_a_killed_writer_passes_the_preflight_with_its_committed_rows()
    {
        var live = _tmp.File("live.db");
        using (var setup = Open(live))
        {
            Scalar(setup, "CREATE TABLE journal (x INTEGER); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) " +
                "INSERT INTO journal SELECT i FROM n; SELECT 0;");
        }
        long committed;
        using (var check = Open(live)) committed = Scalar(check, "SELECT SUM(x) FROM journal");

        // A writer in the middle of a transaction whose changes no longer fit its cache: pages it changed are already in
        // the database file and their originals in the journal. Copying both now is what a SIGKILL would leave.
        var crashed = _tmp.File("kimi.db");
        using (var writer = Open(live))
        {
            Scalar(writer, "PRAGMA cache_size = 1; SELECT 0;");
            using var transaction = writer.BeginTransaction();
            Scalar(writer, "UPDATE journal SET x = x + 1000000; SELECT 0;");
            File.Copy(live, crashed);
            File.Copy(live + "-journal", crashed + "-journal");
        }
        Assert.True(new FileInfo(crashed + "-journal").Length > 0, "the copy has a hot journal");

        Assert.Equal(Path.GetFullPath(crashed), DatabasePreflight.Check(crashed));

        using var recovered = Open(crashed);
        Assert.Equal("ok", (string)new SqliteCommand("PRAGMA integrity_check", recovered).ExecuteScalar()!);
        Assert.Equal(committed, Scalar(recovered, "SELECT SUM(x) FROM journal"));
    }
}
