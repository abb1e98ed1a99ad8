using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;

namespace Kimi.Actors.Host.Tests.Support;

/// <summary>What one in-process <c>kimi</c> invocation returned and printed.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs <see cref="KimiCli.Run"/> (or another <see cref="CliProgram"/>) in this process, capturing its output.</summary>
public static class CliRunner
{
    public static CliResult Run(params string[] args) => Run(KimiCli.Program, args);

    public static CliResult Run(CliProgram program, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = program.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// <see cref="Run(string[])"/> that must end within <paramref name="limit"/>; returns how long it took. A command that
    /// hangs fails the test at the limit instead of hanging it (the abandoned call keeps its thread).
    /// </summary>
    public static (CliResult Result, TimeSpan Elapsed) RunWithin(TimeSpan limit, params string[] args)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = Task.Run(() => Run(args));
        Assert.True(run.Wait(limit), $"kimi {string.Join(' ', args)} did not end within {limit.TotalSeconds} s");
        return (run.Result, clock.Elapsed);
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

public static class CliAssert
{
    /// <summary>Exit code 2, exactly one line on stderr, <c>kimi: error: </c> and every one of <paramref name="expected"/>, no stack trace.</summary>
    public static string UserError(CliResult result, params string[] expected) => UserErrorOf("kimi", result, expected);

    /// <summary><see cref="UserError"/> of the program <paramref name="program"/>; returns the line.</summary>
    public static string UserErrorOf(string program, CliResult result, params string[] expected)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith($"{program}: error: ", line);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.DoesNotContain("Exception", result.Stderr);
        foreach (var e in expected) Assert.Contains(e, line);
        return line;
    }
}
