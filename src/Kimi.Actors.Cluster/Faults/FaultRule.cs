using System.Globalization;

namespace Kimi.Actors.Cluster.Faults;

/// <summary>What a matching rule does to the message.</summary>
public enum FaultAction
{
    /// <summary>Throw <see cref="InjectedFaultException"/> instead of handling the message (supervision sees a failure).</summary>
    Throw,
    /// <summary>SIGKILL the whole process on receipt: nothing is flushed, exactly like a native abort.</summary>
    KillProcess,
    /// <summary>Block for <see cref="FaultRule.Delay"/>, then handle the message.</summary>
    Delay,
    /// <summary>Swallow the message without handling or answering it.</summary>
    Drop,
    /// <summary>
    /// Ask the worker's device for more memory than any device has, so libtorch's own allocator fails (on a GPU, CUDA's
    /// out-of-memory error) while the message is handled: a real device fault, not a stand-in exception. GPU workers only.
    /// </summary>
    DeviceOutOfMemory,
}

/// <summary>
/// One deterministic fault: on the <see cref="Nth"/> message of type <see cref="Message"/> an actor of kind
/// <see cref="Target"/> receives (or on every <see cref="Every"/>-th), do <see cref="Action"/>. Counting starts at 1
/// per actor instance, so a restarted worker counts afresh; <see cref="Incarnation"/> limits the rule to one
/// incarnation (1 = the first start) so a chaos run can fail once and then recover.
/// </summary>
/// <param name="Message">The message type's short name (<c>GenerateBatch</c>), or <c>*</c> for any message.</param>
/// <param name="Nth">Only the Nth matching message (0: not used).</param>
/// <param name="Every">Every Every-th matching message (0: not used). With neither, every matching message.</param>
/// <param name="Incarnation">Only in this incarnation of the actor (0: in all).</param>
/// <param name="Target">The kind of actor the rule is for (<see cref="FaultTargets"/>).</param>
public sealed record FaultRule(string Message, FaultAction Action, int Nth = 0, int Every = 0, TimeSpan Delay = default,
    int Incarnation = 0, string Target = FaultTargets.GpuWorker)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent field.</summary>
    public FaultRule Validate()
    {
        if (string.IsNullOrWhiteSpace(Message)) throw new ArgumentException("fault rule: message must name a message type (or *)");
        if (!FaultTargets.All.Contains(Target))
            throw new ArgumentException($"fault rule for {Message}: target {(Target.Length == 0 ? "\"\"" : Target)} is not one of {string.Join(", ", FaultTargets.All)}");
        if (Nth < 0 || Every < 0 || Incarnation < 0)
            throw new ArgumentException($"fault rule for {Message}: nth, every and incarnation must be >= 0");
        if (Nth > 0 && Every > 0) throw new ArgumentException($"fault rule for {Message}: give nth or every, not both");
        if (Action == FaultAction.DeviceOutOfMemory && Target != FaultTargets.GpuWorker)
            throw new ArgumentException($"fault rule for {Message}: action device-oom needs target {FaultTargets.GpuWorker} (only workers hold a device)");
        if (Action == FaultAction.Delay && Delay <= TimeSpan.Zero)
            throw new ArgumentException($"fault rule for {Message}: action delay needs a positive delay");
        return this;
    }

    /// <summary>Whether the <paramref name="count"/>-th message of a matching type, in <paramref name="incarnation"/>, triggers the rule.</summary>
    public bool Fires(int count, int incarnation) =>
        (Incarnation == 0 || Incarnation == incarnation)
        && (Nth > 0 ? count == Nth : Every <= 0 || count % Every == 0);

    public bool Matches(string target, string messageType) => Target == target && (Message == "*" || Message == messageType);

    /// <summary>The rule as one HOCON object, as <see cref="FaultPlan.ParseRule"/> reads it.</summary>
    public string ToHocon()
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{{ target = \"{Target}\", message = \"{Message}\", action = {FaultPlan.ActionName(Action)}, nth = {Nth}, every = {Every}, incarnation = {Incarnation}");
        if (Action == FaultAction.Delay) text += string.Create(CultureInfo.InvariantCulture, $", delay = {(long)Delay.TotalMilliseconds}ms");
        return text + " }";
    }

    public override string ToString()
    {
        var when = Nth > 0 ? $"message #{Nth}" : Every > 1 ? $"every {Every}-th message" : "every message";
        var what = Action == FaultAction.Delay ? $"delay {Delay.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms" : FaultPlan.ActionName(Action);
        return $"{what} on {when} {Message} of {Target}" + (Incarnation > 0 ? $" (incarnation {Incarnation})" : "");
    }
}

/// <summary>
/// Actor kinds that consult the fault plan: the GPU worker (in its own process by default), and the sharded entities by
/// their type names. An entity's <see cref="FaultAction.KillProcess"/> kills its node's process.
/// </summary>
public static class FaultTargets
{
    public const string GpuWorker = "gpu-worker";
    public const string Run = "run";
    public const string Prompt = "prompt";
    public const string RolloutGenerator = "rollout-generator";
    public const string Trainer = "trainer";
    public const string RewardJudge = "reward-judge";

    public static readonly IReadOnlyList<string> All = [GpuWorker, Run, Prompt, RolloutGenerator, Trainer, RewardJudge];

    /// <summary>Entity kinds count only protocol messages (what other actors send them), never Akka's own.</summary>
    public static bool IsEntity(string target) => target != GpuWorker;
}

/// <summary>A fault a <see cref="FaultRule"/> injected on purpose; its message names the rule.</summary>
public sealed class InjectedFaultException(FaultRule rule, int count)
    : Exception($"injected fault: {rule} (this was message #{count} of its type)")
{
    public FaultRule Rule { get; } = rule;
}
