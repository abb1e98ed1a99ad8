namespace Kimi.Actors.Rl.Rollouts;

/// <summary>
/// A run's judged samples waiting for training. Delivery into it is at-least-once (a re-sent batch, a redelivered
/// verdict), so samples are de-duplicated by trajectory id; a group leaves only when all k of its samples are in.
/// </summary>
public sealed class ReplayBuffer
{
    private readonly Dictionary<string, Dictionary<int, JudgedTrajectory>> _byPrompt = [];
    private readonly HashSet<string> _seen = [];

    public int Count => _seen.Count;
    public int Duplicates { get; private set; }

    /// <summary>Adds a judged sample; false (and counted) when its trajectory id was already added.</summary>
    public bool Add(JudgedTrajectory judged)
    {
        if (!_seen.Add(judged.Trajectory.TrajectoryId))
        {
            Duplicates++;
            return false;
        }
        var prompt = judged.Trajectory.PromptId;
        if (!_byPrompt.TryGetValue(prompt, out var samples)) _byPrompt[prompt] = samples = [];
        samples[judged.Trajectory.Sample] = judged;
        return true;
    }

    /// <summary>The samples of <paramref name="promptId"/> in sample order, if all <paramref name="k"/> are present.</summary>
    public IReadOnlyList<JudgedTrajectory>? CompleteGroup(string promptId, int k) =>
        _byPrompt.TryGetValue(promptId, out var s) && s.Count >= k && Enumerable.Range(0, k).All(s.ContainsKey)
            ? Enumerable.Range(0, k).Select(i => s[i]).ToList()
            : null;

    /// <summary>Removes a trained group (its ids stay remembered, so a late duplicate is still refused).</summary>
    public void Remove(string promptId) => _byPrompt.Remove(promptId);
}
