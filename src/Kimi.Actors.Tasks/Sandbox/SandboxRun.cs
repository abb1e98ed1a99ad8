namespace Kimi.Actors.Tasks;

/// <summary>How a sandboxed process ended.</summary>
public enum SandboxStatus
{
    Exited,
    WallTimeLimit,
    CpuTimeLimit,
    MemoryLimit,
    ProcessLimit,
    OutputLimit,
    Signaled,
    /// <summary>The sandbox itself failed (bwrap refused to start, a folder could not be made): not the program's doing.</summary>
    SandboxError,
}

/// <summary>
/// One sandboxed run: its status, exit code (128 + signal when killed by a signal), standard output (at most the
/// output limit) and the tail of standard error, and its wall time.
/// </summary>
public sealed record SandboxRun(SandboxStatus Status, int ExitCode, string Stdout, string StderrTail, TimeSpan Wall)
{
    public bool Succeeded => Status == SandboxStatus.Exited && ExitCode == 0;

    /// <summary>A short reason: "exit 1: ZeroDivisionError: division by zero", "wall time limit (4000 ms)".</summary>
    public string Describe(SandboxLimits limits) => Status switch
    {
        SandboxStatus.Exited => ExitCode == 0 ? "exit 0" : $"exit {ExitCode}" + LastLine(),
        SandboxStatus.WallTimeLimit => $"{VerifyReasons.WallTimeLimit} ({limits.WallTime.TotalMilliseconds:0} ms)",
        SandboxStatus.CpuTimeLimit => $"{VerifyReasons.CpuTimeLimit} ({limits.CpuSeconds} s)",
        SandboxStatus.MemoryLimit => $"{VerifyReasons.MemoryLimit} ({limits.MemoryBytes >> 20} MiB)",
        SandboxStatus.ProcessLimit => $"{VerifyReasons.ProcessLimit} ({limits.Processes})",
        SandboxStatus.OutputLimit => $"{VerifyReasons.OutputLimit} ({limits.OutputBytes} bytes)",
        SandboxStatus.Signaled => $"killed by signal {ExitCode - 128}",
        _ => $"{VerifyReasons.SandboxFailure}" + LastLine(),
    };

    private string LastLine()
    {
        var line = StderrTail.TrimEnd().Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim();
        return string.IsNullOrEmpty(line) ? "" : ": " + (line.Length > 160 ? line[..160] : line);
    }
}
