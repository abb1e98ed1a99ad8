using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;

namespace Kimi.Actors.Cluster.Workers;

/// <summary>
/// A running <c>kimi-worker</c> child process: its standard input is held open (closing it tells the worker its
/// parent is gone), its output goes to a log callback, and the last lines of its standard error are kept because a
/// native abort (<c>terminate called ...</c>) says why only there.
/// </summary>
public sealed class WorkerProcessHandle : IDisposable
{
    private const int TailLines = 20;
    private readonly Process _process;
    private readonly string _configFile;
    private readonly Queue<string> _tail = new();

    internal WorkerProcessHandle(Process process, string configFile, Action<string> log)
    {
        _process = process;
        _configFile = configFile;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) log(line); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            log(line);
            lock (_tail)
            {
                _tail.Enqueue(line);
                if (_tail.Count > TailLines) _tail.Dequeue();
            }
        };
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the worker wrote to standard error, joined; empty when none.</summary>
    public string StandardErrorTail
    {
        get { lock (_tail) return string.Join(" | ", _tail); }
    }

    /// <summary>What the death of the parent's process does to the pipe: the worker reads end of input and exits.</summary>
    internal void CloseStandardInput() => _process.StandardInput.Close();

    /// <summary>
    /// Ends a healthy worker in order, without waiting here: its standard input is closed, so it terminates its own
    /// ActorSystem (its remoting says goodbye instead of dropping the connection, which the node would log as an error)
    /// and exits; if it has not exited after <paramref name="grace"/>, it is killed.
    /// </summary>
    public void StopGracefully(TimeSpan grace)
    {
        try { CloseStandardInput(); }
        catch (Exception e) when (e is IOException or InvalidOperationException) { } // already gone
        Task.Run(async () =>
        {
            try { await _process.WaitForExitAsync().WaitAsync(grace); }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException) { }
            Dispose();
        });
    }

    /// <summary>Kills the process (SIGKILL) if it still runs, and removes its configuration file.</summary>
    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // exited meanwhile, or disposed by an earlier call
        catch (System.ComponentModel.Win32Exception) { }
        _process.Dispose();
        try { File.Delete(_configFile); } catch (IOException) { }
    }
}

/// <summary>Starts <c>dotnet kimi-worker.dll ...</c> child processes.</summary>
public static class WorkerProcessLauncher
{
    public const string WorkerDll = "kimi-worker.dll";

    /// <summary>
    /// kimi-worker.dll: <paramref name="configured"/> when given, else next to the entry assembly, else in the
    /// application's base folder (every project that references Kimi.Actors.Worker has it there).
    /// </summary>
    public static string LocateWorkerDll(string? configured)
    {
        if (!string.IsNullOrEmpty(configured))
            return File.Exists(configured) ? Path.GetFullPath(configured)
                : throw new FileNotFoundException($"kimi.workers.worker-dll = {configured}: no such file");
        var folders = new[] { Path.GetDirectoryName(System.Reflection.Assembly.GetEntryAssembly()?.Location), AppContext.BaseDirectory };
        foreach (var folder in folders)
            if (!string.IsNullOrEmpty(folder) && File.Exists(Path.Combine(folder, WorkerDll))) return Path.Combine(folder, WorkerDll);
        throw new FileNotFoundException(
            $"{WorkerDll} not found next to the entry assembly or in {AppContext.BaseDirectory}; set kimi.workers.worker-dll (or use kimi.workers.mode = in-process)");
    }

    /// <summary>The dotnet host: <paramref name="configured"/>, this process's host when it is dotnet, DOTNET_HOST_PATH, or dotnet on PATH.</summary>
    public static string LocateDotnet(string? configured)
    {
        if (!string.IsNullOrEmpty(configured)) return configured;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }

    /// <summary>
    /// The worker's configuration file: the caller's Akka configuration, the weight transport (with the node's weight
    /// server for http) and frame size the worker must share with its parent, and the fault plan.
    /// </summary>
    public static string ConfigText(Config akkaConfig, WorkerSettings settings)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Written by the supervising node for one `kimi-worker` process; removed when the process ends.");
        sb.AppendLine($"kimi.workers.maximum-frame-size = {settings.MaximumFrameSize}b");
        sb.AppendLine(settings.Weights.ToHocon(null));
        sb.AppendLine($"kimi.persistence.checkpoint-dir = {JsonSerializer.Serialize(settings.CheckpointDirectory)}");
        sb.AppendLine($"kimi.persistence.keep-checkpoints = {settings.KeepCheckpoints}");
        sb.AppendLine(settings.Faults.ToHocon());
        // Rendered by HoconText, not Config.ToString: Akka writes an empty list as nothing ("allowed-types : "), which
        // re-parses by swallowing the keys after it, and so lost the serialization bindings: the worker then wrote its
        // replies as JSON, and every run id in them (a struct with a private constructor) came back empty.
        sb.Append(HoconText.Render(akkaConfig.Root.GetObject()));
        return sb.ToString();
    }

    /// <summary>Starts a worker process; <paramref name="onExit"/> runs (on a pool thread) when it ends, however it ends.</summary>
    public static WorkerProcessHandle Start(WorkerProcessArguments args, Config akkaConfig, WorkerSettings settings,
        Action<string> log, Action<int> onExit)
    {
        var configFile = Path.Combine(Path.GetTempPath(), $"kimi-worker-{Environment.ProcessId}-{Guid.NewGuid():N}.conf");
        File.WriteAllText(configFile, ConfigText(akkaConfig, settings));
        var info = new ProcessStartInfo(LocateDotnet(settings.Dotnet))
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.ArgumentList.Add(LocateWorkerDll(settings.WorkerDll));
        foreach (var a in (args with { ConfigFile = configFile }).ToArgs()) info.ArgumentList.Add(a);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var handle = new WorkerProcessHandle(process, configFile, log);
        process.Exited += (_, _) =>
        {
            int code;
            try { code = process.ExitCode; }
            catch (InvalidOperationException) { code = -1; } // disposed by a kill from our side
            onExit(code);
        };
        try { process.Start(); }
        catch
        {
            handle.Dispose();
            throw;
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return handle;
    }
}
