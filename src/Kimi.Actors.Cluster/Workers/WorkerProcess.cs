using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Model;

namespace Kimi.Actors.Cluster.Workers;

/// <summary>
/// The command line of <c>kimi-worker worker</c>: the launcher builds it with <see cref="ToArgs"/>; the Host's <c>worker</c>
/// command parses it with the same option names.
/// </summary>
/// <param name="Parent">Full actor path (with address) of the supervising actor: it gets <c>WorkerReady</c> and is death-watched.</param>
/// <param name="ConfigFile">HOCON with the worker's Akka configuration and its kimi.workers / kimi.faults sections.</param>
public sealed record WorkerProcessArguments(string Parent, string WorkerId, string Device = "cpu", int Threads = 1, int Incarnation = 1,
    string? ConfigFile = null)
{
    public const string CommandName = "worker";
    public const string ParentOption = "--parent", WorkerIdOption = "--worker-id", IncarnationOption = "--incarnation",
        DeviceOption = "--device", ThreadsOption = "--threads", ConfigOption = "--config";

    public IReadOnlyList<string> ToArgs()
    {
        var args = new List<string>
        {
            CommandName, ParentOption, Parent, WorkerIdOption, WorkerId, IncarnationOption, Incarnation.ToString(CultureInfo.InvariantCulture),
            DeviceOption, Device, ThreadsOption, Threads.ToString(CultureInfo.InvariantCulture),
        };
        if (ConfigFile is not null) args.AddRange([ConfigOption, ConfigFile]);
        return args;
    }
}

/// <summary>
/// The <c>kimi-worker worker</c> process: an ActorSystem with remoting on 127.0.0.1 (a free port) holding one
/// <see cref="GpuWorkerActor"/> that reports <c>WorkerReady</c> to its parent. It exits when the parent's actor or
/// system goes away (death watch), when standard input closes (the parent process died, however abruptly), or when
/// the worker fails: a worker process is never restarted in place, its supervisor starts a fresh one.
/// </summary>
public static class WorkerProcess
{
    /// <summary>Exit codes of the worker itself; a bad command line or configuration file exits 2 as every kimi user error does.</summary>
    public const int ExitParentGone = 0, ExitWorkerFailed = 3, ExitParentUnreachable = 4;

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

    /// <summary>Entry point of <c>kimi-worker worker</c>: reads <see cref="WorkerProcessArguments.ConfigFile"/>, runs, returns the exit code.</summary>
    /// <exception cref="ConfigException">The configuration file cannot be read, does not parse or has a bad value; nothing started.</exception>
    public static int Run(WorkerProcessArguments args, TextWriter stderr)
    {
        Config fileConfig;
        WorkerSettings settings;
        try
        {
            fileConfig = args.ConfigFile is null ? ConfigurationFactory.Empty : ConfigurationFactory.ParseString(File.ReadAllText(args.ConfigFile));
            settings = WorkerSettings.FromConfig(fileConfig);
        }
        catch (Exception e) when (e is ArgumentException or IOException or ConfigurationException or UnauthorizedAccessException)
        {
            throw new ConfigException($"worker: {WorkerProcessArguments.ConfigOption} {args.ConfigFile}: {e.Message}");
        }
        return Run(args, Overlay(settings.MaximumFrameSize).WithFallback(fileConfig), settings, stderr);
    }

    /// <summary>Runs the worker with an explicit Akka configuration until it exits; returns the exit code.</summary>
    public static int Run(WorkerProcessArguments args, Config akkaConfig, WorkerSettings settings, TextWriter stderr)
    {
        TorchRuntime.SetThreads(args.Threads);
        var exit = new TaskCompletionSource<(int Code, string Reason)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var system = ActorSystem.Create("kimi-worker", akkaConfig);
        // A worker whose replies the node cannot read in full must not start: Akka's fallback (JSON) would write them
        // without complaint and drop every field without a public setter (run ids among them).
        var bound = system.Serialization.FindSerializerForType(typeof(Protocol.IKimiMessage));
        if (bound is not Akka.Serialization.HyperionSerializer)
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(2));
            throw new ConfigException($"worker: {WorkerProcessArguments.ConfigOption} {args.ConfigFile}: Kimi's messages are bound to " +
                $"{bound.GetType().Name}, not Hyperion (akka.actor.serialization-bindings): the node could not read the worker's replies");
        }
        GpuWorkerActor.EnsureComputeDispatcher(system);
        system.ActorOf(Akka.Actor.Props.Create(() => new WorkerHost(args, settings, exit)), "host");
        WatchStandardInput(exit);

        var (code, reason) = exit.Task.GetAwaiter().GetResult();
        stderr.WriteLine($"kimi worker {args.WorkerId}#{args.Incarnation}: exiting ({code}): {reason}");
        stderr.Flush();
        // An orderly exit (the parent closed our input, or went away) gives remoting time to say goodbye on a loaded
        // machine, so the node logs no dropped association; a failed worker may sit in a long native call: a moment only.
        // The parent unwatched our actors just before it closed our input: 300 ms lets that system message be
        // acknowledged first, so the node's writer has nothing outstanding when the link closes.
        if (code == ExitParentGone) Thread.Sleep(TimeSpan.FromMilliseconds(300));
        system.Terminate().Wait(code == ExitParentGone ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(2));
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
            // At once and on one line (libtorch's messages carry a backtrace): the node names it in the restart reason,
            // which it forms when it sees the actor terminate, before this process has exited.
            Console.Error.WriteLine($"kimi-worker: worker failed: {e.GetType().Name}: {e.Message.Split('\n')[0].Trim()}");
            Console.Error.Flush();
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
