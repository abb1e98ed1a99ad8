using Akka.Actor;
using Akka.Event;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Tests.Run;

/// <summary>
/// When a run ends its worker processes go away in order: no error is logged on the node, neither while it ends nor
/// in the seconds after (when a killed process's dropped connection would be reported as an association error).
/// </summary>
[Collection("run entity")]
public class QuietShutdownTests
{
    private sealed class ErrorLog : ReceiveActor
    {
        public ErrorLog(List<string> errors) => Receive<Error>(e => { lock (errors) errors.Add($"{e.LogSource}: {e.Message}"); });
    }

    [Fact]
    public async Task A_finished_run_lets_its_worker_processes_go_without_an_error_on_the_node()
    {
        using var db = new TempDatabase();
        await using var node = await RunNode.StartAsync(db, workerMode: "process");
        var errors = new List<string>();
        node.System.EventStream.Subscribe(node.System.ActorOf(Props.Create(() => new ErrorLog(errors))), typeof(Error));
        var runId = RunId.Parse("run-quiet");
        var (recorder, seen, done) = ProgressRecorders.Start(node.System);
        node.Node.Runs.Tell(new SubscribeRun(runId, recorder), ActorRefs.NoSender);
        node.Node.Runs.Tell(new StartRun(runId, RunNode.RunConfig(iterations: 1)), recorder);
        Assert.IsType<RunFinished>(await done.Task.WaitAsync(TimeSpan.FromSeconds(120)));
        // The node stays up while its workers exit (a real host reads prompt statistics from the journal meanwhile).
        await Task.Delay(TimeSpan.FromSeconds(4));
        lock (errors) Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
