using Kimi.Actors.Cluster.Faults;

namespace Kimi.Console;

/// <summary>The rule <c>inject RULE</c> names, read with the same reader as <c>kimi.faults.rules</c> in configuration.</summary>
public static class FaultRules
{
    public static readonly string Allowed =
        $"target = one of {string.Join(", ", FaultTargets.All)} (default {FaultTargets.GpuWorker}); message = a message type or *; " +
        "action = throw, kill-process, delay or drop; nth = N or every = N (neither: every message); delay = DURATION (action delay); " +
        "incarnation = N (0: all)";

    /// <summary>
    /// KEY=VALUE words (<c>target=run message=BatchGenerated action=throw nth=2</c>) become one HOCON object; words that
    /// already are one (<c>{ target = run, ... }</c>, or fields with their own commas) are read as written.
    /// </summary>
    /// <exception cref="RefusedException">Not a valid rule; the message names the field.</exception>
    public static FaultRule Parse(IReadOnlyList<string> words)
    {
        var text = string.Join(' ', words).Trim();
        if (text.Length == 0) throw new RefusedException("inject: no rule given", Allowed);
        // Separate words are separate fields; HOCON wants them separated by commas.
        var hocon = text.StartsWith('{') ? text
            : words.All(w => w.Contains('=') && !w.Contains(',')) ? "{ " + string.Join(", ", words) + " }"
            : "{ " + text + " }";
        try { return FaultPlan.ParseRule(hocon, "inject RULE"); }
        catch (ArgumentException e) { throw new RefusedException(e.Message, Allowed); }
    }
}
