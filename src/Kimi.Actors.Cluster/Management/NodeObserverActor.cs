using Akka.Actor;
using Akka.Cluster.Sharding;
using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Management;

/// <summary>
/// Feeds <see cref="NodeMetrics"/> from what the node already says, without touching the entities: every
/// <c>kimi.management.metrics.poll-interval</c> it asks each hosted shard region for its shards and entities,
/// subscribes to the progress of the Run entities hosted here (the Run's own RunReported stream; subscribing again is
/// harmless) and drops the series of runs that left, and asks every GPU worker supervisor on the node for its stats.
/// </summary>
internal sealed class NodeObserverActor : ReceiveActor, IWithTimers
{
    /// <summary>Where GPU worker supervisors live: the child <c>worker</c> of an entity (region / shard / entity).</summary>
    public const string WorkerSelection = "/system/sharding/*/*/*/worker";

    private sealed record Tick : INoSerializationVerificationNeeded
    {
        public static Tick Instance { get; } = new();
    }

    /// <summary>Local only (never crosses a process), like the timer ticks.</summary>
    private sealed record RegionState(string Type, CurrentShardRegionState State) : INoSerializationVerificationNeeded;

    private readonly NodeMetrics _metrics;
    private readonly TimeSpan _interval, _timeout;
    private readonly IReadOnlyDictionary<string, IActorRef> _regions;
    private readonly string? _runType;
    private readonly IActorRef _runs;
    private HashSet<string> _hostedRuns = new(StringComparer.Ordinal);
    private List<WorkerSample> _workers = [];

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="regions">The shard regions this node hosts, by entity type name.</param>
    /// <param name="runType">The Run entity type's name when this node hosts Run entities.</param>
    /// <param name="runs">Routes to Run entities (region or proxy).</param>
    /// <param name="timeout">How long a region may take to answer (its gauges keep their last value if it does not).</param>
    public NodeObserverActor(NodeMetrics metrics, TimeSpan interval, TimeSpan timeout, IReadOnlyDictionary<string, IActorRef> regions, string? runType,
        IActorRef runs)
    {
        (_metrics, _interval, _timeout, _regions, _runType, _runs) = (metrics, interval, timeout, regions, runType, runs);

        Receive<Tick>(_ => Poll());
        Receive<RegionState>(r => Regions(r));
        Receive<SupervisedWorker.WorkerStats>(s => _workers.Add(new WorkerSample(s.WorkerId, s.State == "ready", s.InFlight, s.Restarts, s.PolicyVersion)));
        Receive<RunReported>(r => Progress(r.RunId, r.Report));
        Receive<Status.Failure>(_ => { });   // a region that did not answer in time: its gauges keep their last value
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("poll", Tick.Instance, TimeSpan.Zero, _interval);

    private void Poll()
    {
        // The replies to the previous round are in; the next round starts now.
        _metrics.SetWorkers(_workers);
        _workers = [];
        Context.ActorSelection(WorkerSelection).Tell(SupervisedWorker.GetWorkerStats.Instance, Self);
        foreach (var (type, region) in _regions)
            region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, _timeout)
                .ContinueWith(t => t.IsCompletedSuccessfully ? (object)new RegionState(type, t.Result) : new Status.Failure(t.Exception!),
                    TaskContinuationOptions.ExecuteSynchronously)
                .PipeTo(Self);
    }

    private void Regions(RegionState r)
    {
        _metrics.SetEntities(r.Type, r.State.Shards.Count, r.State.Shards.Sum(s => s.EntityIds.Count));
        if (r.Type != _runType) return;
        var hosted = r.State.Shards.SelectMany(s => s.EntityIds).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _hostedRuns.Except(hosted)) _metrics.ForgetRun(gone);
        foreach (var id in hosted)
            if (RunId.TryParse(id, out var run, out _)) _runs.Tell(new SubscribeRun(run, Self));
        _hostedRuns = hosted;
    }

    private void Progress(RunId run, IRunReport report)
    {
        switch (report)
        {
            case IterationReported i: _metrics.RecordIteration(run.Value, i.Metrics); break;
            case EvaluationReported e: _metrics.RecordEvaluation(run.Value, e.Evaluation.Accuracy); break;
            case WorkerRestarted w: _metrics.RecordWorkerRestart(run.Value, w.Worker); break;
        }
    }

    public static Props Props(NodeMetrics metrics, TimeSpan interval, TimeSpan timeout, IReadOnlyDictionary<string, IActorRef> regions, string? runType,
        IActorRef runs) =>
        Akka.Actor.Props.Create(() => new NodeObserverActor(metrics, interval, timeout, regions, runType, runs));
}
