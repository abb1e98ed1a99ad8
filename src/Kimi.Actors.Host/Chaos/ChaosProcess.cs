using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Kimi.Actors.Cluster.Workers;

namespace Kimi.Actors.Host.Chaos;

/// <summary>
/// One <c>kimi</c> child process of a chaos scenario (a <c>kimi node</c> or the <c>kimi train --cluster</c> client): its
/// output goes to a log file as it comes and is kept in memory for waiting on a line; it can be signalled, killed and
/// waited for, each with a deadline.
/// </summary>
public sealed class ChaosProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StreamWriter _log;

    public string Name { get; }
    public string LogFile { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    private ChaosProcess(string name, Process process, string logFile)
    {
        (Name, _process, LogFile) = (name, process, logFile);
        _log = new StreamWriter(logFile, append: true) { AutoFlush = true };
    }

    /// <summary>
    /// Starts <c>dotnet kimi.dll ARGS</c>; with <paramref name="cpus"/> (a CPU list, e.g. <c>0</c> or <c>0-1</c>) under
    /// <c>taskset -c</c>, so the process and the worker processes it starts run only on those CPUs, as a pod runs
    /// within its CPU limit.
    /// </summary>
    public static ChaosProcess Start(string name, IReadOnlyList<string> args, string logFile, IReadOnlyDictionary<string, string> environment,
        string? cpus = null)
    {
        var dotnet = WorkerProcessLauncher.LocateDotnet(null);
        var kimi = typeof(ChaosProcess).Assembly.Location;
        var info = new ProcessStartInfo(cpus is null ? dotnet : "taskset")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        if (cpus is not null)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(cpus);
            info.ArgumentList.Add(dotnet);
        }
        info.ArgumentList.Add(kimi);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = new Process { StartInfo = info };
        var chaos = new ChaosProcess(name, process, logFile);
        chaos._log.WriteLine($"# {DateTime.UtcNow:O} {string.Join(' ', info.ArgumentList)}");
        process.OutputDataReceived += (_, e) => chaos.Append(e.Data);
        process.ErrorDataReceived += (_, e) => chaos.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return chaos;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.AppendLine(line);
            _log.WriteLine(line);
        }
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Waits until a line containing <paramref name="text"/> has appeared; false when the process ended or time ran out.</summary>
    public bool WaitFor(string text, TimeSpan timeout) => WaitUntil(() => Output.Contains(text, StringComparison.Ordinal), timeout);

    public bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (_process.HasExited || DateTime.UtcNow > deadline) return condition();
            Thread.Sleep(200);
        }
        return true;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public const int SigTerm = 15, SigKill = 9;

    /// <summary>Sends a signal to the process (SIGKILL: nothing is flushed, exactly like a crash; its workers notice and exit).</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited) kill(_process.Id, signal);
    }

    /// <summary>The exit code once it has ended within <paramref name="timeout"/>; null if it still runs.</summary>
    public int? WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return null;
        _process.WaitForExit();   // drains the output
        return _process.ExitCode;
    }

    /// <summary>Ends the process in order (SIGTERM), then for good after <paramref name="grace"/>.</summary>
    public void Stop(TimeSpan grace)
    {
        if (_process.HasExited) return;
        Signal(SigTerm);
        if (WaitForExit(grace) is null) Signal(SigKill);
        _process.WaitForExit(5000);
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
        _process.Dispose();
        lock (_output) _log.Dispose();
    }
}
