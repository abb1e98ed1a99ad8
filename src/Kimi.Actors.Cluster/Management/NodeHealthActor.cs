using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Persistence;

namespace Kimi.Actors.Cluster.Management;

/// <summary>
/// Probes what readiness depends on, every <c>kimi.management.readiness.check-interval</c> and at every membership
/// change: this member's status and reachability, the journal (a read-only lookup of a persistence id no entity uses,
/// through the same plugin the entities write with) when the node's roles persist, and each hosted entity type's shard
/// region (its coordinator must list this node). Publishes an immutable <see cref="HealthSnapshot"/> to
/// <see cref="KimiManagement"/>; the HTTP routes never wait on a probe.
/// </summary>
internal sealed class NodeHealthActor : ReceiveActor, IWithTimers
{
    /// <summary>The persistence id the journal probe asks about; nothing is ever written under it.</summary>
    public const string ProbePersistenceId = "kimi-readiness-probe";

    public sealed record EntitiesStarted(IReadOnlyDictionary<string, IActorRef> Regions) : INoSerializationVerificationNeeded;

    private sealed record Tick : INoSerializationVerificationNeeded
    {
        public static Tick Instance { get; } = new();
    }

    private sealed record RegionAnswer(string Type, int Round, ProbeResult Result) : INoSerializationVerificationNeeded;

    private readonly KimiManagement _management;
    private readonly ManagementSettings _settings;
    private readonly bool _persists;
    private readonly Akka.Cluster.Cluster _cluster;
    private IReadOnlyDictionary<string, IActorRef>? _regions;
    private HealthSnapshot _snapshot;
    private int _round;
    private DateTime? _journalAskedAt;

    public ITimerScheduler Timers { get; set; } = null!;

    public NodeHealthActor(KimiManagement management, ManagementSettings settings, IReadOnlyList<string> persistentRoles)
    {
        _management = management;
        _settings = settings;
        _cluster = Akka.Cluster.Cluster.Get(Context.System);
        var roles = _cluster.SelfRoles.Order(StringComparer.Ordinal).ToList();
        _persists = roles.Intersect(persistentRoles).Any();
        _snapshot = HealthSnapshot.Initial(_cluster.SelfAddress.ToString(), roles, DateTime.UtcNow);
        if (!_persists) _snapshot = _snapshot with { Persistence = new ProbeResult(true, $"not used by roles {string.Join(",", roles)}") };
        Publish();

        Receive<Tick>(_ => Probe());
        Receive<ClusterEvent.IMemberEvent>(_ => Membership());
        Receive<ClusterEvent.IReachabilityEvent>(_ => Membership());
        Receive<ClusterEvent.CurrentClusterState>(_ => Membership());
        Receive<EntitiesStarted>(m =>
        {
            _regions = m.Regions;
            _snapshot = _snapshot with
            {
                EntitiesStarted = true,
                Regions = m.Regions.Keys.ToDictionary(t => t, t => ProbeResult.Pending("shard region")),
            };
            Probe();
        });
        Receive<RecoverySuccess>(_ => Journal(new ProbeResult(true, "reachable")));
        Receive<ReplayMessagesFailure>(f => Journal(new ProbeResult(false, $"the journal failed a read: {f.Cause.GetBaseException().Message}")));
        Receive<RegionAnswer>(a =>
        {
            if (a.Round != _round || _snapshot.Regions.Count == 0) return;
            var regions = new Dictionary<string, ProbeResult>(_snapshot.Regions) { [a.Type] = a.Result };
            _snapshot = _snapshot with { Regions = regions };
            Publish();
        });
    }

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        Timers.StartPeriodicTimer("probe", Tick.Instance, TimeSpan.Zero, _settings.CheckInterval);
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        _snapshot = _snapshot with { Terminated = true };
        Publish();
    }

    private void Probe()
    {
        _round++;
        Membership();
        if (_persists) ProbeJournal();
        if (_regions is null) return;
        int round = _round;
        foreach (var (type, region) in _regions)
        {
            region.Ask<CurrentRegions>(GetCurrentRegions.Instance, _settings.CheckTimeout).ContinueWith(t => new RegionAnswer(type, round,
                    t.IsCompletedSuccessfully
                        ? t.Result.Regions.Contains(_cluster.SelfAddress)
                            ? new ProbeResult(true, $"started ({t.Result.Regions.Count} node(s) host it)")
                            : new ProbeResult(false, "the shard coordinator does not list this node's region yet")
                        : new ProbeResult(false, $"the shard coordinator did not answer within {_settings.CheckTimeout.TotalSeconds:0.#} s")),
                TaskContinuationOptions.ExecuteSynchronously)
                .PipeTo(Self);
        }
    }

    private void ProbeJournal()
    {
        var now = DateTime.UtcNow;
        if (_journalAskedAt is { } asked)
        {
            // Still waiting: a journal that does not answer within the timeout is as bad as one that fails (asked again
            // next round; a late answer still counts).
            if (now - asked > _settings.CheckTimeout)
                Journal(new ProbeResult(false, $"the journal did not answer within {_settings.CheckTimeout.TotalSeconds:0.#} s"));
            return;
        }
        _journalAskedAt = now;
        // max = 0: the journal reads the highest sequence number (a query on its database) and replays nothing.
        Akka.Persistence.Persistence.Instance.Apply(Context.System).JournalFor(null)
            .Tell(new ReplayMessages(0, long.MaxValue, 0, ProbePersistenceId, Self));
    }

    private void Journal(ProbeResult result)
    {
        _journalAskedAt = null;
        _snapshot = _snapshot with { Persistence = result };
        Publish();
    }

    private void Membership()
    {
        var state = _cluster.State;
        var self = state.Members.FirstOrDefault(m => m.UniqueAddress.Equals(_cluster.SelfUniqueAddress));
        bool reachable = !state.Unreachable.Any(m => m.UniqueAddress.Equals(_cluster.SelfUniqueAddress));
        var byStatus = state.Members.GroupBy(m => m.Status.ToString()).ToDictionary(g => g.Key, g => g.Count());
        foreach (var status in Enum.GetNames<MemberStatus>()) byStatus.TryAdd(status, 0);
        _management.Metrics.SetMembership(self?.Status == MemberStatus.Up, byStatus);
        _snapshot = _snapshot with { Member = self?.Status.ToString(), Reachable = reachable, Heartbeat = DateTime.UtcNow };
        Publish();
    }

    private void Publish() => _management.Publish(_snapshot);

    public static Props Props(KimiManagement management, ManagementSettings settings, IReadOnlyList<string> persistentRoles) =>
        Akka.Actor.Props.Create(() => new NodeHealthActor(management, settings, persistentRoles));
}
