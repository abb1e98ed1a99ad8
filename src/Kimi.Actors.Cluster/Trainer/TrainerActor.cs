using Akka.Actor;
using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.Rl.Identity;
using static Kimi.Actors.Cluster.Protocol.TrainerProtocol;

namespace Kimi.Actors.Cluster.Trainer;

/// <summary>
/// Trainer entity (one per run, role <c>trainer</c>): owns the supervised GPU worker holding the trainable policy
/// and its optimizer. Requests (init, restore, warm-up SFT, train an iteration, checkpoint) are forwarded with the
/// requester as sender; the worker publishes each new version to its node's weight store before it replies, and the
/// entity releases versions no generator needs any more.
/// </summary>
public sealed class TrainerActor : WorkerOwner
{
    private readonly RunId _runId;

    public TrainerActor(RunId runId) : base($"{runId}-trainer", Faults.FaultTargets.Trainer)
    {
        _runId = runId;
        Receive<AttachTrainer>(_ => Attach());
        Receive<ToTrainer>(m => Forward(m.Request));
        Receive<ReleaseWeights>(m => WorkerEnvironment.Get(Context.System).WeightStore.Prune(_runId, m.Below));
        Receive<DetachTrainer>(_ =>
        {
            StopWorker();
            // Published weights are as large as the model (shared memory on one node): a continued run republishes
            // them from its durable checkpoint.
            WorkerEnvironment.Get(Context.System).WeightStore.Prune(_runId, long.MaxValue);
        });
        ReceiveWorkerLifecycle();
    }

    protected override object Available(SupervisedWorker.WorkerAvailable m) =>
        new TrainerAvailable(_runId, m.Incarnation, m.PolicyVersion, m.RestartReason);

    protected override object Unavailable(SupervisedWorker.WorkerUnavailable m) =>
        new TrainerUnavailable(_runId, m.Reason, m.PendingRequests);

    public static Props Props(string entityId) => Akka.Actor.Props.Create(() => new TrainerActor(RunId.Parse(entityId)));
}
