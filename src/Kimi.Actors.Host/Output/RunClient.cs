using Akka.Actor;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Host.Output;

/// <summary>
/// How a <see cref="RunClient"/> reaches its run: in the same ActorSystem (the one-node cluster of <c>kimi train</c>), or
/// through a cluster client from outside the cluster (<c>kimi train --cluster</c>).
/// </summary>
public sealed record RunLink(Action<IActorRef> Follow, Action<object, IActorRef> Send)
{
    /// <summary>The Run shard region of this process's own node: subscribe to the entity, tell it the commands.</summary>
    public static RunLink Local(IActorRef runs, RunId runId) =>
        new(self => runs.Tell(new SubscribeRun(runId, self)), (message, self) => runs.Tell(message, self));

    /// <summary>A run gateway of a cluster this process is not a member of: watch the run (a renewed lease), send through the client.</summary>
    public static RunLink Remote(ControlClient client, RunId runId) =>
        new(self => client.Watch(runId, self), (message, self) => client.Send((Cluster.Protocol.IKimiMessage)message, self));
}

/// <summary>
/// The host's side of a cluster run: follows the Run entity, sends it the start command (or hyperparameter changes,
/// then continue), turns its progress reports into the same observer calls the local engine makes, copies reported
/// checkpoints into the run folder, and completes when the run finishes, fails or is refused (or, through a cluster
/// client, when the cluster stops answering). A failure of its own (an observer or a copy that throws) fails the
/// outcome and stops it: a restart would subscribe and send the commands again.
/// </summary>
public sealed class RunClient : ReceiveActor
{
    /// <param name="accepted">Set from the first <see cref="RunAccepted"/>: where this invocation started (a session that starts
    /// again after a failure reports its own, later start).</param>
    public RunClient(RunLink link, IReadOnlyList<object> commands, ITrainingObserver observer, RunFolder folder,
        int sftSteps, TaskCompletionSource<object> outcome, TaskCompletionSource<RunAccepted>? accepted = null)
    {
        int targetIterations = 0, rlStarted = 0, silentWatches = 0;
        bool sftStarted = false;
        void Guarded(Action action)
        {
            try { action(); }
            catch (Exception e)
            {
                outcome.TrySetException(e);
                Context.Stop(Self);
            }
        }

        Receive<RunAccepted>(m =>
        {
            if (accepted?.TrySetResult(m) != false) targetIterations = m.TargetIterations - m.StartIteration;
        });
        Receive<RunReported>(m => Guarded(() =>
        {
            silentWatches = 0;
            switch (m.Report)
            {
                case SftStepReported s:
                    if (!sftStarted) { sftStarted = true; observer.OnPhase("sft", sftSteps); }
                    observer.OnSftStep(s.Step);
                    break;
                case EvaluationReported e: observer.OnEvaluation(LocalRunEngine.LabelText(e.Label), e.Iteration, e.Evaluation); break;
                case IterationReported i:
                    if (rlStarted++ == 0) observer.OnPhase("rl", targetIterations);
                    observer.OnIteration(i.Metrics);
                    break;
                case CheckpointReported c:
                    var to = folder.File(Path.Combine("checkpoints", c.Label == CheckpointLabel.Sft ? "sft" : "final"));
                    // A cluster on other machines keeps its checkpoints there: say where instead of failing the copy.
                    if (Directory.Exists(c.Checkpoint.Directory)) CopyCheckpoint(c.Checkpoint.Directory, to);
                    else observer.OnWarning($"checkpoint v{c.WeightVersion} is on the trainer's node at {c.Checkpoint.Directory} (not on this machine); not copied");
                    break;
                case RunWarning w: observer.OnWarning(w.Message); break;
                case WorkerRestarted r: observer.OnWarning($"{r.Worker} restarted (incarnation {r.Incarnation}): {r.Reason}"); break;
                case RunRolledBack b:
                    // The iterations after the intact checkpoint run again.
                    targetIterations += b.FromIteration - b.ToIteration;
                    observer.OnWarning(b.Message);
                    break;
                case RunFinished or RunFailed: outcome.TrySetResult(m.Report); break;
            }
        }));
        Receive<RunRejected>(m => outcome.TrySetResult(m));
        // A cluster client fails over to another node when the one it talked to dies, which takes longer than a watch's
        // silence allows: follow again, and give up only when the cluster has stayed silent through several watches.
        Receive<ControlClient.WatchLost>(m =>
        {
            if (++silentWatches >= MaxSilentWatches) outcome.TrySetResult(m);
            else link.Follow(Self);
        });
        // One command at a time: each hyperparameter change is accepted before the next is sent, so a refused one stops
        // the client before the run is continued.
        var pending = new Queue<object>(commands);
        void SendNext()
        {
            if (pending.TryDequeue(out var command)) link.Send(command, Self);
        }
        Receive<HyperparameterAccepted>(_ => SendNext());

        link.Follow(Self);
        SendNext();
    }

    /// <summary>Consecutive watches that heard nothing before the cluster counts as gone (each lasts the client's watch silence).</summary>
    private const int MaxSilentWatches = 3;

    private static void CopyCheckpoint(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
    }

    public static Props Props(RunLink link, IReadOnlyList<object> commands, ITrainingObserver observer, RunFolder folder,
        int sftSteps, TaskCompletionSource<object> outcome, TaskCompletionSource<RunAccepted>? accepted = null) =>
        Akka.Actor.Props.Create(() => new RunClient(link, commands, observer, folder, sftSteps, outcome, accepted));
}
