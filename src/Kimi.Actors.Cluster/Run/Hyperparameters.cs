using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Cluster.Run;

/// <summary>
/// Which <c>kimi.*</c> keys may change while a run exists, by name (<see cref="Tunables"/>) or by key, and the check a
/// change must pass before it is persisted: the run's options must still bind with it applied, exactly as start-up
/// configuration is checked, and a refusal says what the key allows.
/// </summary>
public static class Hyperparameters
{
    /// <summary>Sections (ending in '.') and single keys that can change; everything else is fixed for the run's life.</summary>
    public static readonly string[] Mutable =
        ["kimi.rollout.", "kimi.optimization.", "kimi.length-penalty.", "kimi.sampling.", "kimi.eval.", "kimi.run.iterations"];

    /// <summary>What a requested change comes to.</summary>
    /// <param name="Key">The full key (<c>kimi.</c> added when missing), or the name as given when it names nothing.</param>
    /// <param name="Name">The tunable's short name, or the key when it has none.</param>
    /// <param name="Value">The value as the journal keeps it (HOCON text, quoted where HOCON would misread it).</param>
    /// <param name="Problem">Why it cannot be accepted; null when it can.</param>
    /// <param name="Allowed">What the key accepts (or which keys exist), for a refusal.</param>
    public sealed record Verdict(string Key, string Name, string Value, string? Problem, string? Allowed);

    /// <summary>The names the console knows, for "unknown hyperparameter" replies.</summary>
    public static string Names => string.Join(", ", Tunables.All.Select(t => t.Name));

    /// <summary>The full key for a name or key; null (with why) when it is neither a tunable nor a changeable key.</summary>
    public static (string? Key, string? Problem, string? Allowed) Resolve(string nameOrKey)
    {
        var text = nameOrKey.Trim();
        if (Tunables.Find(text) is { } tunable) return (tunable.Key, null, null);
        if (!text.Contains('.'))
        {
            var near = ConfigReader.Nearest(text, Tunables.All.Select(t => t.Name), maxDistance: 3);
            return (null, $"unknown hyperparameter '{text}'" + (near is null ? "" : $" (did you mean {near}?)"), $"one of {Names}, or a key under {MutableText}");
        }
        var full = text.StartsWith("kimi.", StringComparison.Ordinal) ? text : "kimi." + text;
        return Mutable.Any(full.StartsWith) ? (full, null, null)
            : (null, $"{full} cannot change during a run", $"one of {Names}, or a key under {MutableText}");
    }

    /// <summary>
    /// Checks <paramref name="value"/> for <paramref name="nameOrKey"/> against the run as it stands: the options must
    /// bind with the change applied. Pure: nothing is persisted.
    /// </summary>
    public static Verdict Check(RunState state, string nameOrKey, string value)
    {
        var (key, problem, allowed) = Resolve(nameOrKey);
        if (key is null) return new Verdict(nameOrKey.Trim(), nameOrKey.Trim(), value, problem, allowed);
        var hocon = KimiConfigLoader.QuoteIfNeeded(value.Trim());
        var candidate = state with { Changes = state.Changes.Add(new HyperparameterChanged(key, hocon, 0)) };
        try
        {
            RunOptionsBinder.Bind(candidate.EffectiveConfig());
            return new Verdict(key, NameOf(key), hocon, null, null);
        }
        catch (Exception e) when (e is ConfigException or ConfigurationException or ArgumentException)
        {
            return new Verdict(key, NameOf(key), hocon, e.Message, AllowedFor(state, key));
        }
    }

    /// <summary>What <paramref name="key"/> accepts in the run as it stands (bounds that depend on other keys filled in).</summary>
    public static string AllowedFor(RunState state, string key)
    {
        try { return RunOptionsBinder.Rules(state.EffectiveConfig()).GetValueOrDefault(key) ?? "see its comment in hocon/kimi.conf"; }
        catch (Exception e) when (e is ConfigException or ConfigurationException or ArgumentException) { return "see its comment in hocon/kimi.conf"; }
    }

    /// <summary>The short name of a key when it has one, else the key.</summary>
    public static string NameOf(string key) => Tunables.All.FirstOrDefault(t => t.Key == key)?.Name ?? key;

    /// <summary>The value in force for <paramref name="key"/> under <paramref name="options"/> (tunables), else from the configuration.</summary>
    public static string ValueOf(string key, RunOptions options, Config config) =>
        Tunables.All.FirstOrDefault(t => t.Key == key) is { } t ? t.ValueOf(options)
        : config.HasPath(key) && config.GetValue(key) is { } v && !v.IsObject() && !v.IsArray() ? v.GetString() : config.HasPath(key) ? "(object)" : "";

    private static string MutableText => string.Join(", ", Mutable.Select(s => s.TrimEnd('.') + (s.EndsWith('.') ? ".*" : "")));
}
