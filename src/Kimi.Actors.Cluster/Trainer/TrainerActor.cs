using Akka.Actor;
using Kimi.Actors.Cluster.Workers;
using static Kimi.Actors.Cluster.Protocol.TrainerProtocol;

namespace Kimi.Actors.Cluster.Trainer;

/// <summary>
/// Trainer entity (one per run, role <c>trainer</c>): owns the supervised GPU worker holding the trainable policy
/// and its optimizer. Requests (init, warm-up SFT, train an iteration, checkpoint) are forwarded with the requester
/// as sender; the worker publishes each new version to the weight store before it replies.
/// </summary>
public sealed class TrainerActor : ReceiveActor
{
    private readonly string _runId;
    private IActorRef? _worker;
    private IActorRef? _run;

    public TrainerActor(string runId)
    {
        _runId = runId;
        Receive<AttachTrainer>(_ =>
        {
            _run = Sender;
            EnsureWorker();
        });
        Receive<ToTrainer>(m =>
        {
            _run ??= Sender;
            EnsureWorker().Tell(m.Request, Sender);
        });
        Receive<DetachTrainer>(_ => StopWorker());
        Receive<SupervisedWorker.WorkerAvailable>(m =>
            _run?.Tell(new TrainerAvailable(_runId, m.Incarnation, m.PolicyVersion, m.RestartReason)));
        Receive<SupervisedWorker.WorkerUnavailable>(m =>
        {
            _run?.Tell(new TrainerUnavailable(_runId, m.Reason, m.PendingRequests));
            StopWorker();
        });
        Receive<Terminated>(t => { if (t.ActorRef.Equals(_worker)) _worker = null; });
    }

    private IActorRef EnsureWorker()
    {
        if (_worker is not null) return _worker;
        var env = WorkerEnvironment.Get(Context.System);
        _worker = Context.ActorOf(SupervisedWorker.Props(env.Options($"{_runId}-trainer")), "worker");
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

    public static Props Props(string entityId) => Akka.Actor.Props.Create(() => new TrainerActor(entityId));
}
