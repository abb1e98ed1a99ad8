namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// The node's database cannot be used; the message names the file (or the PostgreSQL database by provider, name and host,
/// never its password) and the problem. Nothing was changed.
/// </summary>
public sealed class DatabaseException(string path, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Full path of the database file concerned, or the description of a PostgreSQL database.</summary>
    public string DatabasePath { get; } = path;
}
