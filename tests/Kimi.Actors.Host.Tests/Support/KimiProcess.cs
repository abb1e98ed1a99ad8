using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Kimi.Actors.Host.Tests.Support;

/// <summary>
/// <c>kimi</c> (or <c>kimi-console</c>) as a child process (<c>dotnet kimi.dll ...</c>, the dll copied next to the tests), for
/// what only a real process shows: how it stops on a signal, what it leaves when killed, what a console in another process sees.
/// </summary>
public sealed class KimiProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new(), _stderr = new();

    private KimiProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public static KimiProcess Start(params string[] args) => StartProgram("kimi.dll", input: false, args);

    /// <summary>
    /// One of the programs copied next to the tests (<c>kimi.dll</c>, <c>kimi-console.dll</c>); with <paramref name="input"/>
    /// its standard input is a pipe <see cref="WriteLine"/> writes to (else it inherits the test's).
    /// </summary>
    public static KimiProcess StartProgram(string dll, bool input, params string[] args)
    {
        RestoreDefaultInterrupt();
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input, UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var a in args) info.ArgumentList.Add(a);
        var kimi = new KimiProcess(Process.Start(info)!);
        kimi._process.OutputDataReceived += (_, e) => { lock (kimi._stdout) kimi._stdout.AppendLine(e.Data); };
        kimi._process.ErrorDataReceived += (_, e) => { lock (kimi._stderr) kimi._stderr.AppendLine(e.Data); };
        kimi._process.BeginOutputReadLine();
        kimi._process.BeginErrorReadLine();
        return kimi;
    }

    /// <summary>A line to the process's standard input (started with input).</summary>
    public void WriteLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>The end of its standard input.</summary>
    public void CloseInput() => _process.StandardInput.Close();

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    /// <summary>Waits until <paramref name="condition"/> holds; fails with the output so far when the process ends or time runs out first.</summary>
    public void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (_process.HasExited) Assert.Fail($"kimi exited ({_process.ExitCode}) before {what}\n{Stderr}");
            if (DateTime.UtcNow > deadline) Assert.Fail($"no {what} within {timeout.TotalSeconds} s\n{Stderr}");
            Thread.Sleep(100);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "signal")]
    private static extern IntPtr SetSignalHandler(int signal, IntPtr handler);

    private const int SigInt = 2;

    /// <summary>
    /// A test run started in the background by a non-interactive shell (`cmd &amp;`, as a CI runner may do) inherits
    /// SIGINT ignored, and an ignored signal stays ignored across exec, so the kimi child could not be interrupted
    /// at all. Children must start with the default disposition for the Ctrl-C test to test kimi, not the runner.
    /// </summary>
    private static void RestoreDefaultInterrupt()
    {
        const string status = "/proc/self/status";
        if (!OperatingSystem.IsLinux() || !File.Exists(status)) return;
        var ignored = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:"));
        if (ignored is null) return;
        ulong mask = Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16);
        if ((mask & (1UL << (SigInt - 1))) != 0) SetSignalHandler(SigInt, IntPtr.Zero); // SIG_DFL
    }

    public void Signal(int signal) => Assert.Equal(0, kill(_process.Id, signal));

    /// <summary>The exit code, once the process has ended and its output has been read.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        Assert.True(_process.WaitForExit(timeout), $"kimi still running after {timeout.TotalSeconds} s\n{Stderr}");
        _process.WaitForExit();   // drains the redirected output
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
