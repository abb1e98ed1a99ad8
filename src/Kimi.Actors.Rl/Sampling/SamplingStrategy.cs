namespace Kimi.Actors.Rl.Sampling;

/// <summary>
/// How <see cref="PromptSampler"/> weights prompts. Configuration spells these in kebab case
/// ("uniform", "curriculum", "prioritized", "curriculum-prioritized"); see <see cref="SamplingStrategies"/>.
/// </summary>
public enum SamplingStrategy
{
    /// <summary>Every prompt has weight 1.</summary>
    Uniform,

    /// <summary>Weight 1 for prompts the curriculum admits, 0 for the rest.</summary>
    Curriculum,

    /// <summary>Weight max(floor, 1 − success rate).</summary>
    Prioritized,

    /// <summary>Prioritised weights, restricted to the prompts the curriculum admits.</summary>
    CurriculumPrioritized,
}
