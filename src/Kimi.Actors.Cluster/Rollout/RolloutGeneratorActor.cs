using Akka.Actor;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.Rl.Identity;
using static Kimi.Actors.Cluster.Protocol.GeneratorProtocol;

namespace Kimi.Actors.Cluster.Rollout;

/// <summary>
/// RolloutGenerator entity (one per run and slot, role <c>rollout</c>): a thin owner of one supervised GPU worker
/// holding a policy copy. Worker requests are forwarded with the requester as sender, so replies (trajectories,
/// acknowledgements) go straight to the Run; the entity only reports the worker's availability.
/// </summary>
public sealed class RolloutGeneratorActor : WorkerOwner
{
    private readonly RunId _runId;
    private readonly GeneratorSlot _slot;

    public RolloutGeneratorActor(RunId runId, GeneratorSlot slot) : base($"{runId}-{slot}", Faults.FaultTargets.RolloutGenerator)
    {
        _runId = runId;
        _slot = slot;
        Receive<AttachGenerator>(_ => Attach());
        Receive<ToGenerator>(m => Forward(m.Request));
        Receive<DetachGenerator>(_ => StopWorker());
        ReceiveWorkerLifecycle();
    }

    protected override object Available(SupervisedWorker.WorkerAvailable m) =>
        new GeneratorAvailable(_runId, _slot, m.Incarnation, m.PolicyVersion, m.RestartReason);

    protected override object Unavailable(SupervisedWorker.WorkerUnavailable m) =>
        new GeneratorUnavailable(_runId, _slot, m.Reason, m.PendingRequests);

    public static Props Props(string entityId)
    {
        var (runId, slot) = EntityIds.ParseGenerator(entityId);
        return Akka.Actor.Props.Create(() => new RolloutGeneratorActor(runId, slot));
    }
}
