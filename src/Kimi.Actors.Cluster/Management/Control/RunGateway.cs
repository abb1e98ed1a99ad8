using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Client;
using Akka.Persistence.Query;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Judge;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Rollout;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Cluster.Trainer;
using Kimi.Actors.Rl.Identity;
using static Kimi.Actors.Cluster.Management.Control.ControlProtocol;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Management.Control;

/// <summary>
/// The run gateway, one per node, registered with the cluster client receptionist: clients outside the cluster reach the
/// Run entities through it without joining. A message for one run (<see cref="IWithRunId"/>) goes on to the Run shard
/// region with the client's reply path as sender, so the entity's reply travels straight back; the gateway itself lists
/// runs (from the journal), describes the members and the entities they host, and relays progress subscriptions
/// (<see cref="WatchRun"/>) through lease-held relays, because a client's own actor is not reachable from every node.
/// </summary>
public sealed class RunGateway : ReceiveActor
{
    private readonly IActorRef _runs;
    private readonly GatewaySettings _settings;
    private readonly Dictionary<(IActorRef Client, RunId Run), IActorRef> _watches = [];
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IMaterializer _materializer = Context.Materializer(namePrefix: "kimi-gateway");

    /// <summary>Entity types whose live entities <see cref="ClusterView"/> counts, by the names the console shows.</summary>
    private static readonly (string Name, string TypeName)[] EntityTypes =
    [
        ("run", RunSharding.TypeName), ("prompt", PromptSharding.TypeName), ("rollout", GeneratorSharding.TypeName),
        ("trainer", TrainerSharding.TypeName), ("judge", JudgeSharding.TypeName),
    ];

    public RunGateway(IActorRef runs, GatewaySettings settings)
    {
        _runs = runs;
        _settings = settings;
        Receive<Ping>(_ => Sender.Tell(new Pong(_cluster.SelfAddress.ToString(), [.. _cluster.SelfRoles.Order()], _settings.FaultInjection)));
        Receive<ListRuns>(_ => ListRunsAsync().PipeTo(Sender));
        Receive<GetClusterView>(_ => ViewAsync().PipeTo(Sender));
        // Injected rules travel to every member in distributed data: the node's own agent takes them and answers.
        Receive<FaultProtocol.InjectFaults>(m => Context.ActorSelection(FaultAgent.PathOnNode).Tell(m, Sender));
        Receive<FaultProtocol.ClearFaults>(m => Context.ActorSelection(FaultAgent.PathOnNode).Tell(m, Sender));
        Receive<GetFaults>(_ => FaultsAsync().PipeTo(Sender));
        Receive<WatchRun>(Watch);
        Receive<UnwatchRun>(m =>
        {
            if (_watches.Remove((Sender, m.RunId), out var relay)) Context.Stop(relay);
        });
        Receive<Terminated>(t =>
        {
            foreach (var key in _watches.Where(w => w.Value.Equals(t.ActorRef)).Select(w => w.Key).ToList()) _watches.Remove(key);
        });
        // A subscriber named by an outside client may be unreachable from the node hosting the run: watches go through relays.
        Receive<SubscribeRun>(m => Sender.Tell(new RunRejected(m.RunId, "clients outside the cluster follow a run with WatchRun, not SubscribeRun")));
        Receive<IWithRunId>(m => _runs.Forward(m));
    }

    private void Watch(WatchRun m)
    {
        if (_watches.TryGetValue((Sender, m.RunId), out var relay))
        {
            relay.Tell(new RunWatchRelay.Renew(Sender));
            return;
        }
        relay = Context.ActorOf(RunWatchRelay.Props(m.RunId, _runs, Sender, _settings.WatchLease, _settings.WatchHeartbeat));
        Context.Watch(relay);
        _watches[(Sender, m.RunId)] = relay;
    }

    /// <summary>The runs whose Run entity has events in the journal, each with the status its entity gives.</summary>
    private async Task<RunList> ListRunsAsync()
    {
        var journal = PersistenceQuery.Get(Context.System).ReadJournalFor<SqlReadJournal>(SqlPersistence.QueryConfigPath);
        IImmutableList<string> ids;
        try { ids = await journal.CurrentPersistenceIds().RunWith(Sink.Seq<string>(), _materializer).ConfigureAwait(false); }
        catch (Exception e)
        {
            throw new InvalidOperationException($"node {_cluster.SelfAddress} cannot read the run ids from its journal: {e.GetBaseException().Message}", e);
        }
        var runIds = ids.Select(EntityIds.ParseRunPersistenceId).OfType<RunId>().Distinct().OrderBy(r => r.Value, StringComparer.Ordinal).ToList();
        var answers = await Task.WhenAll(runIds.Select(async id =>
        {
            try { return (id, Status: await _runs.Ask<RunStatus>(new GetRunStatus(id), _settings.QueryTimeout).ConfigureAwait(false)); }
            catch (AskTimeoutException) { return (id, Status: (RunStatus?)null); }
        })).ConfigureAwait(false);
        return new RunList([.. answers.Where(a => a.Status is not null).Select(a => a.Status!)],
            [.. answers.Where(a => a.Status is null).Select(a => a.id)]);
    }

    /// <summary>Members (address, status, reachability, roles) and the live entities of each type on each.</summary>
    private async Task<ClusterView> ViewAsync()
    {
        var state = _cluster.State;
        var counts = new Dictionary<Address, Dictionary<string, int>>();
        var problems = new List<string>();
        var sharding = ClusterSharding.Get(Context.System);
        foreach (var (name, typeName) in EntityTypes)
        {
            try
            {
                var stats = await sharding.ShardRegion(typeName)
                    .Ask<ClusterShardingStats>(new GetClusterShardingStats(_settings.QueryTimeout), _settings.QueryTimeout + TimeSpan.FromSeconds(1))
                    .ConfigureAwait(false);
                foreach (var (address, region) in stats.Regions)
                {
                    if (!counts.TryGetValue(address, out var perType)) counts[address] = perType = [];
                    perType[name] = region.Stats.Values.Sum();
                }
            }
            catch (Exception e) when (e is AskTimeoutException or ArgumentException or InvalidOperationException)
            {
                problems.Add($"{name}: {e.Message}");
            }
        }
        var nodes = state.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).Select(m => new NodeView(
            m.Address.ToString(), m.Status.ToString().ToLowerInvariant(), !state.Unreachable.Contains(m), [.. m.Roles.Order()],
            counts.TryGetValue(m.Address, out var perType) ? perType : new Dictionary<string, int>())).ToList();
        return new ClusterView(nodes, problems.Count == 0 ? null : "entity counts incomplete: " + string.Join("; ", problems));
    }

    /// <summary>This node's rules and every up member's counts (each member's fault agent asked at once, within the query timeout).</summary>
    private async Task<ClusterFaults> FaultsAsync()
    {
        var registry = FaultRegistry.Get(Context.System);
        var members = _cluster.State.Members.Where(m => m.Status == MemberStatus.Up).Select(m => m.Address)
            .OrderBy(a => a.ToString(), StringComparer.Ordinal).ToList();
        var system = Context.System;
        var answers = await Task.WhenAll(members.Select(async address =>
        {
            try
            {
                return (address, Counts: (FaultProtocol.FaultCounts?)await system.ActorSelection(new RootActorPath(address) / "user" / FaultAgent.Name)
                    .Ask<FaultProtocol.FaultCounts>(new FaultProtocol.GetFaultCounts(), _settings.QueryTimeout).ConfigureAwait(false));
            }
            catch (AskTimeoutException) { return (address, Counts: null); }
        })).ConfigureAwait(false);
        return new ClusterFaults(_cluster.SelfAddress.ToString(), registry.Enabled, registry.Plan.Rules, registry.Runtime.Rules,
            [.. answers.Where(a => a.Counts is not null).Select(a => a.Counts!)],
            [.. answers.Where(a => a.Counts is null).Select(a => a.address.ToString())]);
    }

    public static Props Props(IActorRef runs, GatewaySettings settings) => Akka.Actor.Props.Create(() => new RunGateway(runs, settings));

    /// <summary>Starts this node's gateway and registers it with the node's receptionist.</summary>
    public static IActorRef Start(ActorSystem system, IActorRef runs)
    {
        var gateway = system.ActorOf(Props(runs, GatewaySettings.FromConfig(system.Settings.Config)), GatewayName);
        ClusterClientReceptionist.Get(system).RegisterService(gateway);
        return gateway;
    }
}

/// <summary>
/// One client's subscription to one run, on the gateway's node: subscribes to the Run entity, passes its reports to the
/// client's reply path, says it is alive every heartbeat (which also keeps the receptionist's reply tunnel open) and
/// stops when the client has not renewed within the lease. Each renewal subscribes again, so a Run entity that moved to
/// another node after a failure picks the watch up again.
/// </summary>
internal sealed class RunWatchRelay : ReceiveActor, IWithTimers
{
    public sealed record Renew(IActorRef Client);

    private sealed record Tick;

    private readonly RunId _run;
    private readonly IActorRef _runs;
    private readonly TimeSpan _lease;
    private IActorRef _client;
    private DateTime _renewed = DateTime.UtcNow;

    public ITimerScheduler Timers { get; set; } = null!;

    public RunWatchRelay(RunId run, IActorRef runs, IActorRef client, TimeSpan lease, TimeSpan heartbeat)
    {
        (_run, _runs, _client, _lease) = (run, runs, client, lease);
        Receive<RunReported>(m => _client.Tell(m));
        Receive<Renew>(m =>
        {
            _client = m.Client;
            _renewed = DateTime.UtcNow;
            _runs.Tell(new SubscribeRun(_run, Self));
        });
        Receive<Tick>(_ =>
        {
            if (DateTime.UtcNow - _renewed > _lease) Context.Stop(Self);
            else _client.Tell(new ControlProtocol.WatchAlive(_run));
        });
        _heartbeat = heartbeat;
    }

    private readonly TimeSpan _heartbeat;

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("tick", new Tick(), _heartbeat);
        _runs.Tell(new SubscribeRun(_run, Self));
        _client.Tell(new ControlProtocol.WatchAlive(_run));
    }

    public static Props Props(RunId run, IActorRef runs, IActorRef client, TimeSpan lease, TimeSpan heartbeat) =>
        Akka.Actor.Props.Create(() => new RunWatchRelay(run, runs, client, lease, heartbeat));
}
