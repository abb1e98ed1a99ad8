using Akka.Actor;
using Kimi.Actors.Cluster.Workers;
using static Kimi.Actors.Cluster.Protocol.GeneratorProtocol;

namespace Kimi.Actors.Cluster.Rollout;

/// <summary>
/// RolloutGenerator entity (one per run and slot, role <c>rollout</c>): a thin owner of one supervised GPU worker
/// holding a policy copy. Worker requests are forwarded with the requester as sender, so replies (trajectories,
/// acknowledgements) go straight to the Run; the entity only reports the worker's availability.
/// </summary>
public sealed class RolloutGeneratorActor : ReceiveActor
{
    private readonly string _runId;
    private readonly int _slot;
    private IActorRef? _worker;
    private IActorRef? _run;

    public RolloutGeneratorActor(string runId, int slot)
    {
        _runId = runId;
        _slot = slot;
        Receive<AttachGenerator>(_ =>
        {
            _run = Sender;
            EnsureWorker();
        });
        Receive<ToGenerator>(m =>
        {
            _run ??= Sender;
            EnsureWorker().Tell(m.Request, Sender);
        });
        Receive<DetachGenerator>(_ => StopWorker());
        Receive<SupervisedWorker.WorkerAvailable>(m =>
            _run?.Tell(new GeneratorAvailable(_runId, _slot, m.Incarnation, m.PolicyVersion, m.RestartReason)));
        Receive<SupervisedWorker.WorkerUnavailable>(m =>
        {
            _run?.Tell(new GeneratorUnavailable(_runId, _slot, m.Reason, m.PendingRequests));
            StopWorker();
        });
        Receive<Terminated>(t => { if (t.ActorRef.Equals(_worker)) _worker = null; });
    }

    private IActorRef EnsureWorker()
    {
        if (_worker is not null) return _worker;
        var env = WorkerEnvironment.Get(Context.System);
        _worker = Context.ActorOf(SupervisedWorker.Props(env.Options($"{_runId}-rollout-{_slot}")), "worker");
        Context.Watch(_worker);
        return _worker;
    }

    private void StopWorker()
    {
        if (_worker is null) return;
        Context.Unwatch(_worker);
        Context.Stop(_worker);
        _worker = null;
    }

    public static Props Props(string entityId)
    {
        var (runId, local) = Protocol.EntityIds.Split(entityId);
        int slot = int.Parse(local.Substring("rollout-".Length));
        return Akka.Actor.Props.Create(() => new RolloutGeneratorActor(runId, slot));
    }
}
