using Kimi.Actors.Cluster.Configuration;

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

    private readonly ScratchDatabase _database;

    /// <summary>Connection string of this test's own database.</summary>
    public string ConnectionString => _database.ConnectionString;

    public string Database => _database.Name;

    private TestPostgres(string server) => _database = ScratchDatabase.Create(server, "kimi_t_");

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

    public void Dispose() => _database.Dispose();
}
