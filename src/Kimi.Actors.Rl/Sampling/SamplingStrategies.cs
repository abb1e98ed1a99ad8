namespace Kimi.Actors.Rl.Sampling;

/// <summary>Kebab-case names of <see cref="SamplingStrategy"/> and what each strategy switches on.</summary>
public static class SamplingStrategies
{
    private static readonly (string Name, SamplingStrategy Value)[] Names =
    [
        ("uniform", SamplingStrategy.Uniform),
        ("curriculum", SamplingStrategy.Curriculum),
        ("prioritized", SamplingStrategy.Prioritized),
        ("curriculum-prioritized", SamplingStrategy.CurriculumPrioritized),
    ];

    /// <summary>The accepted names, in declaration order.</summary>
    public static IReadOnlyList<string> AllowedNames { get; } = Array.ConvertAll(Names, n => n.Name);

    /// <summary>Parses a kebab-case name (case-insensitive, surrounding white space ignored).</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="AllowedNames"/>; the message lists them.</exception>
    public static SamplingStrategy Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return TryParse(name, out var strategy)
            ? strategy
            : throw new ArgumentException(
                $"Unknown sampling strategy '{name}'. Allowed: {string.Join(", ", AllowedNames)}.", nameof(name));
    }

    public static bool TryParse(string? name, out SamplingStrategy strategy)
    {
        // British spelling (as in DESIGN.md) is accepted too; names are written back in the canonical form.
        string trimmed = (name?.Trim() ?? "").Replace("prioritised", "prioritized", StringComparison.OrdinalIgnoreCase);
        foreach (var (n, value) in Names)
        {
            if (string.Equals(n, trimmed, StringComparison.OrdinalIgnoreCase))
            {
                strategy = value;
                return true;
            }
        }
        strategy = default;
        return false;
    }

    /// <summary>The kebab-case name, the inverse of <see cref="Parse"/>.</summary>
    public static string ToName(this SamplingStrategy strategy)
    {
        foreach (var (n, value) in Names)
            if (value == strategy)
                return n;
        throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Not a defined sampling strategy.");
    }

    public static bool UsesCurriculum(this SamplingStrategy strategy) =>
        strategy is SamplingStrategy.Curriculum or SamplingStrategy.CurriculumPrioritized;

    public static bool UsesPriority(this SamplingStrategy strategy) =>
        strategy is SamplingStrategy.Prioritized or SamplingStrategy.CurriculumPrioritized;
}
