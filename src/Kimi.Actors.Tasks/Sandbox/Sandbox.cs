using System.Diagnostics;
using System.Text;

namespace Kimi.Actors.Tasks;

/// <summary>
/// Runs untrusted programs under bubblewrap: new user, PID, network (loopback only, nothing reachable), IPC, UTS
/// and mount namespaces; the host's <see cref="SandboxSettings.ReadOnlyPaths"/> read-only, the program's folder
/// read-only at <c>/src</c>, a size-capped tmpfs at <c>/work</c> (the only writable place, gone afterwards), an
/// environment of a few fixed variables, all capabilities dropped, and rlimits set by <c>prlimit</c> (CPU time,
/// address space, processes, file size, open files, no core dumps). When this process is root the sandbox runs
/// as <see cref="SandboxSettings.SandboxUid"/> (through <c>setpriv</c>), because the kernel does not apply the
/// process limit to root. Wall time and output size are enforced here: past either, the sandbox is killed, and
/// with it everything in its PID namespace. Thread-safe; one instance serves any number of concurrent runs.
/// </summary>
public sealed class Sandbox : IDisposable
{
    public const string ProgramDir = "/src", WorkDir = "/work";
    private const string SearchPath = "/usr/local/bin:/usr/bin:/bin";
    private const int StderrTailBytes = 8192;
    private static readonly TimeSpan DrainDeadline = TimeSpan.FromSeconds(2);

    private readonly string bwrap;
    private readonly string? setpriv;
    private readonly bool disableUserns;
    private readonly string root;
    private int folders;

    public SandboxSettings Settings { get; }

    private Sandbox(SandboxSettings settings, string bwrap, string? setpriv, bool disableUserns, string root)
    {
        Settings = settings;
        this.bwrap = bwrap;
        this.setpriv = setpriv;
        this.disableUserns = disableUserns;
        this.root = root;
    }

    /// <summary>
    /// Checks that the sandbox can run here — bwrap and prlimit present, namespaces allowed, every configured
    /// interpreter installed — and runs one trivial program in it.
    /// </summary>
    /// <exception cref="SandboxUnavailableException">What is missing, and how to install it.</exception>
    public static Sandbox Start(SandboxSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Limits.Validate();
        var bwrap = FindExecutable(settings.Bwrap) ?? throw new SandboxUnavailableException(
            $"code judge cannot start: bubblewrap ('{settings.Bwrap}') is not installed or not on PATH; install the Debian package 'bubblewrap' (apt-get install bubblewrap). Programs are never run unsandboxed.");
        if (FindExecutable(settings.Prlimit) is null)
            throw new SandboxUnavailableException($"code judge cannot start: prlimit ('{settings.Prlimit}') is missing; install the Debian package 'util-linux'.");
        string? setpriv = null;
        if (Environment.IsPrivilegedProcess)
        {
            setpriv = FindExecutable("setpriv") ?? throw new SandboxUnavailableException(
                "code judge cannot start: running as root needs setpriv (Debian package 'util-linux') to run programs as an unprivileged user");
        }
        foreach (var (ext, language) in settings.Languages)
            foreach (var command in new[] { language.Run, language.Compile, language.CallRun })
                if (command is { Count: > 0 } && !command[0].StartsWith('{') && FindExecutable(command[0], SearchPath) is null)
                    throw new SandboxUnavailableException($"code judge cannot start: '{command[0]}' (for .{ext} programs) is not installed in {SearchPath}");

        var root = Path.Combine(Path.GetTempPath(), $"kimi-sandbox-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(root);
        // Traversable but not listable: the sandbox user reaches its own folder by name only.
        File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        bool disableUserns = Help(bwrap).Contains("--disable-userns", StringComparison.Ordinal);
        var sandbox = new Sandbox(settings, bwrap, setpriv, disableUserns, root);
        using var folder = sandbox.CreateFolder(new Dictionary<string, string>());
        var probe = sandbox.RunAsync(folder, ["true"], new Dictionary<string, string>(), "", writable: false, TimeSpan.FromSeconds(30), CancellationToken.None)
            .GetAwaiter().GetResult();
        if (!probe.Succeeded)
        {
            sandbox.Dispose();
            throw new SandboxUnavailableException(
                $"code judge cannot start: bubblewrap could not start a sandbox ({probe.Status}, exit {probe.ExitCode}): {probe.StderrTail.Trim()}");
        }
        return sandbox;
    }

    /// <summary>A fresh host folder holding <paramref name="files"/> (name → text), mounted at <c>/src</c>; deleted on dispose.</summary>
    public SandboxFolder CreateFolder(IReadOnlyDictionary<string, string> files)
    {
        var path = Path.Combine(root, Interlocked.Increment(ref folders).ToString());
        Directory.CreateDirectory(path);
        foreach (var (name, text) in files)
        {
            if (name.Contains('/') || name is "." or "..") throw new ArgumentException($"sandbox file name '{name}' must be a plain name");
            var file = Path.Combine(path, name);
            File.WriteAllText(file, text);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        return new SandboxFolder(path);
    }

    /// <summary>
    /// Runs <paramref name="command"/> in the sandbox with <paramref name="stdin"/> as standard input. Never throws
    /// for anything the program does; a failure of the sandbox itself is <see cref="SandboxStatus.SandboxError"/>.
    /// </summary>
    public async Task<SandboxRun> RunAsync(SandboxFolder folder, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment,
        string stdin, bool writable, TimeSpan wallTime, CancellationToken cancellation)
    {
        var limits = Settings.Limits;
        if (writable) File.SetUnixFileMode(folder.HostPath, (UnixFileMode)0b111_111_111);
        else File.SetUnixFileMode(folder.HostPath, (UnixFileMode)0b111_101_101);
        var info = new ProcessStartInfo(setpriv ?? bwrap)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        // Not even bwrap sees this process's environment (it may hold secrets); the program sees only its own.
        info.Environment.Clear();
        info.Environment["PATH"] = SearchPath;
        foreach (var arg in Arguments(folder, command, environment, writable)) info.ArgumentList.Add(arg);

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        try { process.Start(); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new SandboxRun(SandboxStatus.SandboxError, -1, "", $"cannot start {info.FileName}: {e.Message}", clock.Elapsed);
        }

        using var kill = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bool outputExceeded = false;
        var overLimit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stdout = new MemoryStream();
        var stderr = new TailBuffer(StderrTailBytes);
        long stderrBytes = 0;
        var stdoutTask = Pump(process.StandardOutput.BaseStream, chunk =>
        {
            if (stdout.Length + chunk.Length > limits.OutputBytes) { outputExceeded = true; overLimit.TrySetResult(); return false; }
            stdout.Write(chunk.Span);
            return true;
        }, kill.Token);
        var stderrTask = Pump(process.StandardError.BaseStream, chunk =>
        {
            stderr.Append(chunk.Span);
            if ((stderrBytes += chunk.Length) > limits.OutputBytes) { outputExceeded = true; overLimit.TrySetResult(); return false; }
            return true;
        }, kill.Token);
        var stdinTask = Feed(process.StandardInput.BaseStream, stdin);

        var exited = process.WaitForExitAsync(kill.Token);
        bool timedOut = false;
        try
        {
            var winner = await Task.WhenAny(exited, Task.Delay(wallTime, kill.Token), overLimit.Task).ConfigureAwait(false);
            if (winner != exited && !process.HasExited)
            {
                timedOut = !outputExceeded;
                Kill(process);
            }
        }
        catch (OperationCanceledException)
        {
            Kill(process);
        }
        // Killing bwrap kills its PID namespace; give the pipes a bounded time to close.
        using (var drain = new CancellationTokenSource(DrainDeadline))
        {
            try { await process.WaitForExitAsync(drain.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { Kill(process); }
            try { await Task.WhenAll(stdoutTask, stderrTask).WaitAsync(DrainDeadline).ConfigureAwait(false); }
            catch (TimeoutException) { kill.Cancel(); }
        }
        _ = stdinTask;
        var wall = clock.Elapsed;
        cancellation.ThrowIfCancellationRequested();

        int exitCode = process.HasExited ? process.ExitCode : -1;
        var errText = stderr.ToString();
        var outText = Encoding.UTF8.GetString(stdout.GetBuffer(), 0, (int)stdout.Length);
        var status = Classify(exitCode, errText, timedOut, outputExceeded);
        return new SandboxRun(status, exitCode, outText, errText, wall);
    }

    private SandboxStatus Classify(int exitCode, string stderr, bool timedOut, bool outputExceeded)
    {
        if (outputExceeded) return SandboxStatus.OutputLimit;
        bool Matches(Func<LanguageSpec, IReadOnlyList<string>?> patterns) =>
            Settings.Languages.Values.SelectMany(l => patterns(l) ?? []).Any(p => stderr.Contains(p, StringComparison.Ordinal));
        if (timedOut) return Matches(l => l.ProcessErrorPatterns) ? SandboxStatus.ProcessLimit : SandboxStatus.WallTimeLimit;
        if (exitCode == 0) return SandboxStatus.Exited;
        if (stderr.StartsWith("bwrap:", StringComparison.Ordinal) || stderr.StartsWith("setpriv:", StringComparison.Ordinal)
            || stderr.StartsWith("prlimit:", StringComparison.Ordinal)) return SandboxStatus.SandboxError;
        if (exitCode == 128 + 24) return SandboxStatus.CpuTimeLimit; // SIGXCPU: the soft CPU limit
        if (Matches(l => l.MemoryErrorPatterns)) return SandboxStatus.MemoryLimit;
        if (Matches(l => l.ProcessErrorPatterns)) return SandboxStatus.ProcessLimit;
        return exitCode is > 128 and <= 128 + 64 ? SandboxStatus.Signaled : SandboxStatus.Exited;
    }

    private IEnumerable<string> Arguments(SandboxFolder folder, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, bool writable)
    {
        var limits = Settings.Limits;
        var args = new List<string>();
        if (setpriv is not null)
            args.AddRange([$"--reuid={Settings.SandboxUid}", $"--regid={Settings.SandboxUid}", "--clear-groups", "--", bwrap]);
        args.AddRange(["--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]);
        if (disableUserns) args.Add("--disable-userns");
        var env = new Dictionary<string, string>
        {
            ["PATH"] = SearchPath, ["HOME"] = WorkDir, ["TMPDIR"] = WorkDir, ["LANG"] = "C.UTF-8", ["LC_ALL"] = "C.UTF-8",
        };
        foreach (var (k, v) in environment) env[k] = v;
        foreach (var (k, v) in env) args.AddRange(["--setenv", k, v]);
        foreach (var path in Settings.ReadOnlyPaths.Concat(["/bin", "/lib", "/lib64", "/sbin"]).Distinct())
        {
            var link = new FileInfo(path).LinkTarget;
            if (link is not null) args.AddRange(["--symlink", link, path]);
            else if (Directory.Exists(path) || File.Exists(path)) args.AddRange(["--ro-bind", path, path]);
        }
        args.AddRange(["--proc", "/proc", "--dev", "/dev", "--size", limits.WorkBytes.ToString(), "--tmpfs", WorkDir]);
        args.AddRange([writable ? "--bind" : "--ro-bind", folder.HostPath, ProgramDir]);
        args.AddRange(["--remount-ro", "/", "--chdir", WorkDir, "--", Settings.Prlimit,
            $"--as={limits.MemoryBytes}", $"--cpu={limits.CpuSeconds}:{limits.CpuSeconds + 1}", $"--nproc={limits.Processes}",
            $"--fsize={limits.FileBytes}", $"--nofile={limits.OpenFiles}", "--core=0", "--"]);
        args.AddRange(command);
        return args;
    }

    private static async Task<bool> Pump(Stream stream, Func<ReadOnlyMemory<byte>, bool> sink, CancellationToken cancellation)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                int n = await stream.ReadAsync(buffer, cancellation).ConfigureAwait(false);
                if (n == 0) return false;
                if (!sink(buffer.AsMemory(0, n))) return true;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            return false;
        }
    }

    private static async Task Feed(Stream stdin, string text)
    {
        try
        {
            await stdin.WriteAsync(Encoding.UTF8.GetBytes(text)).ConfigureAwait(false);
            await stdin.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The program closed its input or died; what it did with it is its verdict.
        }
        finally
        {
            try { stdin.Close(); } catch (IOException) { }
        }
    }

    private static void Kill(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    private static string Help(string bwrap)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(bwrap, "--help") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(10_000)) { Kill(p); return ""; }
            return text.Result;
        }
        catch (System.ComponentModel.Win32Exception) { return ""; }
    }

    private static string? FindExecutable(string name, string? path = null)
    {
        if (name.Contains('/')) return File.Exists(name) ? name : null;
        foreach (var dir in (path ?? Environment.GetEnvironmentVariable("PATH") ?? SearchPath).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>The last bytes written, for the tail of a program's standard error.</summary>
    private sealed class TailBuffer(int capacity)
    {
        private readonly Queue<byte> bytes = new();
        private readonly object gate = new();

        public void Append(ReadOnlySpan<byte> chunk)
        {
            lock (gate)
            {
                if (chunk.Length > capacity) chunk = chunk[^capacity..];
                foreach (var b in chunk) bytes.Enqueue(b);
                while (bytes.Count > capacity) bytes.Dequeue();
            }
        }

        public override string ToString()
        {
            lock (gate) return Encoding.UTF8.GetString(bytes.ToArray());
        }
    }
}

/// <summary>A host folder for one program, mounted at <see cref="Sandbox.ProgramDir"/>; deleted on dispose.</summary>
public sealed class SandboxFolder(string hostPath) : IDisposable
{
    public string HostPath { get; } = hostPath;

    public void Dispose()
    {
        try { Directory.Delete(HostPath, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
