using System.Data.Common;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Kimi.Actors.Cluster.Tests.Support;

/// <summary>
/// One test's journal: a SQLite file in a fresh folder (default), or a fresh PostgreSQL database
/// (<see cref="For"/>("postgres")); either way the folder holds the test's checkpoints and weights. Deleted on dispose.
/// </summary>
internal sealed class TempDatabase : IDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "kimi-db-" + Guid.NewGuid().ToString("N"));

    /// <summary>The SQLite file (provider sqlite).</summary>
    public string File => Path.Combine(Folder, "kimi.db");

    /// <summary>The PostgreSQL database (provider postgres), else null.</summary>
    public TestPostgres? Server { get; }

    public string Provider => Server is null ? Sqlite : Postgres;

    public TempDatabase() => Directory.CreateDirectory(Folder);

    private TempDatabase(TestPostgres server) : this() => Server = server;

    /// <summary>A database of <paramref name="provider"/> (sqlite or postgres; see <see cref="TestPostgres"/> for when postgres is skipped).</summary>
    public static TempDatabase For(string provider) => provider switch
    {
        Sqlite => new TempDatabase(),
        Postgres => new TempDatabase(TestPostgres.Create()),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "sqlite or postgres"),
    };

    /// <summary>The node settings that point its persistence here.</summary>
    public string Hocon => Server is null
        ? $"kimi.persistence.sqlite-file = {JsonSerializer.Serialize(File)}"
        : $"kimi.persistence.provider = postgres\nkimi.persistence.connection-string = {JsonSerializer.Serialize(Server.ConnectionString)}";

    /// <summary>Rows of one of the database's tables that match <paramref name="where"/> (a connection of its own, not pooled).</summary>
    public long Count(string table, string where = "1 = 1")
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{table}\" WHERE {where}";
        return Convert.ToInt64(command.ExecuteScalar());
    }

    /// <summary>Runs <paramref name="sql"/> (tests that damage or trim a journal); returns the rows affected.</summary>
    public int Execute(string sql)
    {
        using var connection = Open(readOnly: false);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    private DbConnection Open(bool readOnly = true)
    {
        DbConnection connection = Server is null
            ? new SqliteConnection($"Data Source={File};Mode={(readOnly ? "ReadOnly" : "ReadWrite")};Pooling=False")
            : new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Server.ConnectionString) { Pooling = false }.ConnectionString);
        connection.Open();
        return connection;
    }

    public void Dispose()
    {
        // Pooled connections of the journal keep the file open; release them before deleting.
        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
        Server?.Dispose();
    }
}
