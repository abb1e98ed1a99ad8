using System.Diagnostics;
using Akka.Event;

namespace Kimi.Actors.Cluster.Faults;

/// <summary>
/// Applies a <see cref="FaultPlan"/> to the messages of one actor instance: counts each message type and, when a rule
/// fires, reports it (<see cref="FaultRegistry.Record"/>: logged and counted), then throws, kills the process, blocks or
/// drops. Call <see cref="Admit"/> first thing for every message the rules may concern. The plan is read at every
/// message, so rules injected at run time apply from the next one; counting starts when the actor starts.
/// </summary>
public sealed class FaultInjector
{
    private readonly Func<FaultPlan> _plan;
    private readonly string _target;
    private readonly int _incarnation;
    private readonly bool _ownsProcess;
    private readonly ILoggingAdapter? _log;
    private readonly Action<FaultRule, int>? _injected;
    private readonly Action? _exhaustDevice;
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private int _all;

    /// <param name="ownsProcess">
    /// False where the actor shares its process with others (an in-process worker): <see cref="FaultAction.KillProcess"/>
    /// then throws instead, so a chaos plan written for worker processes never takes the node down.
    /// </param>
    /// <param name="injected">Told about every injection before it acts (the rule and the message's number).</param>
    public FaultInjector(FaultPlan plan, string target, int incarnation, bool ownsProcess, ILoggingAdapter? log = null,
        Action<FaultRule, int>? injected = null, Action? exhaustDevice = null)
        : this(() => plan, target, incarnation, ownsProcess, log, injected, exhaustDevice) { }

    /// <param name="plan">The rules in force, read at every message.</param>
    /// <param name="exhaustDevice">For <see cref="FaultAction.DeviceOutOfMemory"/>: makes the actor's device allocator fail (it throws).</param>
    public FaultInjector(Func<FaultPlan> plan, string target, int incarnation, bool ownsProcess, ILoggingAdapter? log = null,
        Action<FaultRule, int>? injected = null, Action? exhaustDevice = null)
    {
        _exhaustDevice = exhaustDevice;
        _plan = plan;
        _target = target;
        _incarnation = incarnation;
        _ownsProcess = ownsProcess;
        _log = log;
        _injected = injected;
    }

    /// <summary>True when the message should be handled; false when a rule dropped it. May throw or never return.</summary>
    public bool Admit(object message)
    {
        var type = message.GetType().Name;
        int ofType = _counts[type] = _counts.GetValueOrDefault(type) + 1;
        int all = ++_all;
        var rules = _plan().Rules;
        if (rules.Count == 0) return true;
        // A rule for one type counts that type's messages; a rule for * counts them all together.
        int CountFor(FaultRule r) => r.Message == "*" ? all : ofType;
        var rule = rules.FirstOrDefault(r => r.Matches(_target, type) && r.Fires(CountFor(r), _incarnation));
        if (rule is null) return true;
        int count = CountFor(rule);
        _log?.Warning("fault injection: {0} (message #{1} of its type)", rule, count);
        _injected?.Invoke(rule, count);
        switch (rule.Action)
        {
            case FaultAction.KillProcess when _ownsProcess:
                Console.Error.WriteLine($"kimi: fault injection: {rule}: SIGKILL process {Environment.ProcessId}");
                Console.Error.Flush();
                Process.GetCurrentProcess().Kill();
                Thread.Sleep(Timeout.Infinite); // the signal is asynchronous: never handle the message meanwhile
                return false;
            case FaultAction.Throw:
            case FaultAction.KillProcess:
                throw new InjectedFaultException(rule, count);
            case FaultAction.Delay:
                Thread.Sleep(rule.Delay);
                return true;
            case FaultAction.DeviceOutOfMemory:
                if (_exhaustDevice is null) throw new InjectedFaultException(rule, count);
                _exhaustDevice();
                throw new InvalidOperationException($"fault injection: {rule}: the device granted an impossible allocation");
            default:
                return false;
        }
    }
}
