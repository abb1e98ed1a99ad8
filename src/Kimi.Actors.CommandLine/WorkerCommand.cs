using System.CommandLine;
using Akka.Actor;
using Kimi.Actors.Cluster.Workers;

using static Kimi.Actors.Cluster.Workers.WorkerProcessArguments;

namespace Kimi.Actors.CommandLine;

/// <summary>
/// <c>kimi worker</c>: one GPU worker process, started by a node's supervisor (<see cref="WorkerProcessLauncher"/> builds
/// this command line with <see cref="WorkerProcessArguments.ToArgs"/>); parsed here, run by <see cref="WorkerProcess"/>.
/// </summary>
public static class WorkerCommand
{
    public static Command Create() => Create(WorkerProcess.Run);

    /// <summary>The command with <paramref name="run"/> in place of <see cref="WorkerProcess.Run(WorkerProcessArguments, TextWriter)"/>.</summary>
    public static Command Create(Func<WorkerProcessArguments, TextWriter, int> run)
    {
        var parent = CliOptions.Text(ParentOption, "AKKA-PATH", "full actor path, with address, of the supervising actor (death-watched)",
            ParentProblem).Required();
        var workerId = CliOptions.Id(WorkerIdOption, "ID", "the supervised worker's id (names its process in logs and weight-store paths)",
            CommandLineIds.MaxWorkerIdLength).Required();
        var incarnation = CliOptions.Int(IncarnationOption, "N", "which start of that worker this is", min: 1, defaultValue: 1);
        var device = CliOptions.Device("cpu, cuda or cuda:N", defaultValue: "cpu", allowAuto: false);
        var threads = CliOptions.Int(ThreadsOption, "N", "CPU threads for TorchSharp (0: its default)", min: 0, defaultValue: 1);
        var config = CliOptions.Text(ConfigOption, "FILE", "HOCON with the worker's Akka settings and its kimi.workers / kimi.faults sections");
        var command = new Command(CommandName,
            "a GPU worker process, started by a node's supervisor; exits when its parent goes away or its standard input closes")
        {
            parent, workerId, incarnation, device, threads, config,
        };
        command.SetAction(r => run(
            new WorkerProcessArguments(r.GetValue(parent)!, r.GetValue(workerId)!, r.GetValue(device)!, r.GetValue(threads),
                r.GetValue(incarnation), r.GetValue(config)),
            r.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>The parent must be a remote actor path: the worker finds it across processes and death-watches it.</summary>
    private static string? ParentProblem(string path) =>
        ActorPath.TryParse(path, out var parsed) && parsed.Address.HasGlobalScope ? null
            : "expected a full actor path with an address, e.g. akka.tcp://kimi@127.0.0.1:2551/user/worker";
}
