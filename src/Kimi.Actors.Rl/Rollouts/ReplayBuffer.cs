using System.Collections.Immutable;
using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Rl.Rollouts;

/// <summary>
/// A group that has not trained yet: its judged (finished) samples and its unfinished ones, each carrying its tokens,
/// segment boundaries and the policy version of every segment, waiting to be resumed.
/// </summary>
public sealed record OpenGroup(GroupKey Key, int K, int[] PromptTokens,
    IReadOnlyList<JudgedTrajectory> Finished, IReadOnlyList<Trajectory> Unfinished)
{
    public PromptId PromptId => Key.Prompt;
    public int Iteration => Key.Iteration;
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
/// generator loses nothing. Immutable: every change returns a new buffer, so an iteration's state is plain data.
/// </summary>
public sealed class ReplayBuffer
{
    private sealed record Group(GroupKey Key, int K, int[] PromptTokens,
        ImmutableSortedDictionary<int, JudgedTrajectory> Finished, ImmutableSortedDictionary<int, Trajectory> Unfinished)
    {
        public bool Complete => Finished.Count == K;
    }

    public static readonly ReplayBuffer Empty = new(ImmutableList<GroupKey>.Empty, ImmutableDictionary<GroupKey, Group>.Empty,
        ImmutableDictionary<PromptId, GroupKey>.Empty, ImmutableHashSet<TrajectoryId>.Empty, 0);

    // Insertion order is the order groups were opened: older groups resume and train first.
    private readonly ImmutableList<GroupKey> _order;
    private readonly ImmutableDictionary<GroupKey, Group> _groups;
    private readonly ImmutableDictionary<PromptId, GroupKey> _openByPrompt;
    private readonly ImmutableHashSet<TrajectoryId> _finishedIds;

    private ReplayBuffer(ImmutableList<GroupKey> order, ImmutableDictionary<GroupKey, Group> groups,
        ImmutableDictionary<PromptId, GroupKey> openByPrompt, ImmutableHashSet<TrajectoryId> finishedIds, int duplicates)
    {
        _order = order;
        _groups = groups;
        _openByPrompt = openByPrompt;
        _finishedIds = finishedIds;
        Duplicates = duplicates;
    }

    public int OpenGroups => _groups.Count;
    public int UnfinishedCount => _groups.Values.Sum(g => g.Unfinished.Count);
    /// <summary>Deliveries refused as repeats (or as belonging to no open group) so far.</summary>
    public int Duplicates { get; }

    /// <summary>Whether <paramref name="prompt"/> has a group still open (its prompt is not drawn again until it trains).</summary>
    public bool IsOpen(PromptId prompt) => _openByPrompt.ContainsKey(prompt);

    public IEnumerable<PromptId> OpenPrompts => _openByPrompt.Keys;

    /// <summary>Opens the group of a freshly drawn prompt.</summary>
    public ReplayBuffer Open(GroupKey key, int k, int[] promptTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (_openByPrompt.TryGetValue(key.Prompt, out var open))
            throw new InvalidOperationException($"prompt {key.Prompt} already has an open group ({open})");
        var group = new Group(key, k, promptTokens, ImmutableSortedDictionary<int, JudgedTrajectory>.Empty,
            ImmutableSortedDictionary<int, Trajectory>.Empty);
        return With(_order.Add(key), _groups.SetItem(key, group), _openByPrompt.SetItem(key.Prompt, key), _finishedIds, Duplicates);
    }

    /// <summary>
    /// Takes a response cut by the budget, to be resumed; a finished one must be judged (<see cref="AddJudged"/>).
    /// One that belongs to no open group, is already finished or is no longer than the copy held is refused and counted.
    /// </summary>
    public ReplayBuffer AddUnfinished(Trajectory trajectory)
    {
        if (trajectory.Finished) throw new ArgumentException($"trajectory {trajectory.Id} is finished ({trajectory.StopReason}); judge it");
        var group = GroupOf(trajectory);
        if (group is null || _finishedIds.Contains(trajectory.Id)
            || group.Unfinished.TryGetValue(trajectory.Sample, out var held) && held.Length >= trajectory.Length)
            return Refused();
        return WithGroup(group with { Unfinished = group.Unfinished.SetItem(trajectory.Sample, trajectory) }, _finishedIds);
    }

    /// <summary>Adds a judged, finished sample; refused (and counted) when its trajectory id was already added.</summary>
    public ReplayBuffer AddJudged(JudgedTrajectory judged)
    {
        var t = judged.Trajectory;
        if (!t.Finished) throw new ArgumentException($"trajectory {t.Id} is unfinished ({t.StopReason}); it cannot be judged yet");
        var group = GroupOf(t);
        if (group is null || _finishedIds.Contains(t.Id)) return Refused();
        return WithGroup(group with { Unfinished = group.Unfinished.Remove(t.Sample), Finished = group.Finished.SetItem(t.Sample, judged) },
            _finishedIds.Add(t.Id));
    }

    /// <summary>Requests that resume every unfinished response, oldest group first (re-prefilled under the current weights).</summary>
    public List<RolloutRequest> Continuations()
    {
        var requests = new List<RolloutRequest>();
        foreach (var key in _order)
            foreach (var t in _groups[key].Unfinished.Values)
                requests.Add(new RolloutRequest(t.Id, _groups[key].PromptTokens, t.ResponseTokens, t.RolloutLogProbs, t.Segments));
        return requests;
    }

    /// <summary>
    /// Every group whose k samples are all finished and judged, oldest first, samples in order, and the buffer without
    /// them. Their trajectory ids stay remembered, so a late duplicate is still refused.
    /// </summary>
    public (ReplayBuffer Remaining, IReadOnlyList<OpenGroup> Complete) TakeComplete()
    {
        var complete = _order.Select(k => _groups[k]).Where(g => g.Complete).ToList();
        if (complete.Count == 0) return (this, []);
        var keys = complete.Select(g => g.Key).ToHashSet();
        var rest = With(_order.RemoveAll(keys.Contains), _groups.RemoveRange(keys), _openByPrompt.RemoveRange(keys.Select(k => k.Prompt)),
            _finishedIds, Duplicates);
        return (rest, complete.Select(ToOpenGroup).ToList());
    }

    public ReplaySnapshot Snapshot() => new(_order.Select(k => ToOpenGroup(_groups[k])).ToList());

    /// <summary>A buffer holding exactly what <paramref name="snapshot"/> holds.</summary>
    public static ReplayBuffer Restore(ReplaySnapshot snapshot)
    {
        var buffer = Empty;
        foreach (var g in snapshot.Groups)
        {
            buffer = buffer.Open(g.Key, g.K, g.PromptTokens);
            foreach (var j in g.Finished) buffer = buffer.AddJudged(j);
            foreach (var t in g.Unfinished) buffer = buffer.AddUnfinished(t);
        }
        return buffer;
    }

    private Group? GroupOf(Trajectory t) =>
        _groups.TryGetValue(t.Id.Group, out var g) && t.Sample >= 0 && t.Sample < g.K ? g : null;

    private ReplayBuffer Refused() => With(_order, _groups, _openByPrompt, _finishedIds, Duplicates + 1);

    private ReplayBuffer WithGroup(Group group, ImmutableHashSet<TrajectoryId> finishedIds) =>
        With(_order, _groups.SetItem(group.Key, group), _openByPrompt, finishedIds, Duplicates);

    private static ReplayBuffer With(ImmutableList<GroupKey> order, ImmutableDictionary<GroupKey, Group> groups,
        ImmutableDictionary<PromptId, GroupKey> openByPrompt, ImmutableHashSet<TrajectoryId> finishedIds, int duplicates) =>
        new(order, groups, openByPrompt, finishedIds, duplicates);

    private static OpenGroup ToOpenGroup(Group g) =>
        new(g.Key, g.K, g.PromptTokens, g.Finished.Values.ToList(), g.Unfinished.Values.ToList());
}
