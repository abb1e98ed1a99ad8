using System.Globalization;
using Kimi.Actors.Rl.Sampling;

namespace Kimi.Actors.Rl.Training;

/// <summary>
/// A run option a researcher may change while the run goes on (from the console, or <c>kimi train --resume --set</c>):
/// its short name, the configuration key that holds it, and how to read the value in force from bound options. The value
/// is written the way the key accepts it, so it can be set back as it is.
/// </summary>
/// <param name="Name">What the console calls it (<c>tau</c>, <c>learning-rate</c>).</param>
/// <param name="Key">The configuration key (<c>kimi.optimization.tau</c>).</param>
public sealed record Tunable(string Name, string Key, string Description, Func<RunOptions, string> ValueOf);

/// <summary>
/// The options that can change mid-run by name, in the order the console lists them, and the values in force for a set
/// of options (what each iteration's metrics record). Every one takes effect at the next iteration boundary.
/// </summary>
public static class Tunables
{
    public static IReadOnlyList<Tunable> All { get; } =
    [
        new("tau", "kimi.optimization.tau", "weight of the log-ratio term in the k1.5 loss (and GRPO's KL term)",
            o => Number(o.Optimization.Tau)),
        new("learning-rate", "kimi.optimization.learning-rate", "the RL optimizer's learning rate", o => Number(o.Optimization.LearningRate)),
        new("length-penalty-weight", "kimi.length-penalty.weight", "weight of the k1.5 length reward added to the rewards",
            o => Number(o.LengthPenalty.Weight)),
        new("length-penalty-warmup", "kimi.length-penalty.warmup-iterations", "iterations before the length penalty applies",
            o => Number(o.LengthPenalty.WarmupIterations)),
        new("token-budget", "kimi.rollout.token-budget", "output tokens per generator per iteration (partial rollouts; 0: off)",
            o => Number(o.Rollout.TokenBudget ?? 0)),
        new("temperature", "kimi.rollout.temperature", "rollout sampling temperature", o => Number(o.Rollout.Temperature)),
        new("top-p", "kimi.rollout.top-p", "rollout nucleus sampling mass", o => Number(o.Rollout.TopP)),
        new("samples-per-prompt", "kimi.rollout.samples-per-prompt", "responses per prompt (k)", o => Number(o.Rollout.SamplesPerPrompt)),
        new("prompts-per-iteration", "kimi.rollout.prompts-per-iteration", "groups in flight per iteration",
            o => Number(o.Rollout.PromptsPerIteration)),
        new("max-response-tokens", "kimi.rollout.max-response-tokens", "longest response", o => Number(o.Rollout.MaxResponseTokens)),
        new("sampling-strategy", "kimi.sampling.strategy", "how prompts are drawn", o => o.Sampling.Strategy.ToName()),
        new("sampling-floor", "kimi.sampling.floor", "lowest prioritised weight of a prompt", o => Number(o.Sampling.Floor)),
        new("curriculum-mode", "kimi.sampling.curriculum.mode", "when the curriculum admits the next difficulty",
            o => o.Sampling.Curriculum?.Mode == CurriculumMode.SuccessRate ? "success-rate" : "iterations"),
        new("curriculum-levels", "kimi.sampling.curriculum.levels",
            "iteration mode: difficulty:iteration pairs, each admitting difficulties up to it from that iteration on",
            o => LevelText(o.Sampling.Curriculum?.Thresholds ?? [])),
        new("curriculum-success-bar", "kimi.sampling.curriculum.success-bar", "success-rate mode: the top level's pooled success rate that admits the next",
            o => Number(o.Sampling.Curriculum?.SuccessBar ?? 0)),
        new("eval-every", "kimi.eval.every-iterations", "held-out evaluation every N iterations (0: only at the ends)",
            o => Number(o.Eval.EveryIterations)),
    ];

    /// <summary>The tunable named <paramref name="nameOrKey"/>: its short name, or its key with or without <c>kimi.</c>.</summary>
    public static Tunable? Find(string nameOrKey)
    {
        var text = nameOrKey.Trim();
        return All.FirstOrDefault(t => string.Equals(t.Name, text, StringComparison.OrdinalIgnoreCase))
            ?? All.FirstOrDefault(t => t.Key == text || t.Key == "kimi." + text);
    }

    /// <summary>Name → value in force, for every tunable, in <see cref="All"/>'s order.</summary>
    public static IReadOnlyDictionary<string, string> ValuesOf(RunOptions options)
    {
        var values = new Dictionary<string, string>(All.Count);
        foreach (var t in All) values[t.Name] = t.ValueOf(options);
        return values;
    }

    /// <summary>Curriculum thresholds as <c>kimi.sampling.curriculum.levels</c> takes them as text: <c>2:5,3:10</c> (empty: none).</summary>
    public static string LevelText(IEnumerable<LevelThreshold> thresholds) =>
        string.Join(",", thresholds.OrderBy(t => t.Difficulty).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Difficulty}:{t.FromIteration}")));

    /// <summary>Parses <see cref="LevelText"/>; the message says what is wrong.</summary>
    /// <exception cref="ArgumentException">Not DIFFICULTY:ITERATION pairs (difficulty >= 1, iteration >= 0) separated by commas.</exception>
    public static IReadOnlyList<LevelThreshold> ParseLevels(string text)
    {
        var levels = new List<LevelThreshold>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var pair = part.Split(':', StringSplitOptions.TrimEntries);
            if (pair.Length != 2 || !int.TryParse(pair[0], NumberStyles.None, CultureInfo.InvariantCulture, out int difficulty) || difficulty < 1
                || !int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out int from))
                throw new ArgumentException($"'{part}' is not DIFFICULTY:ITERATION (a difficulty >= 1 and an iteration >= 0, e.g. 2:5,3:10)");
            if (levels.Any(l => l.Difficulty == difficulty)) throw new ArgumentException($"difficulty {difficulty} is given twice");
            levels.Add(new LevelThreshold(difficulty, from));
        }
        return levels;
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
