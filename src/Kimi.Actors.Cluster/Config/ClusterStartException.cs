namespace Kimi.Actors.Cluster.Configuration;

/// <summary>A node could not join its cluster; the message says what it tried and what to check.</summary>
public sealed class ClusterStartException(string message) : Exception(message);
