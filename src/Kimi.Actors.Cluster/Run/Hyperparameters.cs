using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;

namespace Kimi.Actors.Cluster.Run;

/// <summary>Which <c>kimi.*</c> keys may change while a run exists, and the check a change must pass before it is persisted.</summary>
public static class Hyperparameters
{
    /// <summary>Sections (ending in '.') and single keys that can change; everything else is fixed for the run's life.</summary>
    public static readonly string[] Mutable =
        ["kimi.rollout.", "kimi.optimization.", "kimi.length-penalty.", "kimi.sampling.floor", "kimi.eval.", "kimi.run.iterations"];

    /// <summary>
    /// The full key of a change (<c>kimi.</c> added when missing) and, when it cannot be accepted, why: a fixed key, or a
    /// value the run's options refuse once the change is applied (the message names the key and what is allowed).
    /// </summary>
    public static (string Key, string? Problem) Check(RunState state, string key, string value)
    {
        var full = key.StartsWith("kimi.", StringComparison.Ordinal) ? key : "kimi." + key;
        if (!Mutable.Any(full.StartsWith))
            return (full, $"{full} cannot change during a run (changeable: {string.Join(", ", Mutable.Select(s => s.TrimEnd('.') + (s.EndsWith('.') ? ".*" : "")))})");
        var candidate = state with { Changes = state.Changes.Add(new HyperparameterChanged(full, value, 0)) };
        try { RunOptionsBinder.Bind(candidate.EffectiveConfig()); }
        catch (Exception e) when (e is ConfigException or ConfigurationException or ArgumentException) { return (full, e.Message); }
        return (full, null);
    }
}
