namespace Kimi.Actors.Cluster.Configuration;

/// <summary>A configuration value or key that cannot be used; the message names the key, the value and what is allowed.</summary>
public sealed class ConfigException(string message) : Exception(message);
