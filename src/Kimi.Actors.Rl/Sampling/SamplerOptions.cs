namespace Kimi.Actors.Rl.Sampling;

/// <summary>Configuration of a <see cref="PromptSampler"/>.</summary>
public sealed record SamplerOptions
{
    public SamplingStrategy Strategy { get; init; } = SamplingStrategy.Uniform;

    /// <summary>
    /// Lowest prioritised weight, in [0, 1]: a prompt's weight is max(Floor, 1 − success rate). A positive
    /// floor keeps mastered prompts (success rate 1) reachable, so a regression on them can still be
    /// seen; at 0 they are never drawn again.
    /// </summary>
    public double Floor
    {
        get;
        init => field = value is >= 0 and <= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Floor), value, "Must lie in [0, 1].");
    }

    /// <summary>Required by the curriculum strategies, ignored by the others.</summary>
    public CurriculumSchedule? Curriculum { get; init; }
}
