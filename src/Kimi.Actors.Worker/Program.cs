using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.CommandLine;

// kimi-worker worker --parent AKKA-PATH --worker-id ID [--incarnation N] [--device D] [--threads N] [--config FILE]
// (the same `worker` command `kimi worker` runs; the launcher writes the command line with WorkerProcessArguments.ToArgs)
return new CliProgram("kimi-worker", "a Kimi GPU worker process, started by a node's supervisor", [WorkerCommand.Create])
{
    IsUserError = e => e is ConfigException or UnauthorizedAccessException,
}.Run(args, Console.Out, Console.Error);
