using Akka.Actor;
using Kimi.Actors.Rl.Training;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Host.Output;

/// <summary>
/// The host's side of a cluster run: subscribes to the Run entity, sends it the start (or continue) commands, turns
/// its progress messages into the same observer calls the local loop makes, copies reported checkpoints into the run
/// folder, and completes when the run finishes, fails or is refused.
/// </summary>
public sealed class RunClient : ReceiveActor
{
    public RunClient(IActorRef runs, string runId, IReadOnlyList<object> commands, ITrainingObserver observer, RunFolder folder,
        int sftSteps, TaskCompletionSource<object> outcome)
    {
        int targetIterations = 0, rlStarted = 0;
        bool sftStarted = false;
        Receive<RunAccepted>(m => targetIterations = m.TargetIterations - m.StartIteration);
        Receive<SftStepReported>(m =>
        {
            if (!sftStarted) { sftStarted = true; observer.OnPhase("sft", sftSteps); }
            observer.OnSftStep(m.Step);
        });
        Receive<EvaluationReported>(m => observer.OnEvaluation(m.Label, m.Iteration, m.Evaluation));
        Receive<IterationReported>(m =>
        {
            if (rlStarted++ == 0) observer.OnPhase("rl", targetIterations);
            observer.OnIteration(m.Metrics);
        });
        Receive<CheckpointReported>(m => CopyCheckpoint(m.Directory, folder.File(Path.Combine("checkpoints", m.Label))));
        Receive<RunFinished>(m => outcome.TrySetResult(m));
        Receive<RunFailed>(m => outcome.TrySetResult(m));
        Receive<RunRejected>(m => outcome.TrySetResult(m));
        Receive<HyperparameterAccepted>(_ => { });

        runs.Tell(new SubscribeRun(runId, Self));
        foreach (var c in commands) runs.Tell(c);
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
