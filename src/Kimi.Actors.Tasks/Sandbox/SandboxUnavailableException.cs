namespace Kimi.Actors.Tasks;

/// <summary>The sandbox cannot run here (bubblewrap or prlimit missing, namespaces refused); programs are then never run at all.</summary>
public sealed class SandboxUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
