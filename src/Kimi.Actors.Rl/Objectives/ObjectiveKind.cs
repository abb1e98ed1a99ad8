namespace Kimi.Actors.Rl.Objectives;

/// <summary>Policy-optimisation objectives sharing one training path.</summary>
public enum ObjectiveKind
{
    /// <summary>Kimi k1.5 online mirror descent: squared residual of (r − r̄) against τ·log-ratio, no value network.</summary>
    K15MirrorDescent,
    /// <summary>GRPO: group-normalised advantages with a PPO-style clipped token ratio.</summary>
    Grpo,
    /// <summary>REINFORCE with the group's mean reward as the baseline.</summary>
    Reinforce,
}

/// <summary>How token log-probs are reduced to log π(y|x) for the sequence-level objectives.</summary>
public enum LogProbReduction
{
    /// <summary>Sum over the response's tokens: the report's sequence log-probability.</summary>
    Sum,
    /// <summary>Mean over the response's tokens: a per-token variant, only when asked for.</summary>
    TokenMean,
}

public static class ObjectiveKinds
{
    private static readonly Dictionary<string, ObjectiveKind> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["k15"] = ObjectiveKind.K15MirrorDescent, ["grpo"] = ObjectiveKind.Grpo, ["reinforce"] = ObjectiveKind.Reinforce,
    };

    public static IReadOnlyCollection<string> Allowed => Names.Keys;

    public static ObjectiveKind Parse(string name) => Names.TryGetValue(name.Trim(), out var k)
        ? k : throw new ArgumentException($"unknown objective '{name}': expected one of {string.Join(", ", Names.Keys)}");

    public static string Name(ObjectiveKind kind) => Names.First(p => p.Value == kind).Key;
}
