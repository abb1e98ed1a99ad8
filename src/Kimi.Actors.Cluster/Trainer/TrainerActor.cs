using Akka.Actor;
using Kimi.Actors.Cluster.Workers;
using static Kimi.Actors.Cluster.Protocol.TrainerProtocol;

namespace Kimi.Actors.Cluster.Trainer;

/// <summary>
/// Trainer entity (one per run, role <c>trainer</c>): owns the supervised GPU worker holding the trainable policy
/// and its optimizer. Requests (init, warm-up SFT, train an iteration, checkpoint) are forwarded with the requester
/// as sender; the worker publishes each new version to the weight store before it replies.
/// </summary>
public sealed class TrainerActor : WorkerOwner
{
    private readonly string _runId;

    public TrainerActor(string runId) : base($"{runId}-trainer")
    {
        _runId = runId;
        Receive<AttachTrainer>(_ => Attach());
        Receive<ToTrainer>(m => Forward(m.Request));
        Receive<DetachTrainer>(_ => StopWorker());
        ReceiveWorkerLifecycle();
    }

    protected override object Available(SupervisedWorker.WorkerAvailable m) =>
        new TrainerAvailable(_runId, m.Incarnation, m.PolicyVersion, m.RestartReason);

    protected override object Unavailable(SupervisedWorker.WorkerUnavailable m) =>
        new TrainerUnavailable(_runId, m.Reason, m.PendingRequests);

    public static Props Props(string entityId) => Akka.Actor.Props.Create(() => new TrainerActor(entityId));
}
