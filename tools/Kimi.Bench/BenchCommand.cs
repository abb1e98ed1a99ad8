namespace Kimi.Bench;

/// <summary>One subcommand: its name, its argument synopsis, a one-line summary and its entry point (returns the exit code).</summary>
public sealed record BenchCommand(string Name, string Arguments, string Summary, Func<string[], int> Run);
