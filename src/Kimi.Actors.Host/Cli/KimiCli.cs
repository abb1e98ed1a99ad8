using System.CommandLine;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Commands;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Tasks;
using Kimi.Actors.Tasks.Images;

namespace Kimi.Actors.Host.Cli;

/// <summary>The <c>kimi</c> command line: its commands, and which errors of the layers below are the user's.</summary>
public static class KimiCli
{
    /// <summary>The commands of <c>kimi</c>; a new one (node, judge, ...) is one factory here.</summary>
    public static IReadOnlyList<Func<Command>> Commands { get; } =
    [
        TrainCommand.Create,
        NodeCommand.Create,
        ChaosCommand.Create,
        EvalCommand.Create,
        JudgeCommand.Create,
        CurateCommand.Create,
        RunsCommand.Create,
        ModelCommand.Create,
        TasksCommand.Create,
        Long2ShortCommand.Create,
        WorkerCommand.Create,
    ];

    public static readonly CliProgram Program = new(
        "kimi",
        "reinforcement learning for language-model policies (Kimi k1.5), on Akka.NET and TorchSharp",
        Commands)
    {
        Notes = """
            Configuration: hocon/kimi.conf, then the node files hocon/{workers,akka,persistence,local-node}.conf (embedded; kimi node:
              cluster-node.conf instead of local-node.conf)
              < --preset NAME < --config FILE (repeatable) < --set key=value (repeatable; a key without kimi. or akka. is under kimi.)
            Exit codes: 0 done, 1 the run failed (resume it), 2 a user error (one line naming what is wrong), 130/143 stopped by
              SIGINT/SIGTERM.
            """,
        IsUserError = IsUserError,
    };

    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null) =>
        Program.Run(args, stdout ?? Console.Out, stderr ?? Console.Error);

    /// <summary>Errors caused by input (arguments, configuration, files), reported without a stack trace.</summary>
    private static bool IsUserError(Exception e) =>
        e is ConfigException or DatabaseException or ClusterStartException or PromptSetException or CheckpointException or SandboxUnavailableException
            or PromptImageException or UnauthorizedAccessException;
}
