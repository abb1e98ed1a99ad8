using Kimi.Actors.Rl.Identity;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Tests.Support;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;
using static Kimi.Actors.Cluster.Tests.Prompt.PromptStateTests;

namespace Kimi.Actors.Cluster.Tests.Configuration;

public sealed class ClusterBootstrapTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task A_single_node_comes_up_and_serves_prompts_through_the_shard_region()
    {
        var system = await ClusterBootstrap.StartAsync("kimi", NodeConfig.For(_database.File, cluster: true));
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            Assert.Equal(MemberStatus.Up, cluster.SelfMember.Status);
            Assert.Equal(["judge", "prompt", "rollout", "run", "trainer"], cluster.SelfRoles.Order());

            var region = PromptSharding.Start(system);
            var recorded = await region.Ask<GroupRecorded>(Group(0, (0, true), (1, true)), Timeout);
            Assert.Equal(new GroupRecorded(Ids.Run("run-1"), Ids.Prompt("p-1"), 0, 2, 2, 2, 2), recorded);
            await region.Ask<GroupRecorded>(Group(Ids.Prompt("p-2"), 0, (0, false)), Timeout);
            Assert.Equal(new PromptStats(Ids.Run("run-1"), Ids.Prompt("p-1"), 3, 2, 2, 0), await region.Ask<PromptStats>(new GetPromptStats(Ids.Run("run-1"), Ids.Prompt("p-1")), Timeout));
            Assert.Equal(new PromptStats(Ids.Run("run-1"), Ids.Prompt("p-2"), 3, 1, 0, 0), await region.Ask<PromptStats>(new GetPromptStats(Ids.Run("run-1"), Ids.Prompt("p-2")), Timeout));
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task A_node_with_nothing_to_join_fails_with_a_clear_error()
    {
        var error = await Assert.ThrowsAsync<ClusterStartException>(() =>
            ClusterBootstrap.StartAsync("kimi", NodeConfig.For(_database.File, extra: "akka.actor.provider = cluster")));
        Assert.Contains("nothing to join", error.Message);
        Assert.Contains(ClusterBootstrap.JoinSelfKey, error.Message);
    }

    [Fact]
    public async Task A_node_whose_seeds_do_not_answer_times_out_with_a_clear_error()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var seed = Address.Parse($"akka.tcp://kimi@127.0.0.1:{port}");

        var error = await Assert.ThrowsAsync<ClusterStartException>(() => ClusterBootstrap.StartAsync("kimi",
            NodeConfig.For(_database.File, extra: "akka.actor.provider = cluster\nkimi.cluster.up-timeout = 1s"), [seed]));
        Assert.Contains($"127.0.0.1:{port}", error.Message);
        Assert.Contains("not Up within 1 s", error.Message);
    }

    [Fact]
    public async Task A_bad_database_stops_start_up_before_Akka_starts()
    {
        File.WriteAllText(_database.File, "this is not a database, but it might be someone's notes");
        var error = await Assert.ThrowsAsync<DatabaseException>(() => ClusterBootstrap.StartAsync("kimi", NodeConfig.For(_database.File, cluster: true)));
        Assert.Contains(_database.File, error.Message);
        Assert.Equal("this is not a database, but it might be someone's notes", File.ReadAllText(_database.File));
    }

    [Fact]
    public void The_built_config_points_the_sql_plugins_at_the_sqlite_file_and_keeps_kimi_messages_on_the_allow_listed_serializer()
    {
        var relative = Path.Combine("data", "test.db");
        var config = ClusterBootstrap.BuildConfig(ConfigurationFactory.ParseString($$"""
            akka.actor.serializers.hyperion = "Akka.Serialization.HyperionSerializer, Akka.Serialization.Hyperion"
            akka.persistence.snapshot-store.sql.connection-string = "Data Source=/elsewhere/snapshots.db"
            kimi.persistence.sqlite-file = "{{relative}}"
            """).WithFallback(NodeConfig.For()));

        var expected = $"Data Source={Path.GetFullPath(relative)}";
        Assert.Equal(expected, config.GetString("akka.persistence.journal.sql.connection-string"));
        Assert.Equal(expected, config.GetString("akka.persistence.query.journal.sql.connection-string"));
        Assert.Equal("Data Source=/elsewhere/snapshots.db", config.GetString("akka.persistence.snapshot-store.sql.connection-string"));
        Assert.Equal([Path.GetFullPath(relative), "/elsewhere/snapshots.db"], ClusterBootstrap.SqliteFiles(config));
        Assert.Equal("Kimi.Actors.Cluster.Configuration.KimiHyperionSerializer, Kimi.Actors.Cluster", config.GetString("akka.actor.serializers.hyperion"));
        // The libraries' defaults are there as fallbacks (the journal's class is hocon/persistence.conf's timed subclass).
        Assert.Equal("Kimi.Actors.Cluster.Management.TimedSqlJournal, Kimi.Actors.Cluster", config.GetString("akka.persistence.journal.sql.class"));
        Assert.Equal("TagTable", config.GetString("akka.persistence.journal.sql.tag-write-mode"));
        Assert.Equal("ddata", config.GetString("akka.cluster.sharding.state-store-mode"));
        Assert.Equal(4L << 20, config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
    }

    [Fact]
    public void The_journal_is_described_by_its_sqlite_file_or_by_provider_database_and_host_without_the_password()
    {
        var relative = Path.Combine("data", "kimi.db");
        var sqlite = ClusterBootstrap.Journal(ConfigurationFactory.ParseString($"kimi.persistence.sqlite-file = \"{relative}\"").WithFallback(NodeConfig.For()));
        Assert.Equal(new JournalDatabase("SQLite.MS", Path.GetFullPath(relative), $"SQLite file '{Path.GetFullPath(relative)}'"), sqlite);

        var postgres = ClusterBootstrap.Journal(ConfigurationFactory.ParseString("""
            akka.persistence.journal.sql {
              provider-name = "PostgreSQL15"
              connection-string = "Host=db.internal;Port=5432;Database=kimi;Username=kimi;Password=s3cret"
            }
            """).WithFallback(NodeConfig.For()));
        Assert.Equal(new JournalDatabase("PostgreSQL15", null, "PostgreSQL15 database 'kimi' on db.internal:5432"), postgres);

        var unreadable = ClusterBootstrap.Journal(ConfigurationFactory.ParseString("""
            akka.persistence.journal.sql { provider-name = "PostgreSQL15", connection-string = "Password=s3cret;Host" }
            """).WithFallback(NodeConfig.For()));
        Assert.DoesNotContain("s3cret", unreadable.Description);
        Assert.Contains("akka.persistence.journal.sql.connection-string", unreadable.Description);
    }

    public void Dispose() => _database.Dispose();
}
