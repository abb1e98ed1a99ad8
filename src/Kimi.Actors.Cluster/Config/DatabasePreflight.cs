using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// Checks the database before Akka starts (a SQLite file, or a PostgreSQL server by connecting to it), so a bad path fails with a plain message rather than as a journal that
/// keeps failing to initialise. Read-only towards the file: a file that is not an intact SQLite database is reported
/// and left exactly as it was (it may hold a run's journal), never repaired, replaced or deleted. The one write is
/// SQLite's own crash recovery: a hot journal left by a process killed mid-transaction is rolled back.
/// </summary>
public static class DatabasePreflight
{
    private static readonly byte[] Header = Encoding.ASCII.GetBytes("SQLite format 3\0");

    /// <summary>
    /// The folder of <paramref name="path"/> exists (created if missing) and is writable; an existing file is
    /// readable and writable, starts with the SQLite header and passes <c>PRAGMA quick_check</c>. A missing or empty
    /// file is fine (SQLite creates the database).
    /// </summary>
    /// <returns>The full path of the file.</returns>
    /// <exception cref="DatabaseException">Any check failed; the message names the file and what is wrong.</exception>
    public static string Check(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var file = Path.GetFullPath(path);
        if (Directory.Exists(file))
            throw new DatabaseException(file, $"database file '{file}' is a folder; set kimi.persistence.sqlite-file to a file path");

        CheckFolder(file);
        if (File.Exists(file) && new FileInfo(file).Length > 0)
        {
            CheckHeader(file);
            CheckIntegrity(file);
            CheckSchema(file);
        }
        return file;
    }

    /// <summary>
    /// Hyperion's serializer id in Akka.NET: Kimi builds before journal schema v1 persisted the CLR shapes of their events
    /// with it. Such events cannot be read by this build (their types are gone), and recovering a Run or Prompt from them
    /// would fail half-way, so the database is refused up front.
    /// </summary>
    public const int LegacyHyperionSerializerId = -5;

    /// <summary>How long the PostgreSQL preflight waits to connect when the connection string does not say (Npgsql's default is 15 s).</summary>
    public static readonly TimeSpan PostgresConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Connects to the PostgreSQL database of <paramref name="connectionString"/> (within its <c>Timeout</c>, else
    /// <see cref="PostgresConnectTimeout"/>) and checks that its journal, if there is one, holds no events from before
    /// journal schema v1. Reads only. Errors name the database by <paramref name="description"/> (provider, name, host),
    /// never the password.
    /// </summary>
    /// <returns><paramref name="description"/>.</returns>
    /// <exception cref="DatabaseException">The server cannot be reached, refuses the login, has no such database, or holds a
    /// journal this build cannot read.</exception>
    public static string CheckPostgres(string connectionString, string description)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        if (!builder.ContainsKey("Timeout")) builder.Timeout = (int)PostgresConnectTimeout.TotalSeconds;
        if (!builder.ContainsKey("Command Timeout")) builder.CommandTimeout = 10;
        try
        {
            using var connection = new NpgsqlConnection(builder.ConnectionString);
            connection.Open();
            // Akka.Persistence.Sql's journal table in the connection's schema, with its serializer column.
            CheckLegacyEvents(connection, description, "kimi.persistence.connection-string (another database)",
                "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'journal' AND column_name = 'identifier'");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            var reason = e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal)
                ? $"{e.Message.TrimEnd('.')}: {inner.Message.TrimEnd('.')}" : e.Message.TrimEnd('.');
            throw new DatabaseException(description,
                $"{description} cannot be used: {PersistenceProvider.Scrub(reason, connectionString)}. Check that the server runs and " +
                $"accepts this login (the connection string comes from {PersistenceProvider.ConnectionStringVariable} or {PersistenceProvider.ConnectionStringKey})", e);
        }
        return description;
    }

    private static void CheckSchema(string file)
    {
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false,
            }.ToString());
            connection.Open();
            // Akka.Persistence.Sql's journal table, with its serializer column; anything else by that name is not ours to judge.
            CheckLegacyEvents(connection, $"database file '{file}'", "kimi.persistence.sqlite-file to another path",
                "SELECT COUNT(*) FROM pragma_table_info('journal') WHERE name = 'identifier'");
        }
        catch (SqliteException e)
        {
            throw new DatabaseException(file, $"database file '{file}': its journal table cannot be read ({e.Message.TrimEnd('.')}); it was left untouched", e);
        }
    }

    /// <summary>Refuses a journal that holds events serialized by Hyperion (kimi builds before journal schema v1).</summary>
    private static void CheckLegacyEvents(DbConnection connection, string database, string startFresh, string hasJournalSql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = hasJournalSql;
        if (Convert.ToInt64(command.ExecuteScalar() ?? 0L) == 0) return;
        command.CommandText = $"SELECT COUNT(*) FROM journal WHERE identifier = {LegacyHyperionSerializerId}";
        long legacy = Convert.ToInt64(command.ExecuteScalar() ?? 0L);
        if (legacy > 0)
            throw new DatabaseException(database,
                $"{database} holds {legacy} events written by a kimi build before journal schema v1 (Hyperion CLR shapes), " +
                $"which this build cannot read; it was left untouched: resume those runs with the build that wrote them, or set {startFresh} to start fresh");
    }

    private static void CheckFolder(string file)
    {
        var folder = Path.GetDirectoryName(file)!;
        try
        {
            Directory.CreateDirectory(folder);
            // Creating a file is the only reliable test of write access (permissions, read-only mounts, ACLs).
            var probe = Path.Combine(folder, $".kimi-write-probe-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatabaseException(file, $"database file '{file}': its folder '{folder}' cannot be created or written: {e.Message}", e);
        }
    }

    private static void CheckHeader(string file)
    {
        var head = new byte[Header.Length];
        int read;
        try
        {
            // ReadWrite access proves the journal will be able to write; nothing is written.
            using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatabaseException(file, $"database file '{file}' cannot be opened for reading and writing: {e.Message}", e);
        }
        if (read < head.Length || !head.AsSpan().SequenceEqual(Header))
            throw new DatabaseException(file,
                $"database file '{file}' is not a SQLite database (it does not start with the header \"SQLite format 3\"); " +
                "it was left untouched: move it away or set kimi.persistence.sqlite-file to another path");
    }

    /// <summary>A rollback journal or write-ahead log left beside the database: a writer stopped mid-transaction (or still runs).</summary>
    private static bool HasHotJournal(string file) =>
        new[] { file + "-journal", file + "-wal" }.Any(j => File.Exists(j) && new FileInfo(j).Length > 0);

    private static void CheckIntegrity(string file)
    {
        var problems = new List<string>();
        try
        {
            // Read-only and unpooled: the check neither changes the file nor keeps it open afterwards. Except after a crash
            // in the middle of a write: then SQLite must first roll back the hot journal the crash left (its own recovery,
            // which restores the last committed state and loses nothing committed), and it cannot do that read-only.
            var connectionString = new SqliteConnectionStringBuilder
            {
                DataSource = file, Mode = HasHotJournal(file) ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadOnly, Pooling = false,
            }.ToString();
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA quick_check;";
            using var reader = command.ExecuteReader();
            while (reader.Read() && problems.Count < 5)
                problems.Add(reader.GetString(0));
        }
        catch (SqliteException e)
        {
            throw new DatabaseException(file,
                $"database file '{file}' cannot be read as a SQLite database ({e.Message.TrimEnd('.')}); it was left untouched", e);
        }
        if (problems is not ["ok"])
            throw new DatabaseException(file,
                $"database file '{file}' is damaged (PRAGMA quick_check: {string.Join("; ", problems)}); it was left untouched: " +
                "restore it from a backup or set kimi.persistence.sqlite-file to another path");
    }
}
