using Akka.Actor;
using Akka.Management.Dsl;
using Kimi.Actors.Cluster.Configuration;
using AkkaBootstrap = Akka.Management.Cluster.Bootstrap.ClusterBootstrap;

namespace Kimi.Actors.Cluster.Management;

/// <summary>
/// A node's management: its metrics, its last health snapshot, and the HTTP endpoint (<see cref="ManagementServer"/>:
/// <c>/healthz/ready</c>, <c>/healthz/live</c>, <c>/metrics</c> and Cluster Bootstrap's contact point).
/// One per ActorSystem. <see cref="StartAsync"/> runs before the node joins, so the endpoint answers 503 while it joins;
/// <see cref="EntitiesStarted"/> runs once the node has started its entity types.
/// </summary>
public sealed class KimiManagement : IExtension
{
    private readonly ExtendedActorSystem _system;
    private volatile HealthSnapshot _health;
    private IActorRef? _healthActor;

    public NodeMetrics Metrics { get; } = new();

    /// <summary>Null until <see cref="StartAsync"/>; the settings the endpoint runs with.</summary>
    public ManagementSettings? Settings { get; private set; }

    /// <summary>The endpoint's address once bound (e.g. <c>http://10.1.2.3:8558/</c>), else null.</summary>
    public Uri? Endpoint { get; private set; }

    public KimiManagement(ExtendedActorSystem system)
    {
        _system = system;
        _health = HealthSnapshot.Initial(system.Provider.DefaultAddress.ToString(), [], DateTime.UtcNow);
    }

    public static KimiManagement Get(ActorSystem system) => system.WithExtension<KimiManagement, KimiManagementProvider>();

    public HealthSnapshot Health => _health;

    /// <summary>
    /// Starts the health probes and binds the endpoint (<c>kimi.management.http.*</c>); with discovery, tells Cluster
    /// Bootstrap that this endpoint is its own contact point (so the join decider recognises itself among the pods).
    /// The endpoint stops as the actor system terminates, after the node has left the cluster.
    /// </summary>
    /// <param name="persistentRoles">Roles whose entities write the journal: the journal is part of readiness on such a node.</param>
    /// <exception cref="ClusterStartException">The endpoint could not be bound (the message names the address and the key).</exception>
    public async Task<Uri> StartAsync(ManagementSettings settings, IReadOnlyList<string> persistentRoles)
    {
        if (Endpoint is { } bound) return bound;
        Settings = settings;
        _healthActor = _system.SystemActorOf(NodeHealthActor.Props(this, settings, persistentRoles), "kimi-health");
        var bootstrap = AkkaBootstrap.Get(_system);
        ManagementServer server;
        try
        {
            server = await ManagementServer.StartAsync(_system, this, settings).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            throw new ClusterStartException($"the management endpoint cannot listen on {settings.BindHostname}:{settings.Port} " +
                $"({ManagementSettings.PortKey}): {e.GetBaseException().Message}");
        }
        Endpoint = server.Endpoint;
        CoordinatedShutdown.Get(_system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "kimi-management-stop", async () =>
        {
            await server.DisposeAsync().ConfigureAwait(false);
            return Akka.Done.Instance;
        });
        if (settings.Bootstrap == BootstrapMode.Discovery)
            bootstrap.Routes(ManagementRouteProviderSettings.Create(Endpoint, readOnly: true));
        return Endpoint;
    }

    /// <summary>
    /// The node hosts these shard regions (by entity type name) and routes runs through <paramref name="runs"/>: readiness
    /// starts checking them, and the observer starts feeding <see cref="Metrics"/>.
    /// </summary>
    /// <param name="runType">The Run entity type's name when this node hosts Run entities, else null.</param>
    public void EntitiesStarted(IReadOnlyDictionary<string, IActorRef> regions, string? runType, IActorRef runs)
    {
        if (Settings is not { } settings || _healthActor is null) return;
        _healthActor.Tell(new NodeHealthActor.EntitiesStarted(regions));
        _system.SystemActorOf(NodeObserverActor.Props(Metrics, settings.MetricsInterval, settings.CheckTimeout, regions, runType, runs), "kimi-observer");
    }

    internal void Publish(HealthSnapshot snapshot) => _health = snapshot;

    /// <summary>Readiness now (<see cref="NodeHealth.Readiness"/>).</summary>
    public HealthVerdict Readiness() => NodeHealth.Readiness(_health with { Terminated = _health.Terminated || _system.WhenTerminated.IsCompleted });

    /// <summary>Liveness now: a health actor silent for three check intervals (and at least 10 s) means the node is stuck.</summary>
    public HealthVerdict Liveness()
    {
        var interval = Settings?.CheckInterval ?? TimeSpan.FromSeconds(2);
        var stale = TimeSpan.FromTicks(Math.Max(interval.Ticks * 3, TimeSpan.FromSeconds(10).Ticks));
        return NodeHealth.Liveness(_health with { Terminated = _health.Terminated || _system.WhenTerminated.IsCompleted }, DateTime.UtcNow, stale);
    }
}

public sealed class KimiManagementProvider : ExtensionIdProvider<KimiManagement>
{
    public override KimiManagement CreateExtension(ExtendedActorSystem system) => new(system);
}
