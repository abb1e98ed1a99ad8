namespace Kimi.Bench;

/// <summary>Bad command-line arguments: reported with the subcommand's usage and exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
