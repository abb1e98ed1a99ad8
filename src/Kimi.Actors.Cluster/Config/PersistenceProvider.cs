using System.Text.Json;
using Akka.Configuration;
using Npgsql;
using AkkaConfig = Akka.Configuration.Config;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>Which database holds the journal and snapshots (<c>kimi.persistence.provider</c>).</summary>
public enum JournalProvider
{
    /// <summary>One SQLite file on the node (<c>kimi.persistence.sqlite-file</c>): one writer, so one node.</summary>
    Sqlite,
    /// <summary>A PostgreSQL database every node of a cluster shares (Akka.Persistence.Sql's <c>PostgreSQL15</c> provider).</summary>
    Postgres,
}

/// <summary>
/// Reads <c>kimi.persistence.provider</c> and the PostgreSQL connection string, and turns them into the settings of the
/// journal, snapshot-store and read-journal plugins (<see cref="ClusterBootstrap.BuildConfig"/> applies them). The
/// connection string may carry a password, so the environment variable <see cref="ConnectionStringVariable"/> wins over
/// the key (secrets stay out of files and command lines) and no message ever repeats it.
/// </summary>
public static class PersistenceProvider
{
    public const string ProviderKey = "kimi.persistence.provider";
    public const string ConnectionStringKey = "kimi.persistence.connection-string";
    public const string ConnectionStringVariable = "KIMI_PERSISTENCE_CONNECTION_STRING";

    /// <summary>linq2db's provider for PostgreSQL 15 and later.</summary>
    public const string PostgresProviderName = "PostgreSQL15";

    // Concurrent writers of the journal on PostgreSQL (SQLite's one writer keeps hocon/persistence.conf's 1): the
    // Prompt entities of several nodes write at once, and a handful of connections per node serves them.
    private const int PostgresParallelism = 4;

    /// <exception cref="ConfigException">The value is neither sqlite nor postgres.</exception>
    public static JournalProvider Of(AkkaConfig config)
    {
        var value = config.GetString(ProviderKey, "sqlite");
        return value.Trim().ToLowerInvariant() switch
        {
            "sqlite" => JournalProvider.Sqlite,
            "postgres" or "postgresql" => JournalProvider.Postgres,
            _ => throw new ConfigException($"{ProviderKey} = {value}: expected sqlite or postgres"),
        };
    }

    /// <summary>
    /// The PostgreSQL connection string: <see cref="ConnectionStringVariable"/> when set and not empty, else
    /// <see cref="ConnectionStringKey"/>. Checked for form (never echoed: it may hold a password).
    /// </summary>
    /// <param name="environment">Reads an environment variable; null: the process's environment.</param>
    /// <exception cref="ConfigException">Neither is set, or the one used is not a connection string.</exception>
    public static string PostgresConnectionString(AkkaConfig config, Func<string, string?>? environment = null)
    {
        var fromEnvironment = (environment ?? Environment.GetEnvironmentVariable)(ConnectionStringVariable);
        var (source, value) = !string.IsNullOrWhiteSpace(fromEnvironment)
            ? ($"the environment variable {ConnectionStringVariable}", fromEnvironment)
            : (ConnectionStringKey, config.GetString(ConnectionStringKey, ""));
        if (string.IsNullOrWhiteSpace(value))
            throw new ConfigException($"{ProviderKey} = postgres needs a connection string: set {ConnectionStringVariable} " +
                $"(preferred: it keeps the password out of files and command lines) or {ConnectionStringKey}");
        NpgsqlConnectionStringBuilder parsed;
        try { parsed = new NpgsqlConnectionStringBuilder(value); }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ConfigException($"{source}: not a PostgreSQL connection string ({Scrub(e.Message, value)})");
        }
        if (string.IsNullOrEmpty(parsed.Host))
            throw new ConfigException($"{source}: the PostgreSQL connection string names no Host");
        return value;
    }

    /// <summary>
    /// The plugin settings for <see cref="JournalProvider.Postgres"/>: provider <see cref="PostgresProviderName"/> and the
    /// connection string for the journal, the snapshot store and the read journal (which must all see one database).
    /// </summary>
    public static AkkaConfig PostgresLayer(IEnumerable<string> pluginPaths, string connectionString, string journalPath)
    {
        var quoted = JsonSerializer.Serialize(connectionString); // HOCON strings are JSON strings
        var lines = pluginPaths.SelectMany(p => new[]
        {
            $"{p}.provider-name = {PostgresProviderName}",
            $"{p}.connection-string = {quoted}",
        }).Append($"{journalPath}.parallelism = {PostgresParallelism}");
        return ConfigurationFactory.ParseString(string.Join('\n', lines));
    }

    /// <summary><paramref name="message"/> with the password of <paramref name="connectionString"/> (if any) blanked out.</summary>
    public static string Scrub(string message, string connectionString)
    {
        string? password = null;
        try { password = new NpgsqlConnectionStringBuilder(connectionString).Password; }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException) { }
        return string.IsNullOrEmpty(password) ? message : message.Replace(password, "***", StringComparison.Ordinal);
    }
}
