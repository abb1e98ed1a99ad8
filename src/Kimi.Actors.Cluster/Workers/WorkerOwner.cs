using Akka.Actor;
using Akka.Event;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Protocol;

namespace Kimi.Actors.Cluster.Workers;

/// <summary>
/// What the RolloutGenerator and Trainer entities share: one supervised GPU worker, started on first need and
/// watched, its availability reported to the Run that attached (or last sent work), and stopped on detach or
/// when it gives up. Subclasses add their attach/forward messages and say how availability is reported.
/// </summary>
public abstract class WorkerOwner : ReceiveActor
{
    private readonly string _workerId;
    private IActorRef? _worker;
    // The worker's last start, so a Run that attaches later (a new session, or a Run restarted on another node) hears it.
    private SupervisedWorker.WorkerAvailable? _available;

    /// <summary>The Run this entity reports to.</summary>
    protected IActorRef? Run { get; set; }

    private readonly FaultInjector _faults;

    /// <param name="workerId">Names the worker (and its process) in logs and weight-store paths.</param>
    /// <param name="faultTarget">The entity kind fault rules name (<see cref="FaultTargets"/>).</param>
    protected WorkerOwner(string workerId, string faultTarget)
    {
        _workerId = workerId;
        _faults = FaultRegistry.Get(Context.System).ForEntity(faultTarget, workerId, Context.GetLogger());
    }

    // Fault rules for the entity see the protocol messages it is sent; its worker's own replies pass it by.
    protected override bool AroundReceive(Receive receive, object message) =>
        message is not IKimiMessage || _faults.Admit(message) ? base.AroundReceive(receive, message) : true;

    /// <summary>Reports a (re)started worker to the Run.</summary>
    protected abstract object Available(SupervisedWorker.WorkerAvailable m);

    /// <summary>Reports a worker past its restart budget to the Run.</summary>
    protected abstract object Unavailable(SupervisedWorker.WorkerUnavailable m);

    /// <summary>Registers the worker lifecycle handlers; call after the subclass's own.</summary>
    protected void ReceiveWorkerLifecycle()
    {
        Receive<SupervisedWorker.WorkerAvailable>(m =>
        {
            _available = m;
            Run?.Tell(Available(m));
        });
        Receive<SupervisedWorker.WorkerUnavailable>(m =>
        {
            Run?.Tell(Unavailable(m));
            StopWorker();
        });
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_worker)) return;
            _worker = null;
            _available = null;
        });
    }

    /// <summary>
    /// Attaches the Run (the sender) and starts the worker; a worker already up is reported to the Run at once (it keeps
    /// its policy: the Run restores what it needs), so a Run that starts a new session finds its workers again.
    /// </summary>
    protected void Attach()
    {
        Run = Sender;
        EnsureWorker();
        if (_available is { } available) Run.Tell(Available(available));
    }

    /// <summary>Forwards a worker request, keeping the requester as sender so the reply goes straight to it.</summary>
    protected void Forward(object request)
    {
        Run ??= Sender;
        EnsureWorker().Tell(request, Sender);
    }

    private IActorRef EnsureWorker()
    {
        if (_worker is not null) return _worker;
        var env = WorkerEnvironment.Get(Context.System);
        _worker = Context.ActorOf(SupervisedWorker.Props(env.Options(_workerId)), "worker");
        Context.Watch(_worker);
        return _worker;
    }

    protected void StopWorker()
    {
        if (_worker is null) return;
        Context.Unwatch(_worker);
        Context.Stop(_worker);
        _worker = null;
        _available = null;
    }
}
