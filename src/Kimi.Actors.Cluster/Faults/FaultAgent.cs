using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using static Kimi.Actors.Cluster.Faults.FaultProtocol;

namespace Kimi.Actors.Cluster.Faults;

/// <summary>
/// One per node (<c>/user/kimi-faults</c>): keeps the node's <see cref="FaultRegistry"/> in step with the rules injected
/// at run time anywhere in the cluster (a replicated set in distributed data, each rule as its HOCON text), accepts new
/// ones where fault injection is enabled, and answers the node's counts.
/// </summary>
public sealed class FaultAgent : ReceiveActor
{
    public const string Name = "kimi-faults";
    public const string PathOnNode = "/user/" + Name;

    private static readonly ORSetKey<string> Key = new("kimi-fault-rules");
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(3);

    private readonly FaultRegistry _registry = FaultRegistry.Get(Context.System);
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly Akka.Cluster.UniqueAddress _self = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _node = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();

    public FaultAgent()
    {
        Receive<Changed>(c => c.Key.Equals(Key), c => Apply(c.Get(Key).Elements));
        Receive<InjectFaults>(m =>
        {
            if (!_registry.Enabled)
            {
                Sender.Tell(new FaultsRefused(_node, $"fault injection is off on {_node} ({FaultPlan.ConfigPath}.enabled = off)"));
                return;
            }
            var texts = m.Rules.Select(r => r.Validate().ToHocon()).ToList();
            var replyTo = Sender;
            _replicator.Ask<IUpdateResponse>(Dsl.Update(Key, ORSet<string>.Empty, new WriteMajority(WriteTimeout),
                    set => texts.Aggregate(set, (s, t) => s.Add(_self, t))), WriteTimeout + TimeSpan.FromSeconds(1))
                .PipeTo(Self, replyTo, r => new Written(r, replyTo, texts), e => new Written(null, replyTo, texts));
        });
        Receive<Written>(w =>
        {
            // Applied here at once (the replicator's change notice follows); the other members apply it on theirs.
            if (w.Response is not UpdateSuccess) _log.Warning("fault rules not written to a majority; they apply where they arrive");
            Apply(_current.Union(w.Texts));
            w.ReplyTo.Tell(new FaultsInjected(_node, _registry.Plan.Rules));
        });
        Receive<ClearFaults>(_ =>
        {
            _replicator.Tell(Dsl.Update(Key, ORSet<string>.Empty, new WriteMajority(WriteTimeout), set => set.Clear(_self)));
            Apply([]);
            Sender.Tell(new FaultsInjected(_node, _registry.Plan.Rules));
        });
        Receive<GetFaultCounts>(_ => Sender.Tell(new FaultCounts(_node, _registry.Enabled, _registry.Injected, _registry.Counts)));
        Receive<IUpdateResponse>(_ => { });
    }

    private sealed record Written(IUpdateResponse? Response, IActorRef ReplyTo, IReadOnlyList<string> Texts);

    // The injected rules this node applies, as their HOCON texts.
    private IReadOnlySet<string> _current = new HashSet<string>();

    private void Apply(IEnumerable<string> rules)
    {
        _current = rules.ToHashSet(StringComparer.Ordinal);
        var plan = new List<FaultRule>();
        foreach (var text in _current.Order(StringComparer.Ordinal))
        {
            try { plan.Add(FaultPlan.ParseRule(text, "injected fault rule")); }
            catch (ArgumentException e) { _log.Warning("ignoring an injected fault rule this node cannot read: {0}", e.Message); }
        }
        try { _registry.SetRuntimeRules(new FaultPlan(plan)); }
        catch (InvalidOperationException e) { _log.Info("{0}; {1} injected rule(s) ignored here", e.Message, plan.Count); }
    }

    protected override void PreStart() => _replicator.Tell(Dsl.Subscribe(Key, Self));

    /// <summary>Starts the node's agent and registers it with the receptionist, so a cluster client can ask every node's counts.</summary>
    public static IActorRef Start(ActorSystem system)
    {
        var agent = system.ActorOf(Props.Create(() => new FaultAgent()), Name);
        Akka.Cluster.Tools.Client.ClusterClientReceptionist.Get(system).RegisterService(agent);
        return agent;
    }
}
