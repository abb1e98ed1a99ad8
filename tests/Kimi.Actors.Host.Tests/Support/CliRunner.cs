using Kimi.Actors.Host.Cli;

namespace Kimi.Actors.Host.Tests.Support;

/// <summary>What one in-process <c>kimi</c> invocation returned and printed.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs <see cref="KimiCli.Run"/> in this process, capturing its output.</summary>
public static class CliRunner
{
    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = KimiCli.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// <c>--set</c> arguments that keep a run's database, checkpoints and default run folder inside <paramref name="folder"/>
    /// (by default they go under the current directory).
    /// </summary>
    public static string[] StorageIn(string folder, string? database = null) =>
    [
        "--set", $"kimi.persistence.sqlite-file={database ?? Path.Combine(folder, "kimi.db")}",
        "--set", $"kimi.persistence.checkpoint-dir={Path.Combine(folder, "checkpoints")}",
        "--set", $"kimi.run.runs-dir={Path.Combine(folder, "runs")}",
    ];
}
