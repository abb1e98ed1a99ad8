using Akka.Actor;
using Kimi.Actors.Rl.Training;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Host.Output;

/// <summary>
/// The host's side of a cluster run: subscribes to the Run entity, sends it the start command (or hyperparameter changes,
/// then continue), turns its progress messages into the same observer calls the local loop makes, copies reported
/// checkpoints into the run folder, and completes when the run finishes, fails or is refused. A failure of its own (an
/// observer or a copy that throws) fails the outcome and stops it: a restart would subscribe and send the commands again.
/// </summary>
public sealed class RunClient : ReceiveActor
{
    public RunClient(IActorRef runs, string runId, IReadOnlyList<object> commands, ITrainingObserver observer, RunFolder folder,
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
        Receive<SftStepReported>(m => Guarded(() =>
        {
            if (!sftStarted) { sftStarted = true; observer.OnPhase("sft", sftSteps); }
            observer.OnSftStep(m.Step);
        }));
        Receive<EvaluationReported>(m => Guarded(() => observer.OnEvaluation(m.Label, m.Iteration, m.Evaluation)));
        Receive<IterationReported>(m => Guarded(() =>
        {
            if (rlStarted++ == 0) observer.OnPhase("rl", targetIterations);
            observer.OnIteration(m.Metrics);
        }));
        Receive<CheckpointReported>(m => Guarded(() => CopyCheckpoint(m.Directory, folder.File(Path.Combine("checkpoints", m.Label)))));
        Receive<RunFinished>(m => outcome.TrySetResult(m));
        Receive<RunFailed>(m => outcome.TrySetResult(m));
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

    public static Props Props(IActorRef runs, string runId, IReadOnlyList<object> commands, ITrainingObserver observer, RunFolder folder,
        int sftSteps, TaskCompletionSource<object> outcome) =>
        Akka.Actor.Props.Create(() => new RunClient(runs, runId, commands, observer, folder, sftSteps, outcome));
}
