using System.Collections.Concurrent;
using System.Globalization;
using Akka.Actor;
using Akka.Event;

namespace Kimi.Actors.Cluster.Faults;

/// <summary>
/// A node's fault injection (one per ActorSystem, an Akka extension): the rules in force — from <c>kimi.faults</c> and,
/// where <c>kimi.faults.enabled = on</c>, those injected at run time (<see cref="FaultAgent"/>) — and the record of every
/// injection: each one is written to standard error as one line starting with <see cref="Marker"/> and counted, here and
/// by rule, so tests and chaos runs can read that a fault really fired (<see cref="Injected"/>, <see cref="Counts"/>,
/// or the log). A worker process writes the same line; its node counts it from the process's output
/// (<see cref="RecordReported"/>), since the process may be gone a moment later.
/// </summary>
public sealed class FaultRegistry : IExtension
{
    /// <summary>How every injection line begins (stderr of the node or the worker process).</summary>
    public const string Marker = "kimi: fault injected: ";

    private readonly ActorSystem _system;
    private readonly FaultPlan _configured;
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Target, string Entity), int> _incarnations = new();
    private volatile FaultPlan _plan;
    private FaultPlan _runtime = FaultPlan.None;
    private int _injected;

    public FaultRegistry(ExtendedActorSystem system)
    {
        _system = system;
        var config = system.Settings.Config;
        Enabled = config.GetBoolean(FaultPlan.ConfigPath + ".enabled", false);
        _configured = FaultPlan.FromConfig(config);
        _plan = _configured;
    }

    public static FaultRegistry Get(ActorSystem system) => system.WithExtension<FaultRegistry, FaultRegistryProvider>();

    /// <summary><c>kimi.faults.enabled</c>: off, no rule applies and none can be injected at run time.</summary>
    public bool Enabled { get; }

    /// <summary>The rules in force: the configured ones, then those injected at run time.</summary>
    public FaultPlan Plan => _plan;

    /// <summary>The rules injected at run time alone.</summary>
    public FaultPlan Runtime => _runtime;

    /// <summary>Faults injected on this node (including its worker processes) since it started.</summary>
    public int Injected => Volatile.Read(ref _injected);

    /// <summary>Injections by rule (<see cref="FaultRule.ToString"/>).</summary>
    /// <remarks>A plain dictionary (in rule order): it travels in <see cref="FaultProtocol.FaultCounts"/>, and Hyperion's allow-list refuses immutable ones.</remarks>
    public IReadOnlyDictionary<string, int> Counts => _counts.OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary(c => c.Key, c => c.Value);

    /// <summary>
    /// Replaces the rules injected at run time (the configured ones stay) and tells the node's actors
    /// (<see cref="FaultPlanChanged"/> on the event stream: supervised workers pass it on to their workers).
    /// </summary>
    /// <exception cref="InvalidOperationException">Fault injection is off on this node.</exception>
    public void SetRuntimeRules(FaultPlan runtime)
    {
        if (!Enabled && !runtime.IsEmpty)
            throw new InvalidOperationException($"fault injection is off on this node ({FaultPlan.ConfigPath}.enabled = off)");
        lock (_counts)
        {
            _runtime = runtime;
            _plan = _configured.With(runtime);
        }
        _system.EventStream.Publish(new FaultPlanChanged(runtime));
    }

    /// <summary>The next incarnation of one entity on this node (1 for its first start), for rules limited to one.</summary>
    public int NextIncarnation(string target, string entity) => _incarnations.AddOrUpdate((target, entity), 1, (_, n) => n + 1);

    /// <summary>An injector for one start of an entity of kind <paramref name="target"/> (its kill-process kills this node).</summary>
    public FaultInjector ForEntity(string target, string entity, ILoggingAdapter log) =>
        new(() => _plan, target, NextIncarnation(target, entity), ownsProcess: true, log, (rule, n) => Record(rule, n, $"{target} {entity}"));

    /// <summary>Writes the injection line and counts it.</summary>
    public void Record(FaultRule rule, int count, string where)
    {
        Count(rule.ToString());
        Console.Error.WriteLine($"{Marker}{rule} (message #{count.ToString(CultureInfo.InvariantCulture)} of its type) in {where}");
        Console.Error.Flush();
    }

    /// <summary>Counts an injection line a worker process wrote (<paramref name="line"/> starts with <see cref="Marker"/>).</summary>
    public void RecordReported(string line)
    {
        var text = line[(line.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length)..];
        int end = text.LastIndexOf(" (message #", StringComparison.Ordinal);
        Count(end > 0 ? text[..end] : text);
    }

    /// <summary>Whether a line of output reports an injection.</summary>
    public static bool IsMarker(string line) => line.Contains(Marker, StringComparison.Ordinal);

    private void Count(string rule)
    {
        _counts.AddOrUpdate(rule, 1, (_, n) => n + 1);
        Interlocked.Increment(ref _injected);
    }
}

public sealed class FaultRegistryProvider : ExtensionIdProvider<FaultRegistry>
{
    public override FaultRegistry CreateExtension(ExtendedActorSystem system) => new(system);
}

/// <summary>On a node's event stream: the rules injected at run time changed.</summary>
public sealed record FaultPlanChanged(FaultPlan Runtime);
