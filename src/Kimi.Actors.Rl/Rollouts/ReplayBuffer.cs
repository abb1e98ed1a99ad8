using Kimi.Actors.Model.Generation;

namespace Kimi.Actors.Rl.Rollouts;

/// <summary>One prompt's group of k samples drawn at <paramref name="Iteration"/>: the unit that trains.</summary>
public readonly record struct GroupKey(string PromptId, int Iteration)
{
    public override string ToString() => $"{PromptId}#{Iteration}";
}

/// <summary>
/// A group that has not trained yet: its judged (finished) samples and its unfinished ones, each carrying its tokens,
/// segment boundaries and the policy version of every segment, waiting to be resumed.
/// </summary>
public sealed record OpenGroup(string PromptId, int Iteration, int K, int[] PromptTokens,
    IReadOnlyList<JudgedTrajectory> Finished, IReadOnlyList<Trajectory> Unfinished)
{
    public GroupKey Key => new(PromptId, Iteration);
}

/// <summary>What a <see cref="ReplayBuffer"/> holds, as plain data (journaled with each committed iteration).</summary>
public sealed record ReplaySnapshot(IReadOnlyList<OpenGroup> Groups)
{
    public static readonly ReplaySnapshot Empty = new([]);
}

/// <summary>
/// A run's samples between generation and training (k1.5 partial rollouts, §2.6.2). A group is opened when its prompt
/// is drawn; a response cut by the generator's token budget waits here and is resumed first next iteration; a finished,
/// judged response waits for the rest of its group; a group leaves for training only when all k are finished.
/// Delivery into it is at-least-once (a re-sent batch, a redelivered verdict): a finished trajectory id counts once, and
/// an unfinished one only replaces a shorter copy of itself. It lives with the run, not with a generator, so a crashed
/// generator loses nothing.
/// </summary>
public sealed class ReplayBuffer
{
    private sealed class Group(string promptId, int iteration, int k, int[] promptTokens)
    {
        public readonly string PromptId = promptId;
        public readonly int Iteration = iteration;
        public readonly int K = k;
        public readonly int[] PromptTokens = promptTokens;
        public readonly SortedDictionary<int, JudgedTrajectory> Finished = [];
        public readonly SortedDictionary<int, Trajectory> Unfinished = [];
        public bool Complete => Finished.Count == K;
    }

    // Insertion order is the order groups were opened: older groups resume and train first.
    private readonly List<GroupKey> _order = [];
    private readonly Dictionary<GroupKey, Group> _groups = [];
    private readonly Dictionary<string, GroupKey> _openByPrompt = new(StringComparer.Ordinal);
    private readonly HashSet<string> _finishedIds = new(StringComparer.Ordinal);

    public int OpenGroups => _groups.Count;
    public int UnfinishedCount => _groups.Values.Sum(g => g.Unfinished.Count);
    public int Duplicates { get; private set; }

    /// <summary>Whether <paramref name="promptId"/> has a group still open (its prompt is not drawn again until it trains).</summary>
    public bool IsOpen(string promptId) => _openByPrompt.ContainsKey(promptId);

    public IReadOnlyCollection<string> OpenPrompts => _openByPrompt.Keys;

    /// <summary>Opens the group of a freshly drawn prompt.</summary>
    public void Open(string promptId, int iteration, int k, int[] promptTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (_openByPrompt.TryGetValue(promptId, out var open))
            throw new InvalidOperationException($"prompt {promptId} already has an open group ({open})");
        var key = new GroupKey(promptId, iteration);
        _groups[key] = new Group(promptId, iteration, k, promptTokens);
        _order.Add(key);
        _openByPrompt[promptId] = key;
    }

    /// <summary>
    /// Takes a generated response: an unfinished one (cut by the budget) waits to be resumed, a finished one must be
    /// judged (<see cref="AddJudged"/>). False when it belongs to no open group or repeats what is already here.
    /// </summary>
    public bool AddUnfinished(Trajectory trajectory)
    {
        if (trajectory.Finished) throw new ArgumentException($"trajectory {trajectory.TrajectoryId} is finished ({trajectory.StopReason}); judge it");
        var group = GroupOf(trajectory);
        if (group is null || _finishedIds.Contains(trajectory.TrajectoryId)
            || group.Unfinished.TryGetValue(trajectory.Sample, out var held) && held.Length >= trajectory.Length)
        {
            Duplicates++;
            return false;
        }
        group.Unfinished[trajectory.Sample] = trajectory;
        return true;
    }

    /// <summary>Adds a judged, finished sample; false (and counted) when its trajectory id was already added.</summary>
    public bool AddJudged(JudgedTrajectory judged)
    {
        var t = judged.Trajectory;
        if (!t.Finished) throw new ArgumentException($"trajectory {t.TrajectoryId} is unfinished ({t.StopReason}); it cannot be judged yet");
        var group = GroupOf(t);
        if (group is null || !_finishedIds.Add(t.TrajectoryId))
        {
            Duplicates++;
            return false;
        }
        group.Unfinished.Remove(t.Sample);
        group.Finished[t.Sample] = judged;
        return true;
    }

    /// <summary>Requests that resume every unfinished response, oldest group first (re-prefilled under the current weights).</summary>
    public List<RolloutRequest> Continuations()
    {
        var requests = new List<RolloutRequest>();
        foreach (var key in _order)
            foreach (var t in _groups[key].Unfinished.Values)
                requests.Add(new RolloutRequest(t.PromptId, _groups[key].PromptTokens, t.Iteration, t.Sample,
                    t.ResponseTokens, t.RolloutLogProbs, t.Segments));
        return requests;
    }

    /// <summary>Removes and returns every group whose k samples are all finished and judged, oldest first, samples in order.</summary>
    public List<OpenGroup> TakeComplete()
    {
        var complete = new List<OpenGroup>();
        foreach (var key in _order.ToList())
        {
            var g = _groups[key];
            if (!g.Complete) continue;
            complete.Add(ToOpenGroup(g));
            _groups.Remove(key);
            _order.Remove(key);
            _openByPrompt.Remove(g.PromptId);
            // Its finished ids stay remembered, so a late duplicate is still refused.
        }
        return complete;
    }

    public ReplaySnapshot Snapshot() => new(_order.Select(k => ToOpenGroup(_groups[k])).ToList());

    /// <summary>A buffer holding exactly what <paramref name="snapshot"/> holds.</summary>
    public static ReplayBuffer Restore(ReplaySnapshot snapshot)
    {
        var buffer = new ReplayBuffer();
        foreach (var g in snapshot.Groups)
        {
            buffer.Open(g.PromptId, g.Iteration, g.K, g.PromptTokens);
            foreach (var j in g.Finished) buffer.AddJudged(j);
            foreach (var t in g.Unfinished) buffer.AddUnfinished(t);
        }
        return buffer;
    }

    private Group? GroupOf(Trajectory t) =>
        _groups.TryGetValue(new GroupKey(t.PromptId, t.Iteration), out var g) && t.Sample >= 0 && t.Sample < g.K ? g : null;

    private static OpenGroup ToOpenGroup(Group g) =>
        new(g.PromptId, g.Iteration, g.K, g.PromptTokens, g.Finished.Values.ToList(), g.Unfinished.Values.ToList());
}
