namespace Kimi.Actors.Rl.Sampling;

/// <summary>
/// Per-prompt state of one run's prompt set (difficulty, attempts, successes) and weighted draws from
/// it, all O(log N) through a <see cref="SumTree"/>, so N can be millions.
/// </summary>
/// <remarks>
/// Weight of prompt i: 0 when the curriculum (if the strategy uses one) has not admitted its difficulty;
/// otherwise max(Floor, 1 − s_i) when the strategy is prioritised, s_i = successes / attempts (0 before
/// the first attempt); otherwise 1. Not thread-safe: one owner (the run) drives it.
/// </remarks>
public sealed class PromptSampler
{
    private readonly SamplerOptions _options;
    private readonly CurriculumSchedule? _curriculum;
    private readonly bool _prioritized;
    private readonly SumTree _tree;
    private readonly long[] _attempts;
    private readonly long[] _successes;

    // Curriculum levels are the distinct difficulties, ascending; each prompt stores its level's index
    // and each level its members, so admitting a level touches only its own prompts.
    private readonly int[] _levels;
    private readonly int[] _levelOf;
    private readonly int[][] _levelMembers;
    private readonly long[] _levelAttempts;
    private readonly long[] _levelSuccesses;
    private int _topLevel;
    private int _maxEligibleDifficulty;

    // Weights taken out of the tree during one draw; reused so a draw allocates only its result.
    private double[] _held = [];

    /// <param name="difficulties">Difficulty label of each prompt; prompt i is index i everywhere below.</param>
    /// <exception cref="ArgumentException">There are no prompts, or a curriculum strategy has no <see cref="SamplerOptions.Curriculum"/>.</exception>
    public PromptSampler(IReadOnlyList<int> difficulties, SamplerOptions options)
    {
        ArgumentNullException.ThrowIfNull(difficulties);
        ArgumentNullException.ThrowIfNull(options);
        if (difficulties.Count == 0)
            throw new ArgumentException("The prompt set is empty.", nameof(difficulties));
        if (options.Strategy.UsesCurriculum() && options.Curriculum is null)
            throw new ArgumentException(
                $"Strategy '{options.Strategy.ToName()}' needs SamplerOptions.Curriculum.", nameof(options));

        _options = options;
        _curriculum = options.Strategy.UsesCurriculum() ? options.Curriculum : null;
        _prioritized = options.Strategy.UsesPriority();
        int n = difficulties.Count;
        _attempts = new long[n];
        _successes = new long[n];

        _levels = difficulties.Distinct().Order().ToArray();
        _levelOf = new int[n];
        var sizes = new int[_levels.Length];
        for (int i = 0; i < n; i++)
        {
            int level = Array.BinarySearch(_levels, difficulties[i]);
            _levelOf[i] = level;
            sizes[level]++;
        }
        _levelMembers = Array.ConvertAll(sizes, size => new int[size]);
        Array.Clear(sizes);
        for (int i = 0; i < n; i++)
            _levelMembers[_levelOf[i]][sizes[_levelOf[i]]++] = i;
        _levelAttempts = new long[_levels.Length];
        _levelSuccesses = new long[_levels.Length];

        if (_curriculum is null)
        {
            _topLevel = _levels.Length - 1;
            _maxEligibleDifficulty = _levels[^1];
        }
        else
        {
            _topLevel = 0;
            _maxEligibleDifficulty = _levels[0];
            // The tree is built below from WeightOf, so only the level moves here.
            if (_curriculum.Mode == CurriculumMode.IterationThresholds)
                RaiseLevel(_curriculum.ThresholdDifficultyAt(0) ?? _levels[0]);
        }

        _tree = new SumTree(n);
        var weights = new double[n];
        for (int i = 0; i < n; i++)
            weights[i] = WeightOf(i);
        _tree.SetAll(weights);
    }

    /// <summary>Number of prompts.</summary>
    public int Count => _attempts.Length;

    public SamplingStrategy Strategy => _options.Strategy;

    public SamplerOptions Options => _options;

    /// <summary>
    /// Prompts with difficulty ≤ this are eligible. Without a curriculum: the highest difficulty. In
    /// iteration mode it is the highest threshold reached, which may lie between (or above) the
    /// difficulties present.
    /// </summary>
    public int MaxEligibleDifficulty => _maxEligibleDifficulty;

    public int Difficulty(int i) => _levels[_levelOf[CheckIndex(i)]];

    /// <summary>successes / attempts, 0 for a prompt never attempted.</summary>
    public double SuccessRate(int i)
    {
        long attempts = _attempts[CheckIndex(i)];
        return attempts == 0 ? 0 : (double)_successes[i] / attempts;
    }

    public (long Attempts, long Successes) Counts(int i) => (_attempts[CheckIndex(i)], _successes[i]);

    /// <summary>Probability that a single-prompt draw returns prompt i now (0 when nothing has weight).</summary>
    public double Probability(int i)
    {
        double weight = _tree[CheckIndex(i)];
        return weight == 0 ? 0 : weight / _tree.Total;
    }

    /// <summary>
    /// Draws up to <paramref name="n"/> distinct prompts, each draw weighted by the current weights of the
    /// prompts not yet drawn in this call (sampling without replacement). When fewer than n prompts have
    /// positive weight, returns all of those, so the result can be shorter than n. O(n log N).
    /// </summary>
    public int[] Draw(int n, Random rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentNullException.ThrowIfNull(rng);
        int target = Math.Min(n, Count);
        if (_held.Length < target)
            _held = new double[Math.Max(target, 2 * _held.Length)];

        var drawn = new int[target];
        int count = 0;
        try
        {
            // Take each drawn prompt's weight out of the tree so later draws cannot repeat it.
            while (count < target && _tree.Total > 0)
            {
                int i = _tree.Find(rng.NextDouble() * _tree.Total);
                _held[count] = _tree[i];
                _tree[i] = 0;
                drawn[count++] = i;
            }
        }
        finally
        {
            for (int k = 0; k < count; k++)
                _tree[drawn[k]] = _held[k];
        }
        return count == target ? drawn : drawn[..count];
    }

    /// <summary>Adds judged attempts of prompt <paramref name="index"/>; O(log N).</summary>
    public void Record(int index, int attempts, int successes)
    {
        CheckCounts(index, attempts, successes);
        SetCounts(index, _attempts[index] + attempts, _successes[index] + successes);
    }

    /// <summary>Sets a prompt's counts outright, for rebuilding state from persisted events; O(log N).</summary>
    public void Restore(int index, long attempts, long successes)
    {
        CheckCounts(index, attempts, successes);
        SetCounts(index, attempts, successes);
    }

    /// <summary>
    /// A sampler over the same prompts and counts with other options (a strategy, floor or curriculum changed mid-run). The
    /// curriculum level reached is kept when both use a curriculum (levels never go back); a curriculum that starts anew
    /// begins at the lowest difficulty and advances by its own schedule from the next <see cref="OnIterationStart"/>.
    /// O(N + attempted prompts × log N).
    /// </summary>
    public PromptSampler WithOptions(SamplerOptions options)
    {
        var difficulties = new int[Count];
        for (int i = 0; i < Count; i++) difficulties[i] = _levels[_levelOf[i]];
        var next = new PromptSampler(difficulties, options);
        for (int i = 0; i < Count; i++)
            if (_attempts[i] > 0) next.Restore(i, _attempts[i], _successes[i]);
        if (_curriculum is not null) next.AdvanceCurriculumTo(_maxEligibleDifficulty);
        return next;
    }

    /// <summary>
    /// Advances the curriculum (if any) at the start of 0-based <paramref name="iteration"/>: in iteration
    /// mode to the highest threshold reached, in success-rate mode by at most one level. Never goes back.
    /// </summary>
    public void OnIterationStart(int iteration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iteration);
        if (_curriculum is null)
            return;
        if (_curriculum.Mode == CurriculumMode.IterationThresholds)
        {
            if (_curriculum.ThresholdDifficultyAt(iteration) is { } difficulty)
                RaiseMaxEligible(difficulty);
        }
        else if (_topLevel + 1 < _levels.Length
                 && _curriculum.PassesBar(_levelAttempts[_topLevel], _levelSuccesses[_topLevel]))
        {
            RaiseMaxEligible(_levels[_topLevel + 1]);
        }
    }

    /// <summary>
    /// Admits every difficulty ≤ <paramref name="difficulty"/> at once (no-op when already admitted), for
    /// recovery: success-rate advances depend on history, so the owner persists the level it reached
    /// and restores it here. Ignored without a curriculum.
    /// </summary>
    public void AdvanceCurriculumTo(int difficulty)
    {
        if (_curriculum is not null)
            RaiseMaxEligible(difficulty);
    }

    /// <summary>
    /// The <paramref name="count"/> attempted prompts with the lowest success rate, weakest first (ties:
    /// more attempts first, then lower index). Never-attempted prompts carry no evidence and are left out.
    /// O(N log count), meant for occasional statistics.
    /// </summary>
    public IEnumerable<(int Index, double SuccessRate, long Attempts)> Weakest(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
            return [];
        // Bounded heap whose root is the least weak prompt kept, so it is the one to evict.
        var heap = new PriorityQueue<int, (double Rate, long Attempts, int Index)>(
            count + 1, Comparer<(double Rate, long Attempts, int Index)>.Create((a, b) => CompareWeakness(b, a)));
        for (int i = 0; i < Count; i++)
        {
            if (_attempts[i] == 0)
                continue;
            var key = (SuccessRate(i), _attempts[i], i);
            if (heap.Count < count)
                heap.Enqueue(i, key);
            else if (heap.TryPeek(out _, out var worstKept) && CompareWeakness(key, worstKept) < 0)
                heap.EnqueueDequeue(i, key);
        }
        var result = new (int, double, long)[heap.Count];
        for (int k = result.Length - 1; heap.TryDequeue(out int i, out var key); k--)
            result[k] = (i, key.Rate, key.Attempts);
        return result;
    }

    private static int CompareWeakness((double Rate, long Attempts, int Index) a, (double Rate, long Attempts, int Index) b)
    {
        int c = a.Rate.CompareTo(b.Rate);
        if (c == 0)
            c = b.Attempts.CompareTo(a.Attempts);
        return c != 0 ? c : a.Index.CompareTo(b.Index);
    }

    private void SetCounts(int index, long attempts, long successes)
    {
        int level = _levelOf[index];
        _levelAttempts[level] += attempts - _attempts[index];
        _levelSuccesses[level] += successes - _successes[index];
        _attempts[index] = attempts;
        _successes[index] = successes;
        if (_prioritized)
            _tree[index] = WeightOf(index);
    }

    private void RaiseMaxEligible(int difficulty)
    {
        int oldTop = _topLevel;
        RaiseLevel(difficulty);
        for (int level = oldTop + 1; level <= _topLevel; level++)
        {
            foreach (int i in _levelMembers[level])
                _tree[i] = WeightOf(i);
        }
    }

    private void RaiseLevel(int difficulty)
    {
        if (difficulty <= _maxEligibleDifficulty)
            return;
        _maxEligibleDifficulty = difficulty;
        while (_topLevel + 1 < _levels.Length && _levels[_topLevel + 1] <= difficulty)
            _topLevel++;
    }

    private double WeightOf(int i)
    {
        if (_levelOf[i] > _topLevel)
            return 0;
        return _prioritized ? Math.Max(_options.Floor, 1 - SuccessRate(i)) : 1;
    }

    private int CheckIndex(int i)
    {
        if ((uint)i >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(i), i, $"Must lie in [0, {Count}).");
        return i;
    }

    private void CheckCounts(int index, long attempts, long successes)
    {
        CheckIndex(index);
        ArgumentOutOfRangeException.ThrowIfNegative(attempts);
        if (successes < 0 || successes > attempts)
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"Must lie in [0, attempts = {attempts}].");
    }
}
