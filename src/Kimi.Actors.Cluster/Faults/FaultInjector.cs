using System.Diagnostics;
using Akka.Event;

namespace Kimi.Actors.Cluster.Faults;

/// <summary>
/// Applies a <see cref="FaultPlan"/> to the messages of one actor instance: counts each message type and, when a rule
/// fires, throws, kills the process, blocks or drops. Call <see cref="Admit"/> first thing for every message.
/// </summary>
public sealed class FaultInjector
{
    private readonly IReadOnlyList<FaultRule> _rules;
    private readonly string _target;
    private readonly int _incarnation;
    private readonly bool _ownsProcess;
    private readonly ILoggingAdapter? _log;
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    /// <param name="ownsProcess">
    /// False where the actor shares its process with others (an in-process worker): <see cref="FaultAction.KillProcess"/>
    /// then throws instead, so a chaos plan written for worker processes never takes the node down.
    /// </param>
    public FaultInjector(FaultPlan plan, string target, int incarnation, bool ownsProcess, ILoggingAdapter? log = null)
    {
        _rules = plan.Rules.Where(r => r.Target == target).ToList();
        _target = target;
        _incarnation = incarnation;
        _ownsProcess = ownsProcess;
        _log = log;
    }

    /// <summary>True when the message should be handled; false when a rule dropped it. May throw or never return.</summary>
    public bool Admit(object message)
    {
        if (_rules.Count == 0) return true;
        var type = message.GetType().Name;
        int count = _counts[type] = _counts.GetValueOrDefault(type) + 1;
        var rule = _rules.FirstOrDefault(r => r.Matches(_target, type) && r.Fires(count, _incarnation));
        if (rule is null) return true;
        _log?.Warning("fault injection: {0} (message #{1} of its type)", rule, count);
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
            default:
                return false;
        }
    }
}
