using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.WeightSync;

namespace Kimi.Actors.Cluster.Workers;

/// <summary>Where a GPU worker runs: its own child process (default) or an actor in the node's process.</summary>
public enum WorkerMode { Process, InProcess }

/// <summary>Exponential back-off between restarts of a failed worker.</summary>
public sealed record BackoffSettings(TimeSpan Min, TimeSpan Max, double RandomFactor)
{
    /// <summary>The wait before restart number <paramref name="failures"/> (1-based) of the current budget window.</summary>
    public TimeSpan Delay(int failures, Random random)
    {
        double ms = Math.Min(Max.TotalMilliseconds, Min.TotalMilliseconds * Math.Pow(2, Math.Max(0, failures - 1)));
        return TimeSpan.FromMilliseconds(ms * (1 + RandomFactor * random.NextDouble()));
    }
}

/// <summary>At most <see cref="MaxRestarts"/> restarts within <see cref="Within"/>; beyond that the worker is given up.</summary>
public sealed record RestartBudget(int MaxRestarts, TimeSpan Within);

/// <summary>The <c>kimi.workers</c> and <c>kimi.faults</c> sections (hocon/workers.conf documents every key).</summary>
public sealed record WorkerSettings
{
    public const string ConfigPath = "kimi.workers";
    public const string ComputeDispatcherId = ConfigPath + ".compute-dispatcher";

    public WorkerMode Mode { get; init; } = WorkerMode.Process;
    /// <summary>kimi-worker.dll for worker processes; null: found next to the entry assembly or in the base folder.</summary>
    public string? WorkerDll { get; init; }
    /// <summary>The dotnet host; null: this process's host when it is dotnet, else DOTNET_HOST_PATH, else PATH.</summary>
    public string? Dotnet { get; init; }
    public int Threads { get; init; } = 1;
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public long MaximumFrameSize { get; init; } = 32L << 20;
    public BackoffSettings Backoff { get; init; } = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), 0.2);
    public RestartBudget RestartBudget { get; init; } = new(5, TimeSpan.FromMinutes(5));
    public IReadOnlyList<string> Devices { get; init; } = ["cpu"];
    public int SlotsPerDevice { get; init; } = 2;
    public WeightStoreSettings Weights { get; init; } = new(WeightTransport.SharedFile);
    public FaultPlan Faults { get; init; } = FaultPlan.None;
    /// <summary>
    /// Where the trainer's worker writes durable checkpoints (<c>kimi.persistence.checkpoint-dir</c>, made absolute so a
    /// worker process agrees with its node) and how many per run it keeps (<c>kimi.persistence.keep-checkpoints</c>).
    /// </summary>
    public string CheckpointDirectory { get; init; } = Path.GetFullPath("./data/checkpoints");
    public int KeepCheckpoints { get; init; } = 3;

    public CheckpointStore Checkpoints() => new(CheckpointDirectory, KeepCheckpoints);

    private static int KeepCheckpointsOf(Config c)
    {
        int keep = c.GetInt("kimi.persistence.keep-checkpoints", 3);
        return keep >= 1 ? keep : throw new ArgumentException($"kimi.persistence.keep-checkpoints = {keep}: expected an integer >= 1");
    }

    /// <summary>hocon/workers.conf as embedded in this assembly: the fallback for every key.</summary>
    public static Config Defaults { get; } = ConfigurationFactory.ParseString(KimiConfigLoader.ReadEmbedded("hocon/workers.conf"));


    /// <summary>
    /// Reads <c>kimi.workers</c> and <c>kimi.faults</c> from <paramref name="config"/>, falling back to
    /// <see cref="Defaults"/>. A bad value throws <see cref="ArgumentException"/> naming the key, the value and what is allowed.
    /// </summary>
    public static WorkerSettings FromConfig(Config config)
    {
        var c = config.WithFallback(Defaults);
        string Key(string k) => $"{ConfigPath}.{k}";
        string? Optional(string k) => c.GetString(Key(k), "") is { Length: > 0 } s ? s : null;
        TimeSpan Duration(string k, TimeSpan min)
        {
            TimeSpan v;
            try { v = c.GetTimeSpan(Key(k)); }
            catch (Exception e) when (e is FormatException or ConfigurationException)
            {
                throw new ArgumentException($"{Key(k)} = {c.GetString(Key(k))}: expected a duration, e.g. 500ms or 30s", e);
            }
            return v >= min ? v : throw new ArgumentException($"{Key(k)} = {c.GetString(Key(k))}: expected at least {min.TotalMilliseconds}ms");
        }
        int Int(string k, int min)
        {
            var text = c.GetString(Key(k));
            return int.TryParse(text, out int v) && v >= min ? v : throw new ArgumentException($"{Key(k)} = {text}: expected an integer >= {min}");
        }

        var mode = c.GetString(Key("mode")) switch
        {
            "process" => WorkerMode.Process,
            "in-process" => WorkerMode.InProcess,
            var other => throw new ArgumentException($"{Key("mode")} = {other}: expected process or in-process"),
        };
        var backoff = new BackoffSettings(Duration("backoff.min", TimeSpan.Zero), Duration("backoff.max", TimeSpan.Zero),
            double.TryParse(c.GetString(Key("backoff.random-factor")), System.Globalization.CultureInfo.InvariantCulture, out double rf) && rf is >= 0 and <= 1
                ? rf : throw new ArgumentException($"{Key("backoff.random-factor")} = {c.GetString(Key("backoff.random-factor"))}: expected a number in [0, 1]"));
        if (backoff.Max < backoff.Min)
            throw new ArgumentException($"{Key("backoff.max")} = {c.GetString(Key("backoff.max"))}: must be at least backoff.min ({c.GetString(Key("backoff.min"))})");
        var devices = c.GetStringList(Key("devices"));
        if (devices.Count == 0) throw new ArgumentException($"{Key("devices")} = []: expected at least one device (cpu, cuda or cuda:N)");
        foreach (var d in devices)
            if (!DevicePool.IsDeviceName(d)) throw new ArgumentException($"{Key("devices")}: '{d}' is not a device (cpu, cuda or cuda:N)");
        long frame = c.GetByteSize(Key("maximum-frame-size")) ?? 0;
        if (frame < 32_000) throw new ArgumentException($"{Key("maximum-frame-size")} = {c.GetString(Key("maximum-frame-size"))}: expected at least 32000b");

        var http = new HttpWeightSettings(c.GetString(Key("weights.http.host"), "127.0.0.1"), Int("weights.http.port", 0),
            Optional("weights.http.advertise-host"), Optional("weights.http.advertise-url"),
            new WeightPullOptions(Duration("weights.http.deadline", TimeSpan.FromMilliseconds(1)), Duration("weights.http.stall-timeout", TimeSpan.FromMilliseconds(1)),
                Duration("weights.http.retry-delay", TimeSpan.Zero)));
        if (http.Port > 65535) throw new ArgumentException($"{Key("weights.http.port")} = {http.Port}: expected 0 (any free port) to 65535");
        var weights = new WeightStoreSettings(WeightStoreSettings.ParseTransport(c.GetString(Key("weights.transport"))), Optional("weights.folder"), http);
        if (mode == WorkerMode.Process && !weights.CrossesProcesses)
            throw new ArgumentException($"{Key("weights.transport")} = memory: worker processes cannot read the node's memory; use shm with mode = process");
        if (weights.Transport == WeightTransport.Folder && weights.Folder is null)
            throw new ArgumentException($"{Key("weights.transport")} = folder needs {Key("weights.folder")}: a folder every node reads and writes (a shared volume)");

        return new WorkerSettings
        {
            Mode = mode,
            WorkerDll = Optional("worker-dll"),
            Dotnet = Optional("dotnet"),
            Threads = Int("threads", 0),
            StartTimeout = Duration("start-timeout", TimeSpan.FromMilliseconds(1)),
            MaximumFrameSize = frame,
            Backoff = backoff,
            RestartBudget = new RestartBudget(Int("restart-budget.max-restarts", 0), Duration("restart-budget.within", TimeSpan.FromMilliseconds(1))),
            Devices = devices.ToList(),
            SlotsPerDevice = Int("slots-per-device", 1),
            Weights = weights,
            Faults = FaultPlan.FromConfig(c),
            CheckpointDirectory = Path.GetFullPath(c.GetString("kimi.persistence.checkpoint-dir", "./data/checkpoints")),
            KeepCheckpoints = KeepCheckpointsOf(c),
        };
    }
}
