using System.Data.Common;
using System.Text.Json;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.DistributedData;
using Akka.Persistence.Sql;
using Akka.Remote;
using Akka.Serialization;
using Kimi.Actors.Cluster.Management;
using Kimi.Actors.Cluster.Protocol;
using Microsoft.Data.Sqlite;
using AkkaConfig = Akka.Configuration.Config;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// Starts a Kimi node: the layered HOCON (hocon/akka.conf, persistence.conf, a node file, overrides — the Host builds
/// it) with the libraries' defaults as fallbacks and Kimi's messages on the allow-listed serializer, the SQLite
/// preflight, joining, and waiting for Up.
/// </summary>
public static class ClusterBootstrap
{
    public const string SqliteFileKey = "kimi.persistence.sqlite-file";
    public const string JoinSelfKey = "kimi.cluster.join-self";
    public const string UpTimeoutKey = "kimi.cluster.up-timeout";

    private static readonly string[] SqlPluginPaths =
        [SqlPersistence.JournalConfigPath, SqlPersistence.SnapshotStoreConfigPath, SqlPersistence.QueryConfigPath];

    // The allow-list is part of the security model, so no layer can unbind it: Kimi's messages always go through
    // KimiHyperionSerializer, and the journal's schema is its own serializer's (hocon/akka.conf says the same; this
    // wins over any later layer).
    private static readonly AkkaConfig SerializationLayer = ConfigurationFactory.ParseString($$"""
        akka.actor.serializers.hyperion = "{{ShortName(typeof(KimiHyperionSerializer))}}"
        akka.actor.serializers.kimi-journal = "{{ShortName(typeof(KimiJournalSerializer))}}"
        akka.actor.serialization-bindings {
          "{{ShortName(typeof(IKimiMessage))}}" = hyperion
          "{{ShortName(typeof(Protocol.Journal.IJournalEvent))}}" = kimi-journal
        }
        """);

    // Remoting's and the cluster's reference configurations, which bring the serializers of Akka's own messages
    // (Status.Failure, actor refs, cluster messages). Loaded anyway by the cluster provider; as fallbacks here they
    // also reach a system with provider local (single-actor tests), so its serialize-messages checks use the same
    // serializers as the wire.
    private static readonly AkkaConfig RemoteDefaults =
        ConfigurationFactory.FromResource("Akka.Remote.Configuration.Remote.conf", typeof(RemoteActorRefProvider).Assembly);
    private static readonly AkkaConfig ClusterDefaults =
        ConfigurationFactory.FromResource("Akka.Cluster.Configuration.Cluster.conf", typeof(Akka.Cluster.Cluster).Assembly);

    /// <summary>
    /// <paramref name="config"/> with Kimi's messages bound to <see cref="KimiHyperionSerializer"/>, over the defaults of
    /// remoting, cluster, Akka.Persistence.Sql, Hyperion, sharding, singleton, distributed data, the cluster client
    /// (and its receptionist) and distributed pub-sub (each library's reference
    /// configuration is otherwise only injected when its extension first starts, too late for plugins looked up by
    /// path). The database follows <c>kimi.persistence.provider</c>: <c>sqlite</c> (default): SQL plugins that use a
    /// SQLite provider and have no connection string get <c>Data Source=</c> the full path of
    /// <c>kimi.persistence.sqlite-file</c>; <c>postgres</c>: the journal, snapshot store and read journal all get provider
    /// PostgreSQL15 and the connection string of <see cref="PersistenceProvider.PostgresConnectionString"/> (the
    /// environment variable KIMI_PERSISTENCE_CONNECTION_STRING over <c>kimi.persistence.connection-string</c>).
    /// </summary>
    /// <param name="environment">Reads an environment variable (tests); null: the process's environment.</param>
    /// <exception cref="ConfigException">An unknown provider, a missing or malformed PostgreSQL connection string, or a
    /// SQLite plugin without connection string while the file key is empty.</exception>
    public static AkkaConfig BuildConfig(AkkaConfig config, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var merged = SerializationLayer.WithFallback(config)
            .WithFallback(RemoteDefaults)
            .WithFallback(ClusterDefaults)
            .WithFallback(SqlPersistence.DefaultConfiguration)
            .WithFallback(HyperionSerializer.DefaultConfiguration())
            .WithFallback(ClusterSharding.DefaultConfig())
            .WithFallback(ClusterSingleton.DefaultConfig())
            .WithFallback(DistributedData.DefaultConfig())
            .WithFallback(ClusterClientReceptionist.DefaultConfig())
            .WithFallback(DistributedPubSub.DefaultConfig());
        if (PersistenceProvider.Of(merged) == JournalProvider.Postgres)
            return PersistenceProvider.PostgresLayer(SqlPluginPaths, PersistenceProvider.PostgresConnectionString(merged, environment),
                SqlPersistence.JournalConfigPath).WithFallback(merged);

        var filled = SqlPluginPaths
            .Where(p => IsSqlite(merged, p) && string.IsNullOrWhiteSpace(merged.GetString($"{p}.connection-string", "")))
            .ToList();
        if (filled.Count == 0) return merged;

        var file = merged.GetString(SqliteFileKey, "");
        if (string.IsNullOrWhiteSpace(file))
            throw new ConfigException($"{SqliteFileKey} is empty, and so is " +
                $"{string.Join(", ", filled.Select(p => p + ".connection-string"))}: one of them must name the database");
        var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(file) }.ToString();
        // HOCON strings are JSON strings, so JSON escaping quotes any path safely.
        var hocon = string.Join('\n', filled.Select(p => $"{p}.connection-string = {JsonSerializer.Serialize(connectionString)}"));
        return ConfigurationFactory.ParseString(hocon).WithFallback(merged);
    }

    /// <summary>The ActorSystem setup for <paramref name="config"/>: <see cref="BuildConfig"/>, and the extra allowed types if any.</summary>
    /// <param name="extraAllowedTypes">
    /// Types to admit beyond the protocol's allow-list, with what they carry (only types reachable through
    /// <c>object</c>, or test messages); the protocol's own types never need listing.
    /// </param>
    public static ActorSystemSetup Setup(AkkaConfig config, IEnumerable<Type>? extraAllowedTypes = null) =>
        SetupOf(BuildConfig(config), extraAllowedTypes);

    /// <summary>
    /// The SQLite files the SQL plugins of <paramref name="config"/> will open (none for other providers or
    /// in-memory databases), from <see cref="BuildConfig"/>'s result.
    /// </summary>
    public static IReadOnlyList<string> SqliteFiles(AkkaConfig builtConfig) => SqlPluginPaths
        .Where(p => IsSqlite(builtConfig, p))
        .Select(p => new SqliteConnectionStringBuilder(builtConfig.GetString($"{p}.connection-string", "")))
        .Where(b => b.Mode != SqliteOpenMode.Memory && b.DataSource is { Length: > 0 } and not ":memory:")
        .Select(b => Path.GetFullPath(b.DataSource))
        .Distinct(StringComparer.Ordinal)
        .ToList();

    /// <summary>
    /// The database the journal of <paramref name="config"/> (before or after <see cref="BuildConfig"/>) writes to, for
    /// messages: a SQLite file by its full path, another provider by name, database and host, never its credentials.
    /// </summary>
    public static JournalDatabase Journal(AkkaConfig config)
    {
        var built = BuildConfig(config);
        var plugin = built.GetString("akka.persistence.journal.plugin", SqlPersistence.JournalConfigPath);
        var provider = built.GetString($"{plugin}.provider-name", "");
        var connectionString = built.GetString($"{plugin}.connection-string", "");
        if (IsSqlite(built, plugin))
        {
            var sqlite = new SqliteConnectionStringBuilder(connectionString);
            if (sqlite.Mode == SqliteOpenMode.Memory || sqlite.DataSource is "" or ":memory:")
                return new JournalDatabase(provider, null, "in-memory SQLite database");
            var file = Path.GetFullPath(sqlite.DataSource);
            return new JournalDatabase(provider, file, $"SQLite file '{file}'");
        }
        return new JournalDatabase(provider, null, Describe(provider, connectionString, $"{plugin}.connection-string"));
    }

    /// <summary>A database other than SQLite by provider, name and host: never the credentials.</summary>
    private static string Describe(string provider, string connectionString, string key)
    {
        var parts = new DbConnectionStringBuilder();
        try { parts.ConnectionString = connectionString; }
        catch (ArgumentException) { return $"{provider} database at {key}"; }
        string? Part(params string[] keys) => keys.Select(k => parts.TryGetValue(k, out var v) ? v?.ToString() : null)
            .FirstOrDefault(v => !string.IsNullOrEmpty(v));
        var (host, port, database) = (Part("Host", "Server", "Address"), Part("Port"), Part("Database", "Initial Catalog"));
        return $"{provider} database" + (database is null ? "" : $" '{database}'") +
            (host is null ? "" : $" on {host}" + (port is null ? "" : $":{port}"));
    }

    /// <summary>
    /// Checks the SQLite database (<see cref="DatabasePreflight"/>) and creates the ActorSystem, without joining a
    /// cluster (provider local, or the caller joins).
    /// </summary>
    /// <exception cref="DatabaseException">The database cannot be used; nothing was started.</exception>
    public static ActorSystem Create(string systemName, AkkaConfig config, IEnumerable<Type>? extraAllowedTypes = null) =>
        CreateFrom(systemName, BuildConfig(config), extraAllowedTypes);

    /// <summary>
    /// <see cref="Create"/>, starts the management endpoint when <c>kimi.management.enabled</c> (before joining, so it
    /// answers "not ready" while the node joins), then joins <paramref name="seeds"/> when given, else
    /// <c>akka.cluster.seed-nodes</c> (Akka joins those itself), else the contact points Cluster Bootstrap discovers when
    /// <c>kimi.cluster.bootstrap = discovery</c>, else itself when <c>kimi.cluster.join-self = on</c>; returns once this
    /// member is Up.
    /// </summary>
    /// <exception cref="DatabaseException">The database cannot be used; nothing was started.</exception>
    /// <exception cref="ClusterStartException">There is nothing to join (nothing was started), or the member was not Up
    /// within <c>kimi.cluster.up-timeout</c> (the ActorSystem has been terminated).</exception>
    public static async Task<ActorSystem> StartAsync(string systemName, AkkaConfig config, IReadOnlyList<Address>? seeds = null,
        CancellationToken cancellationToken = default)
    {
        var built = BuildConfig(config);
        var configuredSeeds = built.GetStringList("akka.cluster.seed-nodes", []);
        bool joinSelf = built.GetBoolean(JoinSelfKey, false);
        var management = ManagementSettings.FromConfig(built);
        bool discover = management.Bootstrap == BootstrapMode.Discovery;
        // Decided before anything starts: a node that never joined takes seconds to shut down.
        if (seeds is not { Count: > 0 } && configuredSeeds.Count == 0 && !joinSelf && !discover)
            throw new ClusterStartException(
                $"node '{systemName}' has nothing to join: no seeds were given, akka.cluster.seed-nodes is empty, " +
                $"{ManagementSettings.BootstrapKey} is seed-nodes and {JoinSelfKey} is off");

        var system = CreateFrom(systemName, built, null);
        try
        {
            if (management.Enabled) await KimiManagement.Get(system).StartAsync(management, ManagementSettings.PersistentRoles).ConfigureAwait(false);
            var cluster = Akka.Cluster.Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            string joining;
            if (seeds is { Count: > 0 })
            {
                cluster.JoinSeedNodes(seeds);
                joining = $"seed nodes {string.Join(", ", seeds)}";
            }
            else if (configuredSeeds.Count > 0)
            {
                joining = $"akka.cluster.seed-nodes {string.Join(", ", configuredSeeds)}";   // Akka joins these itself
            }
            else if (discover)
            {
                // Cluster Bootstrap looks up contact points (akka.discovery), probes their management endpoints and joins
                // an existing cluster, or the lowest-addressed of them forms one once enough are seen, stably.
                await Akka.Management.Cluster.Bootstrap.ClusterBootstrap.Get(system).Start().ConfigureAwait(false);
                var point = "akka.management.cluster.bootstrap.contact-point-discovery";
                joining = $"the contact points discovered through {built.GetString("akka.discovery.method", "?")} " +
                    $"(service {built.GetString($"{point}.service-name", "?")}, port {built.GetString($"{point}.port-name", "?")}, " +
                    $"at least {built.GetInt($"{point}.required-contact-point-nr", 2)})";
            }
            else
            {
                cluster.Join(cluster.SelfAddress);
                joining = $"itself ({JoinSelfKey} = on)";
            }
            await WaitUntilUpAsync(cluster, up.Task, joining, built.GetTimeSpan(UpTimeoutKey, TimeSpan.FromSeconds(30)), cancellationToken)
                .ConfigureAwait(false);
            return system;
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task WaitUntilUpAsync(Akka.Cluster.Cluster cluster, Task up, string joining, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        try
        {
            var deadline = DateTime.UtcNow + timeout;
            await up.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            // Cluster.SelfMember comes from a view that the cluster updates after the Up callbacks; callers read it.
            while (cluster.SelfMember.Status != MemberStatus.Up)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException();
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            throw new ClusterStartException(
                $"node {cluster.SelfAddress} (roles {string.Join(", ", cluster.SelfRoles)}) joining {joining} was not Up within " +
                $"{timeout.TotalSeconds:0.#} s ({UpTimeoutKey}); its status is {cluster.SelfMember.Status}. " +
                "Check that the seed nodes run and are reachable at those addresses");
        }
    }

    /// <summary>
    /// Runs <see cref="DatabasePreflight"/> on every database the SQL plugins of <paramref name="config"/> will open (each
    /// SQLite file; each PostgreSQL database, by connecting), without starting anything, so a caller can refuse a bad
    /// database before it creates any output of its own.
    /// </summary>
    /// <returns>The full paths of the files checked, and the descriptions of the PostgreSQL databases.</returns>
    /// <exception cref="DatabaseException">A database cannot be used; nothing was changed.</exception>
    public static IReadOnlyList<string> CheckDatabases(AkkaConfig config) => CheckBuiltDatabases(BuildConfig(config));

    private static IReadOnlyList<string> CheckBuiltDatabases(AkkaConfig built) =>
    [
        .. SqliteFiles(built).Select(DatabasePreflight.Check),
        .. SqlPluginPaths.Where(p => IsPostgres(built, p))
            .Select(p => (Provider: built.GetString($"{p}.provider-name"), ConnectionString: built.GetString($"{p}.connection-string", ""), Plugin: p))
            .DistinctBy(d => d.ConnectionString, StringComparer.Ordinal)
            .Select(d => DatabasePreflight.CheckPostgres(d.ConnectionString, Describe(d.Provider, d.ConnectionString, $"{d.Plugin}.connection-string"))),
    ];

    private static ActorSystem CreateFrom(string systemName, AkkaConfig built, IEnumerable<Type>? extraAllowedTypes)
    {
        CheckBuiltDatabases(built);
        return ActorSystem.Create(systemName, SetupOf(built, extraAllowedTypes));
    }

    private static ActorSystemSetup SetupOf(AkkaConfig built, IEnumerable<Type>? extraAllowedTypes)
    {
        var bootstrap = BootstrapSetup.Create().WithConfig(built);
        return extraAllowedTypes is null ? ActorSystemSetup.Create(bootstrap) : bootstrap.And(KimiSerialization.Setup(extraAllowedTypes));
    }

    private static string ShortName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    private static bool IsSqlite(AkkaConfig config, string pluginPath) =>
        config.GetString($"{pluginPath}.provider-name", "").StartsWith("SQLite", StringComparison.OrdinalIgnoreCase);

    private static bool IsPostgres(AkkaConfig config, string pluginPath) =>
        config.GetString($"{pluginPath}.provider-name", "").StartsWith("PostgreSQL", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Where a journal lives, as <see cref="ClusterBootstrap.Journal"/> describes it.</summary>
/// <param name="SqliteFile">The full path of its SQLite file; null for another provider or an in-memory database.</param>
/// <param name="Description">For messages, e.g. <c>SQLite file '/srv/kimi/data/kimi.db'</c> or <c>PostgreSQL15 database 'kimi' on db:5432</c>.</param>
public sealed record JournalDatabase(string Provider, string? SqliteFile, string Description);
