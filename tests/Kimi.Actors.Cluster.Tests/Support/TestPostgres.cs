using Npgsql;

namespace Kimi.Actors.Cluster.Tests.Support;

/// <summary>
/// A fresh PostgreSQL database for one test, created on the server of <see cref="Variable"/> (whose role may create
/// databases) and dropped on dispose. Where the variable is not set: on CI (<c>CI=true</c>, where <c>.ci/run</c>
/// starts PostgreSQL and sets it) the test fails, saying so; on a developer machine it is skipped with that reason
/// (<c>export KIMI_TEST_POSTGRES=$(.ci/postgres.sh)</c> runs it).
/// </summary>
internal sealed class TestPostgres : IDisposable
{
    public const string Variable = "KIMI_TEST_POSTGRES";

    private readonly string _server;

    /// <summary>Connection string of this test's own database.</summary>
    public string ConnectionString { get; }

    public string Database { get; }

    private TestPostgres(string server)
    {
        _server = server;
        Database = "kimi_t_" + Guid.NewGuid().ToString("N")[..12];
        Execute(server, $"CREATE DATABASE {Database}");
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = Database }.ConnectionString;
    }

    /// <summary>The server's connection string, or the test is skipped (developer machine) or failed (CI).</summary>
    public static string ServerOrSkip()
    {
        var server = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(server)) return server;
        var reason = $"{Variable} is not set: this test needs a PostgreSQL server (.ci/postgres.sh starts one on loopback and prints it)";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException(reason + "; on CI, .ci/run must start it");
        Skip.If(true, reason);
        return "";
    }

    public static TestPostgres Create() => new(ServerOrSkip());

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
        // The journal's pooled connections would keep the database in use; FORCE ends them (PostgreSQL 13 and later).
        NpgsqlConnection.ClearAllPools();
        Execute(_server, $"DROP DATABASE IF EXISTS {Database} WITH (FORCE)");
    }
}
