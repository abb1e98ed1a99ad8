namespace Kimi.Actors.Cluster.Configuration;

/// <summary>The node's database cannot be used; the message names the file and the problem. Nothing was changed.</summary>
public sealed class DatabaseException(string path, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Full path of the database file concerned.</summary>
    public string DatabasePath { get; } = path;
}
