using Akka.Actor;
using Akka.Cluster;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Judge;
using Kimi.Actors.Cluster.Management;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Rollout;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Cluster.Trainer;
using AkkaConfig = Akka.Configuration.Config;

namespace Kimi.Actors.Cluster.Node;

/// <summary>
/// One cluster member: the ActorSystem (joined and Up) and the shard regions of the entity types. A node hosts the
/// entity types of its roles and routes to the others through proxies, so the same program is a one-node run or one
/// member of many by configuration. Every node also runs a run gateway (<see cref="RunGateway"/>) that clients outside
/// the cluster (the console) reach through its cluster client receptionist.
/// </summary>
public sealed class KimiNode : IAsyncDisposable
{
    public const string SystemName = "kimi";

    public ActorSystem System { get; }
    public IActorRef Runs { get; }
    public IActorRef Prompts { get; }
    public IActorRef Generators { get; }
    public IActorRef Trainers { get; }
    public IActorRef Judges { get; }

    /// <summary>This node's run gateway, registered with its receptionist: clients outside the cluster reach the runs through it.</summary>
    public IActorRef Gateway { get; }

    private KimiNode(ActorSystem system)
    {
        System = system;
        var roles = Akka.Cluster.Cluster.Get(system).SelfRoles;
        var hosted = new Dictionary<string, IActorRef>(StringComparer.Ordinal);
        IActorRef Region(string type, string role, Func<ActorSystem, string, IActorRef> start, Func<ActorSystem, string, IActorRef> proxy)
        {
            if (!roles.Contains(role)) return proxy(system, role);
            return hosted[type] = start(system, role);
        }
        Prompts = Region(PromptSharding.TypeName, PromptSharding.DefaultRole, (s, r) => PromptSharding.Start(s, r), (s, r) => PromptSharding.StartProxy(s, r));
        Judges = Region(JudgeSharding.TypeName, JudgeSharding.DefaultRole, JudgeSharding.Start, JudgeSharding.StartProxy);
        Generators = Region(GeneratorSharding.TypeName, GeneratorSharding.DefaultRole, GeneratorSharding.Start, GeneratorSharding.StartProxy);
        Trainers = Region(TrainerSharding.TypeName, TrainerSharding.DefaultRole, TrainerSharding.Start, TrainerSharding.StartProxy);
        Runs = Region(RunSharding.TypeName, RunSharding.DefaultRole, RunSharding.Start, RunSharding.StartProxy);
        Gateway = RunGateway.Start(system, Runs);
        // Rules injected at run time, from anywhere in the cluster, reach this node's actors through its agent.
        Faults.FaultAgent.Start(system);
        // Readiness now checks these regions, and the node's metrics observer follows them (no-op without management).
        KimiManagement.Get(system).EntitiesStarted(hosted, hosted.ContainsKey(RunSharding.TypeName) ? RunSharding.TypeName : null, Runs);
    }

    /// <summary>The management endpoint's address when <c>kimi.management.enabled</c>, else null.</summary>
    public Uri? ManagementEndpoint => KimiManagement.Get(System).Endpoint;

    /// <summary>
    /// Starts the system from the layered configuration, joins (<paramref name="seeds"/> when given, else the configured
    /// seeds or itself), waits until Up, starts the regions.
    /// </summary>
    public static async Task<KimiNode> StartAsync(AkkaConfig config, IReadOnlyList<Address>? seeds = null, CancellationToken cancel = default)
    {
        var system = await ClusterBootstrap.StartAsync(SystemName, config, seeds, cancel);
        return new KimiNode(system);
    }

    /// <summary>The remoting address of the node <c>HOST:PORT</c> names (what <c>--seed</c> and contact points mean).</summary>
    public static Address AddressOf(string host, int port) => new("akka.tcp", SystemName, host, port);

    /// <summary>This node's own remoting address.</summary>
    public Address SelfAddress => Akka.Cluster.Cluster.Get(System).SelfAddress;

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
    }
}
