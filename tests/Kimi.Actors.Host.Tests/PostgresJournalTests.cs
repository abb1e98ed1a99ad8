using System.Net;
using System.Net.Sockets;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Host.Tests.Support;
using Npgsql;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// <c>kimi train</c> with <c>kimi.persistence.provider = postgres</c>: a database that cannot be used stops it within
/// seconds with exit code 2 and one line naming the database (provider, name, host) and never the password, before the
/// run folder exists; the environment variable's connection string wins over the key. Tests that need a real server
/// read it from KIMI_TEST_POSTGRES (<c>.ci/postgres.sh</c>): skipped without it on a developer machine, failed on CI.
/// </summary>
public sealed class PostgresJournalTests : IDisposable
{
    private static readonly TimeSpan Refusal = TimeSpan.FromSeconds(20);
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string[] Train(string connectionString, params string[] more) =>
    [
        "train", "--out", _tmp.File("run"), "--config", TinyRun.WriteConfig(_tmp.Path), .. CliRunner.StorageIn(_tmp.Path),
        "--set", "kimi.persistence.provider=postgres", "--set", $"kimi.persistence.connection-string={connectionString}", .. more,
    ];

    [Fact]
    public void A_server_that_is_not_there_is_named_within_seconds_without_the_password()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (result, elapsed) = CliRunner.RunWithin(Refusal,
            Train($"Host=127.0.0.1;Port={port};Database=kimi;Username=kimi;Password=pw-never-shown"));

        var line = CliAssert.UserError(result, $"PostgreSQL15 database 'kimi' on 127.0.0.1:{port} cannot be used");
        Assert.DoesNotContain("pw-never-shown", result.Stderr + result.Stdout);
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed.TotalSeconds:F1} s: {line}");
        Assert.False(Directory.Exists(_tmp.File("run")));
    }

    [Fact]
    public void Provider_postgres_without_a_connection_string_names_both_places_to_put_one()
    {
        var result = CliRunner.Run(["train", "--out", _tmp.File("run"), .. CliRunner.StorageIn(_tmp.Path), "--set", "persistence.provider=postgres"]);
        CliAssert.UserError(result, PersistenceProvider.ConnectionStringVariable, PersistenceProvider.ConnectionStringKey);
    }

    [SkippableFact]
    public void A_wrong_password_from_the_environment_wins_over_the_right_one_in_the_key_and_is_never_shown()
    {
        var server = new NpgsqlConnectionStringBuilder(Server());
        var wrong = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Password = "wrong-pw-4711" }.ConnectionString;
        CliResult result;
        TimeSpan elapsed;
        Environment.SetEnvironmentVariable(PersistenceProvider.ConnectionStringVariable, wrong);
        try { (result, elapsed) = CliRunner.RunWithin(Refusal, Train(server.ConnectionString)); }
        finally { Environment.SetEnvironmentVariable(PersistenceProvider.ConnectionStringVariable, null); }

        CliAssert.UserError(result, $"PostgreSQL15 database '{server.Database}' on {server.Host}:{server.Port} cannot be used",
            "password authentication failed");
        Assert.DoesNotContain("wrong-pw-4711", result.Stderr + result.Stdout);
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed.TotalSeconds:F1} s");
        Assert.False(Directory.Exists(_tmp.File("run")));
    }

    [SkippableFact]
    public void Resume_of_a_run_a_postgres_journal_does_not_hold_names_that_database()
    {
        var server = new NpgsqlConnectionStringBuilder(Server());
        var (result, _) = CliRunner.RunWithin(TimeSpan.FromSeconds(90), Train(server.ConnectionString, "--resume", "no-such-run"));

        Assert.True(result.ExitCode == 2, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal($"kimi: error: run no-such-run: no run with id no-such-run in the journal " +
            $"(PostgreSQL15 database '{server.Database}' on {server.Host}:{server.Port})", lines[^1]);
        Assert.DoesNotContain(server.Password!, result.Stderr + result.Stdout);
    }

    private static string Server() => TestPostgres.ServerOrSkip();
}
