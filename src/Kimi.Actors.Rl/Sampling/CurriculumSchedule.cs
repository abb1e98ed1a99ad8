namespace Kimi.Actors.Rl.Sampling;

/// <summary>
/// When harder prompts become eligible, easy → hard. A prompt is eligible while its difficulty is at
/// most <see cref="PromptSampler.MaxEligibleDifficulty"/>; the lowest difficulty of the prompt set is
/// always eligible, and levels never go back. Immutable: the current level lives in the sampler.
/// </summary>
public sealed class CurriculumSchedule : IEquatable<CurriculumSchedule>
{
    private readonly LevelThreshold[] _thresholds;

    private CurriculumSchedule(CurriculumMode mode, LevelThreshold[] thresholds, double successBar, long minAttempts)
    {
        Mode = mode;
        _thresholds = thresholds;
        SuccessBar = successBar;
        MinAttempts = minAttempts;
    }

    public CurriculumMode Mode { get; }

    /// <summary>The iteration thresholds (empty in <see cref="CurriculumMode.SuccessRate"/> mode).</summary>
    public IReadOnlyList<LevelThreshold> Thresholds => _thresholds;

    /// <summary>Pooled success rate the top level must reach before the next one is admitted (success-rate mode).</summary>
    public double SuccessBar { get; }

    /// <summary>Pooled attempts the top level needs before its success rate counts (success-rate mode).</summary>
    public long MinAttempts { get; }

    /// <summary>
    /// Iteration mode: each threshold admits difficulties up to <see cref="LevelThreshold.Difficulty"/> from
    /// its iteration on, e.g. <c>ByIteration(new(2, 10), new(3, 25))</c>. Difficulties above every
    /// threshold are never admitted; with no thresholds only the lowest difficulty is.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A threshold's iteration is negative.</exception>
    public static CurriculumSchedule ByIteration(params IEnumerable<LevelThreshold> thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        var copy = thresholds.ToArray();
        foreach (var t in copy)
        {
            if (t.FromIteration < 0)
                throw new ArgumentOutOfRangeException(nameof(thresholds), t, "FromIteration must be non-negative.");
        }
        return new CurriculumSchedule(CurriculumMode.IterationThresholds, copy, successBar: 0, minAttempts: 0);
    }

    /// <summary>
    /// Success-rate mode: at the start of an iteration, admit the next difficulty present in the prompt set
    /// when the current top difficulty has at least <paramref name="minAttempts"/> attempts pooled over its
    /// prompts and successes/attempts ≥ <paramref name="successBar"/>. At most one level per iteration.
    /// </summary>
    public static CurriculumSchedule BySuccessRate(double successBar, long minAttempts)
    {
        if (!(successBar >= 0 && successBar <= 1))
            throw new ArgumentOutOfRangeException(nameof(successBar), successBar, "Must lie in [0, 1].");
        ArgumentOutOfRangeException.ThrowIfLessThan(minAttempts, 1);
        return new CurriculumSchedule(CurriculumMode.SuccessRate, [], successBar, minAttempts);
    }

    /// <summary>Iteration mode: the highest difficulty a threshold admits at <paramref name="iteration"/>, or null when none has started.</summary>
    public int? ThresholdDifficultyAt(int iteration)
    {
        int? best = null;
        foreach (var t in _thresholds)
        {
            if (t.FromIteration <= iteration && (best is null || t.Difficulty > best))
                best = t.Difficulty;
        }
        return best;
    }

    /// <summary>Success-rate mode: whether a level with these pooled counts has earned the next one.</summary>
    public bool PassesBar(long attempts, long successes) =>
        Mode == CurriculumMode.SuccessRate && attempts >= MinAttempts && (double)successes / attempts >= SuccessBar;

    /// <summary>Same mode, bar and thresholds: a re-bound configuration that did not change the schedule equals the old one.</summary>
    public bool Equals(CurriculumSchedule? other) =>
        other is not null && Mode == other.Mode && SuccessBar.Equals(other.SuccessBar) && MinAttempts == other.MinAttempts
        && _thresholds.OrderBy(t => t.Difficulty).ThenBy(t => t.FromIteration)
            .SequenceEqual(other._thresholds.OrderBy(t => t.Difficulty).ThenBy(t => t.FromIteration));

    public override bool Equals(object? obj) => Equals(obj as CurriculumSchedule);

    public override int GetHashCode() => HashCode.Combine(Mode, SuccessBar, MinAttempts, _thresholds.Length);
}
