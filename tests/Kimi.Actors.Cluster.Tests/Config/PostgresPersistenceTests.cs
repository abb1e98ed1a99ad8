using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Rl.Identity;
using Npgsql;
using static Kimi.Actors.Cluster.Tests.Prompt.PromptStateTests;

namespace Kimi.Actors.Cluster.Tests.Configuration;

/// <summary>
/// kimi.persistence.provider = postgres: the plugin settings it produces, where the connection string comes from, and
/// the preflight against a real server (wrong password, nothing listening, missing database, a pre-v1 journal) —
/// every refusal names the database, never the password, within seconds.
/// </summary>
public sealed class PostgresPersistenceTests
{
    private const string Plugins = "akka.persistence.journal.sql|akka.persistence.snapshot-store.sql|akka.persistence.query.journal.sql";
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    private static Akka.Configuration.Config Node(string hocon) => ConfigurationFactory.ParseString(hocon).WithFallback(NodeConfig.For());

    [Fact]
    public void Provider_postgres_points_the_journal_the_snapshot_store_and_the_read_journal_at_one_database()
    {
        var built = ClusterBootstrap.BuildConfig(Node("""
            kimi.persistence.provider = postgres
            kimi.persistence.connection-string = "Host=db.internal;Port=5432;Database=kimi;Username=kimi;Password=s3cret"
            """), NoEnvironment);
        foreach (var plugin in Plugins.Split('|'))
        {
            Assert.Equal("PostgreSQL15", built.GetString($"{plugin}.provider-name"));
            Assert.Equal("Host=db.internal;Port=5432;Database=kimi;Username=kimi;Password=s3cret", built.GetString($"{plugin}.connection-string"));
        }
        Assert.Equal(4, built.GetInt("akka.persistence.journal.sql.parallelism"));
        Assert.Equal("TagTable", built.GetString("akka.persistence.query.journal.sql.tag-read-mode"));
        Assert.Empty(ClusterBootstrap.SqliteFiles(built));
        Assert.Equal("PostgreSQL15 database 'kimi' on db.internal:5432", ClusterBootstrap.Journal(built).Description);

        // The default stays one SQLite file.
        var sqlite = ClusterBootstrap.BuildConfig(Node("kimi.persistence.sqlite-file = \"/srv/kimi.db\""), NoEnvironment);
        Assert.Equal("SQLite.MS", sqlite.GetString("akka.persistence.journal.sql.provider-name"));
        Assert.Equal(["/srv/kimi.db"], ClusterBootstrap.SqliteFiles(sqlite));
    }

    [Fact]
    public void The_environment_variable_wins_over_the_key_so_a_password_can_stay_out_of_files()
    {
        var config = Node("""
            kimi.persistence.provider = postgres
            kimi.persistence.connection-string = "Host=from-file;Database=kimi;Username=kimi"
            """);
        var fromEnvironment = "Host=from-env;Database=kimi;Username=kimi;Password=only-in-env";
        var built = ClusterBootstrap.BuildConfig(config, v => v == PersistenceProvider.ConnectionStringVariable ? fromEnvironment : null);
        Assert.Equal(fromEnvironment, built.GetString("akka.persistence.journal.sql.connection-string"));
        // An empty variable is as good as none.
        var keyOnly = ClusterBootstrap.BuildConfig(config, v => v == PersistenceProvider.ConnectionStringVariable ? " " : null);
        Assert.Equal("Host=from-file;Database=kimi;Username=kimi", keyOnly.GetString("akka.persistence.journal.sql.connection-string"));
        // Nor does the variable move a SQLite node.
        var sqlite = ClusterBootstrap.BuildConfig(NodeConfig.For(), _ => fromEnvironment);
        Assert.Equal("SQLite.MS", sqlite.GetString("akka.persistence.journal.sql.provider-name"));
    }

    [Fact]
    public void A_missing_or_malformed_connection_string_and_an_unknown_provider_are_refused_by_key()
    {
        var missing = Assert.Throws<ConfigException>(() => ClusterBootstrap.BuildConfig(Node("kimi.persistence.provider = postgres"), NoEnvironment));
        Assert.Contains(PersistenceProvider.ConnectionStringVariable, missing.Message);
        Assert.Contains(PersistenceProvider.ConnectionStringKey, missing.Message);

        var malformed = Assert.Throws<ConfigException>(() => ClusterBootstrap.BuildConfig(Node("kimi.persistence.provider = postgres"),
            v => v == PersistenceProvider.ConnectionStringVariable ? "Password=s3cret;Colour=blue" : null));
        Assert.StartsWith($"the environment variable {PersistenceProvider.ConnectionStringVariable}: not a PostgreSQL connection string", malformed.Message);
        Assert.DoesNotContain("s3cret", malformed.Message);

        var noHost = Assert.Throws<ConfigException>(() => ClusterBootstrap.BuildConfig(Node("""
            kimi.persistence.provider = postgres
            kimi.persistence.connection-string = "Database=kimi;Password=s3cret"
            """), NoEnvironment));
        Assert.Equal($"{PersistenceProvider.ConnectionStringKey}: the PostgreSQL connection string names no Host", noHost.Message);

        var unknown = Assert.Throws<ConfigException>(() => ClusterBootstrap.BuildConfig(Node("kimi.persistence.provider = mysql"), NoEnvironment));
        Assert.Equal("kimi.persistence.provider = mysql: expected sqlite or postgres", unknown.Message);
    }

    [Fact]
    public void Nothing_listening_at_the_address_fails_within_seconds_naming_the_database_and_not_the_password()
    {
        int port = FreePort();
        var connectionString = $"Host=127.0.0.1;Port={port};Database=kimi;Username=kimi;Password=s3cret-pw";
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<DatabaseException>(() => ClusterBootstrap.CheckDatabases(Node($"""
            kimi.persistence.provider = postgres
            kimi.persistence.connection-string = "{connectionString}"
            """)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.StartsWith($"PostgreSQL15 database 'kimi' on 127.0.0.1:{port} cannot be used: ", error.Message);
        Assert.Contains("refused", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("s3cret-pw", error.Message);
    }

    [SkippableFact]
    public void A_wrong_password_or_a_missing_database_fails_within_seconds_naming_the_database_and_not_the_password()
    {
        var server = new NpgsqlConnectionStringBuilder(TestPostgres.ServerOrSkip());
        var wrong = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Password = "not-the-password-123" };
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<DatabaseException>(() => ClusterBootstrap.CheckDatabases(Postgres(wrong.ConnectionString)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.StartsWith($"PostgreSQL15 database '{server.Database}' on {server.Host}:{server.Port} cannot be used: ", error.Message);
        Assert.Contains("password authentication failed", error.Message);
        Assert.DoesNotContain("not-the-password-123", error.Message);

        var absent = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "kimi_no_such_database" };
        var missing = Assert.Throws<DatabaseException>(() => ClusterBootstrap.CheckDatabases(Postgres(absent.ConnectionString)));
        Assert.Contains("'kimi_no_such_database'", missing.Message);
        Assert.Contains("does not exist", missing.Message);
        Assert.DoesNotContain(server.Password!, missing.Message);

        // The right one passes and is described the same way.
        Assert.Equal([$"PostgreSQL15 database '{server.Database}' on {server.Host}:{server.Port}"],
            ClusterBootstrap.CheckDatabases(Postgres(server.ConnectionString)));
    }

    [SkippableFact]
    public async Task A_postgres_journal_holding_events_from_before_schema_v1_is_refused_before_anything_starts_and_left_untouched()
    {
        using var db = TempDatabase.For(TempDatabase.Postgres);
        await using (var node = new PromptNode(db))
            await node.Record(Group(0, (0, true)));
        // As a build before schema v1 would have written it: Hyperion's serializer id.
        Assert.Equal(1, db.Execute($"UPDATE journal SET identifier = {DatabasePreflight.LegacyHyperionSerializerId}"));

        var error = Assert.Throws<DatabaseException>(() => ClusterBootstrap.CheckDatabases(NodeConfig.For(db)));
        Assert.StartsWith($"PostgreSQL15 database '{db.Server!.Database}' on ", error.Message);
        Assert.Contains("holds 1 events written by a kimi build before journal schema v1", error.Message);
        Assert.Equal(1, db.Count("journal", $"identifier = {DatabasePreflight.LegacyHyperionSerializerId}"));
    }

    [SkippableFact]
    public async Task Two_nodes_starting_at_once_on_an_empty_database_both_create_and_use_the_journal()
    {
        using var db = TempDatabase.For(TempDatabase.Postgres);
        var first = new PromptNode(db);
        var second = new PromptNode(db);
        try
        {
            // Both journals initialise their tables on the first write, at the same moment.
            var writes = await Task.WhenAll(
                first.Record(Group(Ids.Prompt("p-1"), 0, (0, true))),
                second.Record(Group(Ids.Prompt("p-2"), 0, (0, false), (1, true))));
            Assert.Equal([1, 2], writes.Select(w => w.NewAttempts));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
        Assert.Equal(2, db.Count("journal"));
    }

    private static Akka.Configuration.Config Postgres(string connectionString) => Node($"""
        kimi.persistence.provider = postgres
        kimi.persistence.connection-string = {System.Text.Json.JsonSerializer.Serialize(connectionString)}
        """);

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
