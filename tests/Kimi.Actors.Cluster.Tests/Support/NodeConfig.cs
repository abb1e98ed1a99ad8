using System.Text.Json;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using AkkaConfig = Akka.Configuration.Config;

namespace Kimi.Actors.Cluster.Tests.Support;

/// <summary>
/// The shipped hocon/ layers as the Host embeds them, for one test node: every message serialized as if it crossed
/// the network, warnings only, and its own SQLite file.
/// </summary>
internal static class NodeConfig
{
    // Akka.Persistence.Sql messages that stay inside the journal and the read journal; see InProcessSerializer.
    private static readonly string[] ProcessLocalLibraryMessages =
    [
        "Journal.Types.WriteFinished",
        "Query.InternalProtocol.AssumeMaxOrderingId", "Query.InternalProtocol.GetMaxOrderingId", "Query.InternalProtocol.MaxOrderingId",
        "Query.InternalProtocol.NewOrderingIds", "Query.InternalProtocol.QueryOrderingIds", "Query.InternalProtocol.ScheduleAssumeMaxOrderingId",
        "Query.RequestQueryStart", "Query.QueryStartGranted", "Query.ReturnQueryStart",
    ];

    private static readonly string InProcessBindings = $$"""
        akka.actor.serializers.kimi-test-in-process = "{{typeof(InProcessSerializer).FullName}}, {{typeof(InProcessSerializer).Assembly.GetName().Name}}"
        akka.actor.serialization-bindings {
        {{string.Join("\n", ProcessLocalLibraryMessages.Select(t => $"  \"Akka.Persistence.Sql.{t}, Akka.Persistence.Sql\" = kimi-test-in-process"))}}
        }
        """;

    /// <summary>A node whose journal is <paramref name="database"/> (SQLite or PostgreSQL).</summary>
    public static AkkaConfig For(TempDatabase database, bool cluster = false, string extra = "") =>
        For((string?)null, cluster, database.Hocon + "\n" + extra);

    /// <param name="sqliteFile">The node's database; null for tests that persist nothing.</param>
    /// <param name="cluster">false: provider local (single-actor tests start faster); true: a one-node cluster (local-node.conf).</param>
    /// <param name="extra">HOCON over everything else.</param>
    public static AkkaConfig For(string? sqliteFile = null, bool cluster = false, string extra = "")
    {
        var layers = new List<string> { "hocon/akka.conf", "hocon/persistence.conf" };
        if (cluster) layers.Add("hocon/local-node.conf");
        AkkaConfig config = ConfigurationFactory.Empty;
        foreach (var layer in layers)
            config = ConfigurationFactory.ParseString(KimiConfigLoader.ReadEmbedded(layer)).WithFallback(config);
        var overrides = $"""
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            akka.actor.serialize-messages = on
            akka.actor.serialize-creators = off
            # The first write of a fresh journal creates its tables and warms up linq2db: seconds on a loaded 2-core machine.
            akka.test.single-expect-default = 10s
            # Test nodes serve no management endpoint unless a test asks (it would take port 8558 from the next test).
            kimi.management.enabled = off
            {InProcessBindings}
            {(cluster ? "" : "akka.actor.provider = local")}
            {(sqliteFile is null ? "" : $"kimi.persistence.sqlite-file = {JsonSerializer.Serialize(sqliteFile)}")}
            {extra}
            """;
        return ConfigurationFactory.ParseString(overrides).WithFallback(config);
    }
}
