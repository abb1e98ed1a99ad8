using Microsoft.Data.Sqlite;

namespace Kimi.Actors.Cluster.Tests.Support;

/// <summary>A fresh folder for one test's SQLite file, deleted on dispose.</summary>
internal sealed class TempDatabase : IDisposable
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "kimi-db-" + Guid.NewGuid().ToString("N"));

    public string File => Path.Combine(Folder, "kimi.db");

    public TempDatabase() => Directory.CreateDirectory(Folder);

    /// <summary>Rows of one of the database's tables that match <paramref name="where"/> (read-only connection, not pooled).</summary>
    public long Count(string table, string where = "1 = 1")
    {
        using var connection = new SqliteConnection($"Data Source={File};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{table}\" WHERE {where}";
        return (long)command.ExecuteScalar()!;
    }

    public void Dispose()
    {
        // Pooled connections of the journal keep the file open; release them before deleting.
        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }
}
