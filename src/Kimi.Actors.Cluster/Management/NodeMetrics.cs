using Kimi.Actors.Rl.Training;
using Prometheus;

namespace Kimi.Actors.Cluster.Management;

/// <summary>
/// One node's Prometheus metrics, in a registry of its own (several nodes may share a process in tests), every name
/// prefixed <c>kimi_</c>. Run series come from the progress of the runs this node hosts; worker, entity and
/// membership series from the node's own polls; journal latency from the journal plugin. Exported as the Prometheus
/// text format on <c>/metrics</c>.
/// </summary>
public sealed class NodeMetrics
{
    public const string Prefix = "kimi_";

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly IMetricFactory _factory;
    private readonly Dictionary<string, Gauge> _runGauges = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Gauge _heldOut, _entities, _shards, _workerInFlight, _workerRestarts, _workerVersion, _workerReady, _members, _memberUp;
    private readonly Counter _runWorkerRestarts, _journalFailures;
    private readonly Histogram _journalWrite;
    private HashSet<string> _workers = [];

    public NodeMetrics()
    {
        _factory = Metrics.WithCustomRegistry(_registry);
        _heldOut = _factory.CreateGauge(Prefix + "heldout_accuracy", "Held-out accuracy (kimi.eval.primary) at the run's last evaluation.", ["run"]);
        _runWorkerRestarts = _factory.CreateCounter(Prefix + "run_worker_restarts_total",
            "Worker restarts a run hosted here was told of (its supervisor restored the policy and re-sent the work in flight).", ["run", "worker"]);
        _entities = _factory.CreateGauge(Prefix + "entities", "Entities of each type alive on this node.", ["type"]);
        _shards = _factory.CreateGauge(Prefix + "shards", "Shards of each entity type allocated to this node.", ["type"]);
        _workerInFlight = _factory.CreateGauge(Prefix + "worker_queue_depth",
            "Requests a GPU worker on this node has been sent and not yet answered.", ["worker"]);
        _workerRestarts = _factory.CreateGauge(Prefix + "worker_restarts",
            "Restarts of a GPU worker on this node since its entity started.", ["worker"]);
        _workerVersion = _factory.CreateGauge(Prefix + "worker_weight_version",
            "Weight version a GPU worker on this node holds (-1: none loaded yet).", ["worker"]);
        _workerReady = _factory.CreateGauge(Prefix + "worker_ready", "1 when a GPU worker on this node is ready for work.", ["worker"]);
        _members = _factory.CreateGauge(Prefix + "cluster_members", "Cluster members by status, as this node sees them.", ["status"]);
        _memberUp = _factory.CreateGauge(Prefix + "member_up", "1 when this node is an Up member of its cluster.");
        _journalWrite = _factory.CreateHistogram(Prefix + "journal_write_seconds",
            "Time the journal took to write one batch of events (Run and Prompt entities) on this node.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        _journalFailures = _factory.CreateCounter(Prefix + "journal_write_failures_total", "Journal batch writes that failed on this node.");
    }

    /// <summary>The run's last committed iteration, one gauge per metrics.jsonl field (<c>kimi_reward_mean{run=...}</c>, ...).</summary>
    public void RecordIteration(string run, IterationMetrics metrics)
    {
        foreach (var (key, value) in metrics.ToRow())
            RunGauge(key).WithLabels(run).Set(value);
    }

    public void RecordEvaluation(string run, double accuracy) => _heldOut.WithLabels(run).Set(accuracy);

    public void RecordWorkerRestart(string run, string worker) => _runWorkerRestarts.WithLabels(run, worker).Inc();

    /// <summary>Drops a run's series once it is no longer hosted here (its new node reports it).</summary>
    public void ForgetRun(string run)
    {
        lock (_gate)
        {
            foreach (var gauge in _runGauges.Values) gauge.RemoveLabelled(run);
        }
        _heldOut.RemoveLabelled(run);
    }

    public void SetEntities(string type, int shards, int entities)
    {
        _shards.WithLabels(type).Set(shards);
        _entities.WithLabels(type).Set(entities);
    }

    /// <summary>The workers this node holds now; series of workers no longer here are dropped.</summary>
    public void SetWorkers(IEnumerable<WorkerSample> workers)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in workers)
        {
            seen.Add(w.Worker);
            _workerInFlight.WithLabels(w.Worker).Set(w.InFlight);
            _workerRestarts.WithLabels(w.Worker).Set(w.Restarts);
            _workerVersion.WithLabels(w.Worker).Set(w.WeightVersion ?? -1);
            _workerReady.WithLabels(w.Worker).Set(w.Ready ? 1 : 0);
        }
        foreach (var gone in _workers.Except(seen))
            foreach (var g in new[] { _workerInFlight, _workerRestarts, _workerVersion, _workerReady }) g.RemoveLabelled(gone);
        _workers = seen;
    }

    public void SetMembership(bool up, IReadOnlyDictionary<string, int> membersByStatus)
    {
        _memberUp.Set(up ? 1 : 0);
        foreach (var (status, count) in membersByStatus) _members.WithLabels(status).Set(count);
    }

    public void ObserveJournalWrite(TimeSpan elapsed, bool ok)
    {
        _journalWrite.Observe(elapsed.TotalSeconds);
        if (!ok) _journalFailures.Inc();
    }

    /// <summary>Writes every series in the Prometheus text exposition format (version 0.0.4).</summary>
    public Task ExportAsync(Stream to, CancellationToken cancel = default) => _registry.CollectAndExportAsTextAsync(to, cancel);

    /// <summary>The content type of <see cref="ExportAsync"/>'s output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private Gauge RunGauge(string key)
    {
        lock (_gate)
        {
            if (!_runGauges.TryGetValue(key, out var gauge))
                _runGauges[key] = gauge = _factory.CreateGauge(Prefix + key,
                    $"{key} of the run's last committed iteration on this node (as in its metrics.jsonl).", ["run"]);
            return gauge;
        }
    }
}

/// <summary>What one GPU worker's supervisor reported (SupervisedWorker.WorkerStats), for <see cref="NodeMetrics.SetWorkers"/>.</summary>
public sealed record WorkerSample(string Worker, bool Ready, int InFlight, int Restarts, long? WeightVersion);
