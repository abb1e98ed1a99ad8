namespace Kimi.Actors.CommandLine;

/// <summary>A mistake in how kimi was invoked or configured: reported as one clear line, exit code 2, no stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);
