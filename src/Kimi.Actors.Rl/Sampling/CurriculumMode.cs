namespace Kimi.Actors.Rl.Sampling;

/// <summary>What makes a <see cref="CurriculumSchedule"/> admit harder prompts.</summary>
public enum CurriculumMode
{
    /// <summary>Fixed iteration thresholds: difficulty d becomes eligible from iteration t.</summary>
    IterationThresholds,

    /// <summary>One level more whenever the current top level's pooled success rate reaches a bar.</summary>
    SuccessRate,
}
