using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Kimi.Actors.Model;

namespace Kimi.Actors.Cluster.Workers;

/// <summary>The command line of <c>kimi-worker</c>; the launcher builds it with <see cref="ToArgs"/>, the worker parses it.</summary>
/// <param name="Parent">Full actor path (with address) of the supervising actor: it gets <c>WorkerReady</c> and is death-watched.</param>
/// <param name="ConfigFile">HOCON with the worker's Akka configuration and its kimi.workers / kimi.faults sections.</param>
public sealed record WorkerProcessArguments(string Parent, string WorkerId, string Device = "cpu", int Threads = 1, int Incarnation = 1,
    string? ConfigFile = null)
{
    public const string Usage =
        "kimi-worker --parent AKKA-PATH --worker-id ID [--incarnation N] [--device cpu|cuda:N] [--threads N] [--config FILE]";

    public IReadOnlyList<string> ToArgs()
    {
        var args = new List<string>
        {
            "--parent", Parent, "--worker-id", WorkerId, "--incarnation", Incarnation.ToString(CultureInfo.InvariantCulture),
            "--device", Device, "--threads", Threads.ToString(CultureInfo.InvariantCulture),
        };
        if (ConfigFile is not null) args.AddRange(["--config", ConfigFile]);
        return args;
    }

    /// <summary>Parses the arguments after <c>worker</c>; a bad or missing one throws <see cref="ArgumentException"/>.</summary>
    public static WorkerProcessArguments Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is not ("--parent" or "--worker-id" or "--incarnation" or "--device" or "--threads" or "--config"))
                throw new ArgumentException($"unknown argument '{name}'");
            if (i + 1 >= args.Count) throw new ArgumentException($"{name} needs a value");
            if (!values.TryAdd(name, args[++i])) throw new ArgumentException($"{name} given twice");
        }
        string Required(string name) => values.TryGetValue(name, out var v) && v.Length > 0 ? v : throw new ArgumentException($"{name} is required");
        int Int(string name, int fallback, int min) => !values.TryGetValue(name, out var v) ? fallback
            : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) && x >= min ? x
            : throw new ArgumentException($"{name} {v}: expected an integer >= {min}");
        var device = values.GetValueOrDefault("--device", "cpu");
        if (!DevicePool.IsDeviceName(device)) throw new ArgumentException($"--device {device}: expected cpu, cuda or cuda:N");
        return new WorkerProcessArguments(Required("--parent"), Required("--worker-id"), device, Int("--threads", 1, 0),
            Int("--incarnation", 1, 1), values.GetValueOrDefault("--config"));
    }
}

/// <summary>
/// The <c>kimi-worker</c> process: an ActorSystem with remoting on 127.0.0.1 (a free port) holding one
/// <see cref="GpuWorkerActor"/> that reports <c>WorkerReady</c> to its parent. It exits when the parent's actor or
/// system goes away (death watch), when standard input closes (the parent process died, however abruptly), or when
/// the worker fails: a worker process is never restarted in place, its supervisor starts a fresh one.
/// </summary>
public static class WorkerProcess
{
    public const int ExitParentGone = 0, ExitUsage = 2, ExitWorkerFailed = 3, ExitParentUnreachable = 4;

    /// <summary>
    /// Forced on every worker process, over the caller's Akka configuration: a remote (never cluster) provider on
    /// loopback with a free port, frames large enough for trajectories, and no CLR shutdown hook (exit is immediate).
    /// </summary>
    public static Config Overlay(long maximumFrameSize) => ConfigurationFactory.ParseString($$"""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp {
          hostname = 127.0.0.1
          port = 0
          maximum-frame-size = {{maximumFrameSize}}b
        }
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        """);

    /// <summary>Entry point of <c>kimi-worker</c> (arguments after the command name). Returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stderr)
    {
        WorkerProcessArguments parsed;
        Config fileConfig;
        WorkerSettings settings;
        try
        {
            parsed = WorkerProcessArguments.Parse(args);
            fileConfig = parsed.ConfigFile is null ? ConfigurationFactory.Empty : ConfigurationFactory.ParseString(File.ReadAllText(parsed.ConfigFile));
            settings = WorkerSettings.FromConfig(fileConfig);
        }
        catch (Exception e) when (e is ArgumentException or IOException or ConfigurationException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"kimi-worker: error: {e.Message}\nusage: {WorkerProcessArguments.Usage}");
            return ExitUsage;
        }
        return Run(parsed, Overlay(settings.MaximumFrameSize).WithFallback(fileConfig), settings, stderr);
    }

    /// <summary>Runs the worker with an explicit Akka configuration until it exits; returns the exit code.</summary>
    public static int Run(WorkerProcessArguments args, Config akkaConfig, WorkerSettings settings, TextWriter stderr)
    {
        TorchRuntime.SetThreads(args.Threads);
        var exit = new TaskCompletionSource<(int Code, string Reason)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var system = ActorSystem.Create("kimi-worker", akkaConfig);
        GpuWorkerActor.EnsureComputeDispatcher(system);
        system.ActorOf(Akka.Actor.Props.Create(() => new WorkerHost(args, settings, exit)), "host");
        WatchStandardInput(exit);

        var (code, reason) = exit.Task.GetAwaiter().GetResult();
        stderr.WriteLine($"kimi-worker {args.WorkerId}#{args.Incarnation}: exiting ({code}): {reason}");
        stderr.Flush();
        // The compute thread may be inside a long native call; do not wait for it beyond a moment.
        system.Terminate().Wait(TimeSpan.FromSeconds(2));
        return code;
    }

    /// <summary>The parent keeps our stdin open and never writes; end of input means its process is gone.</summary>
    private static void WatchStandardInput(TaskCompletionSource<(int, string)> exit)
    {
        var thread = new Thread(() =>
        {
            using var input = Console.OpenStandardInput();
            var buffer = new byte[256];
            try { while (input.Read(buffer, 0, buffer.Length) > 0) { } }
            catch (IOException) { }
            exit.TrySetResult((ExitParentGone, "standard input closed (parent process gone)"));
        }) { IsBackground = true, Name = "kimi-worker-stdin" };
        thread.Start();
    }

    /// <summary>Finds and watches the parent, then runs the worker as its child; any end of either ends the process.</summary>
    private sealed class WorkerHost : ReceiveActor
    {
        private sealed record ParentFound(IActorRef Parent);

        private readonly WorkerProcessArguments _args;
        private readonly WorkerSettings _settings;
        private readonly TaskCompletionSource<(int, string)> _exit;
        private IActorRef? _parent;
        private string? _failure;

        public WorkerHost(WorkerProcessArguments args, WorkerSettings settings, TaskCompletionSource<(int, string)> exit)
        {
            _args = args;
            _settings = settings;
            _exit = exit;
            Receive<ParentFound>(m => StartWorker(m.Parent));
            Receive<Status.Failure>(f => _exit.TrySetResult((ExitParentUnreachable, $"parent {_args.Parent} not reachable: {f.Cause.Message}")));
            Receive<Terminated>(t =>
            {
                if (t.ActorRef.Equals(_parent)) _exit.TrySetResult((ExitParentGone, $"parent {_args.Parent} terminated"));
                else _exit.TrySetResult((ExitWorkerFailed, "worker failed: " + (_failure ?? "stopped")));
            });
        }

        protected override void PreStart() =>
            Context.ActorSelection(_args.Parent).ResolveOne(TimeSpan.FromSeconds(10))
                .PipeTo(Self, success: r => new ParentFound(r));

        // A failed worker is never restarted in this process: its CUDA context may be broken. Stop it and exit.
        protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
        {
            _failure = $"{e.GetType().Name}: {e.Message}";
            Context.GetLogger().Error(e, "worker {0}#{1} failed", _args.WorkerId, _args.Incarnation);
            return Directive.Stop;
        });

        private void StartWorker(IActorRef parent)
        {
            _parent = parent;
            Context.Watch(parent);
            var options = new GpuWorkerOptions(_args.WorkerId, _args.Device, _args.Incarnation, OwnsProcess: true);
            Context.Watch(Context.ActorOf(GpuWorkerActor.Props(options, _settings.Weights.Create(), _settings.Checkpoints(), _settings.Faults, readyTo: parent), "worker"));
        }
    }
}
