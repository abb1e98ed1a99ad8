using Akka.Actor;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Host.Output;

/// <summary>
/// The host's side of a cluster run: subscribes to the Run entity, sends it the start command (or hyperparameter changes,
/// then continue), turns its progress reports into the same observer calls the local engine makes, copies reported
/// checkpoints into the run folder, and completes when the run finishes, fails or is refused. A failure of its own (an
/// observer or a copy that throws) fails the outcome and stops it: a restart would subscribe and send the commands again.
/// </summary>
public sealed class RunClient : ReceiveActor
{
    public RunClient(IActorRef runs, RunId runId, IReadOnlyList<object> commands, ITrainingObserver observer, RunFolder folder,
        int sftSteps, TaskCompletionSource<object> outcome)
    {
        int targetIterations = 0, rlStarted = 0;
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

        Receive<RunAccepted>(m => targetIterations = m.TargetIterations - m.StartIteration);
        Receive<RunReported>(m => Guarded(() =>
        {
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
                    CopyCheckpoint(c.Checkpoint.Directory, folder.File(Path.Combine("checkpoints", c.Label == CheckpointLabel.Sft ? "sft" : "final")));
                    break;
                case RunWarning w: observer.OnWarning(w.Message); break;
                case RunRolledBack b:
                    // The iterations after the intact checkpoint run again.
                    targetIterations += b.FromIteration - b.ToIteration;
                    observer.OnWarning(b.Message);
                    break;
                case RunFinished or RunFailed: outcome.TrySetResult(m.Report); break;
            }
        }));
        Receive<RunRejected>(m => outcome.TrySetResult(m));
        // One command at a time: each hyperparameter change is accepted before the next is sent, so a refused one stops
        // the client before the run is continued.
        var pending = new Queue<object>(commands);
        void SendNext()
        {
            if (pending.TryDequeue(out var command)) runs.Tell(command);
        }
        Receive<HyperparameterAccepted>(_ => SendNext());

        runs.Tell(new SubscribeRun(runId, Self));
        SendNext();
    }

    private static void CopyCheckpoint(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
    }

    public static Props Props(IActorRef runs, RunId runId, IReadOnlyList<object> commands, ITrainingObserver observer, RunFolder folder,
        int sftSteps, TaskCompletionSource<object> outcome) =>
        Akka.Actor.Props.Create(() => new RunClient(runs, runId, commands, observer, folder, sftSteps, outcome));
}
