using Npgsql;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// A fresh PostgreSQL database made on a server (whose role may create databases) for one use — a test, a chaos
/// scenario — and dropped on dispose, open connections and all.
/// </summary>
public sealed class ScratchDatabase : IDisposable
{
    private readonly string _server;

    /// <summary>Connection string of this database (the server's, with its name).</summary>
    public string ConnectionString { get; }

    public string Name { get; }

    private ScratchDatabase(string server, string name)
    {
        (_server, Name) = (server, name);
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>Creates a database named <paramref name="prefix"/> and 12 random hex digits.</summary>
    /// <exception cref="NpgsqlException">The server cannot be reached or refuses (its message may name the password: scrub it).</exception>
    public static ScratchDatabase Create(string server, string prefix)
    {
        var database = new ScratchDatabase(server, prefix + Guid.NewGuid().ToString("N")[..12]);
        Execute(server, $"CREATE DATABASE {database.Name}");
        return database;
    }

    /// <summary>Where a connection string points, without its password: "database 'D' on H:P as U".</summary>
    public static string Describe(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"database '{b.Database}' on {b.Host}:{b.Port} as {b.Username}";
    }

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        // Pooled connections (a journal's) would keep the database in use; FORCE ends them (PostgreSQL 13 and later).
        NpgsqlConnection.ClearAllPools();
        Execute(_server, $"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
    }
}
