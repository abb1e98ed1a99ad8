using Kimi.Actors.Cluster.Configuration;

namespace Kimi.Bench.Ablation;

/// <summary>One side of a comparison: a name and the <c>--set</c> settings that make it, layered over the base preset.</summary>
public sealed record AblationArm(string Name, IReadOnlyList<string> Settings);

/// <summary>
/// One method piece switched on and off (or one objective against the others). The first arm is the method's own
/// choice; the others are compared against it.
/// </summary>
public sealed record AblationStudy(string Name, string Question, IReadOnlyList<AblationArm> Arms)
{
    public AblationArm Reference => Arms[0];
}

/// <summary>What the budget-dependent arms need: the run's length and the partial-rollout arm's token budget.</summary>
/// <param name="Iterations">RL iterations of every arm.</param>
/// <param name="TokenBudget">Output tokens per iteration of the partial-rollouts arm.</param>
public sealed record StudyBudget(int Iterations, long TokenBudget);

/// <summary>
/// The report's ablations as run configuration overrides, each on the key hocon/kimi.conf selects the piece with
/// (sampling.strategy, length-penalty.*, optimization.objective, rollout.token-budget). Nothing here changes warm-up
/// SFT, the tasks or the model, so all arms of one seed can start from one SFT policy.
/// </summary>
public static class AblationStudies
{
    public const string All = "all";
    public const string Curriculum = "curriculum", Prioritised = "prioritised", LengthPenalty = "length-penalty",
        Objective = "objective", PartialRollouts = "partial-rollouts";

    public static IReadOnlyList<string> Names { get; } = [Curriculum, Prioritised, LengthPenalty, Objective, PartialRollouts];

    /// <summary>What is wrong with a <c>--study</c> value, or null.</summary>
    public static string? Problem(string name) =>
        name == All || Names.Contains(name) ? null : $"expected one of {string.Join(", ", Names)} or {All}";

    /// <summary>The studies named (<c>all</c>: every one), each once, in catalogue order.</summary>
    public static IReadOnlyList<AblationStudy> Select(IReadOnlyList<string> names, StudyBudget budget)
    {
        var wanted = names.Contains(All) ? Names : names;
        return Names.Where(wanted.Contains).Select(n => Of(n, budget)).ToList();
    }

    public static AblationStudy Of(string name, StudyBudget budget) => name switch
    {
        // Fig. 9: uniform among the levels the curriculum admits (its schedule: sampling.curriculum) against uniform over all.
        Curriculum => new(name, "curriculum (easy levels first) vs uniform sampling (report Fig. 9)",
            [Arm("curriculum", "sampling.strategy=curriculum"), Arm("uniform", "sampling.strategy=uniform")]),
        Prioritised => new(name, "prioritised (weight 1 - success rate) vs uniform sampling",
            [Arm("prioritised", "sampling.strategy=prioritised"), Arm("uniform", "sampling.strategy=uniform")]),
        // Fig. 7 (token efficiency): the default weight of hocon/kimi.conf, its warm-up a quarter of the run as there.
        LengthPenalty => new(name, "length penalty on vs off (report Fig. 7: token efficiency)",
            [Arm("on", $"length-penalty.weight={DefaultLengthPenaltyWeight}", $"length-penalty.warmup-iterations={budget.Iterations / 4}"),
             Arm("off", "length-penalty.weight=0")]),
        Objective => new(name, "k1.5 online mirror descent vs GRPO vs REINFORCE",
            [Arm("k15", "optimization.objective=k15"), Arm("grpo", "optimization.objective=grpo"), Arm("reinforce", "optimization.objective=reinforce")]),
        PartialRollouts => new(name, "partial rollouts (a token budget per iteration) on vs off",
            [Arm("on", $"rollout.token-budget={budget.TokenBudget}"), Arm("off", "rollout.token-budget=0")]),
        _ => throw new ArgumentException($"unknown study '{name}': {Problem(name)}"),
    };

    /// <summary>Response tokens the partial-rollouts arm's default budget allows per response: about the running sums' median.</summary>
    public const int TokensPerResponse = 16;

    /// <summary>The length-penalty weight `kimi train` uses by default (hocon/kimi.conf), so the "on" arm is what users get.</summary>
    private static string DefaultLengthPenaltyWeight =>
        KimiConfigLoader.Load(null, [], []).GetString("kimi.length-penalty.weight");

    private static AblationArm Arm(string name, params string[] settings) => new(name, settings);
}
