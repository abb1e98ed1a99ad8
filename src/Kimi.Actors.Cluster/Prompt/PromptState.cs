using System.Collections.Immutable;
using Kimi.Actors.Rl.Identity;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;

namespace Kimi.Actors.Cluster.Prompt;

/// <summary>
/// State of one Prompt entity, with pure command and event functions (the actor only persists and replies).
/// Counts come from events alone; <see cref="RecentSamples"/> only serves de-duplication.
/// </summary>
/// <param name="LastIteration">Highest iteration recorded; -1 before the first group.</param>
/// <param name="RecentSamples">Sample ids recorded per iteration, for the <paramref name="Window"/> newest iterations.</param>
/// <param name="Window">
/// Iterations remembered for de-duplication, counting back from <paramref name="LastIteration"/>: the Run records groups
/// of its current iteration only, so a redelivered group arrives within that iteration or the next. A group of an
/// iteration at or below <c>LastIteration − Window</c> is treated as a duplicate and not counted.
/// </param>
public sealed record PromptState(
    RunId RunId,
    PromptId PromptId,
    int Difficulty,
    long Attempts,
    long Successes,
    int LastIteration,
    ImmutableSortedDictionary<int, ImmutableHashSet<int>> RecentSamples,
    int Window)
{
    public static PromptState Empty(RunId runId, PromptId promptId, int window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        return new(runId, promptId, 0, 0, 0, -1, ImmutableSortedDictionary<int, ImmutableHashSet<int>>.Empty, window);
    }

    /// <summary>The samples of <paramref name="command"/> not recorded before, as the event to persist; null when there are none.</summary>
    /// <exception cref="ArgumentException">The command is for another prompt, or has a negative iteration or sample.</exception>
    public GroupJudged? ProcessCommand(RecordJudgedGroup command)
    {
        if (command.RunId != RunId || command.PromptId != PromptId)
            throw new ArgumentException($"group for {command.RunId}/{command.PromptId} sent to the entity of {RunId}/{PromptId}", nameof(command));
        ArgumentOutOfRangeException.ThrowIfNegative(command.Iteration);
        if (command.Iteration <= LastIteration - Window) return null;

        var seen = RecentSamples.GetValueOrDefault(command.Iteration, []);
        var samples = new List<int>(command.Samples.Count);
        var correct = new List<bool>(command.Samples.Count);
        var taken = new HashSet<int>();
        foreach (var verdict in command.Samples)
        {
            var id = verdict.Trajectory;
            if (id.Prompt != PromptId || id.Iteration != command.Iteration)
                throw new ArgumentException($"trajectory {id} is not of group {PromptId}#{command.Iteration}", nameof(command));
            ArgumentOutOfRangeException.ThrowIfNegative(id.Sample);
            // A sample repeated inside one command is one sample too: the first verdict counts.
            if (seen.Contains(id.Sample) || !taken.Add(id.Sample)) continue;
            samples.Add(id.Sample);
            correct.Add(verdict.Correct);
        }
        return samples.Count == 0
            ? null
            : new GroupJudged(RunId, PromptId, command.Iteration, command.Difficulty, [.. samples], [.. correct]);
    }

    public PromptState ProcessEvent(GroupJudged judged)
    {
        int last = Math.Max(LastIteration, judged.Iteration);
        var recent = RecentSamples.SetItem(judged.Iteration, RecentSamples.GetValueOrDefault(judged.Iteration, []).Union(judged.Samples));
        return this with
        {
            Difficulty = judged.Difficulty,
            Attempts = Attempts + judged.Samples.Length,
            Successes = Successes + judged.Successes,
            LastIteration = last,
            RecentSamples = Prune(recent, last, Window),
        };
    }

    /// <summary>The reply to <paramref name="command"/> once <paramref name="recorded"/> (null: nothing new) is applied to this state.</summary>
    public GroupRecorded Reply(RecordJudgedGroup command, GroupJudged? recorded) =>
        new(RunId, PromptId, command.Iteration, recorded?.Samples.Length ?? 0, recorded?.Successes ?? 0, Attempts, Successes);

    public PromptStats Stats() => new(RunId, PromptId, Difficulty, Attempts, Successes, LastIteration);

    public PromptSnapshot ToSnapshot() => new(RunId, PromptId, Difficulty, Attempts, Successes, LastIteration,
        RecentSamples.ToDictionary(p => p.Key, p => p.Value.Order().ToArray()));

    /// <summary>The state a snapshot describes, under <paramref name="window"/> (which may differ from the one it was taken with).</summary>
    public static PromptState FromSnapshot(PromptSnapshot snapshot, int window)
    {
        var recent = snapshot.RecentSamples.ToImmutableSortedDictionary(p => p.Key, p => p.Value.ToImmutableHashSet());
        return Empty(snapshot.RunId, snapshot.PromptId, window) with
        {
            Difficulty = snapshot.Difficulty,
            Attempts = snapshot.Attempts,
            Successes = snapshot.Successes,
            LastIteration = snapshot.LastIteration,
            RecentSamples = Prune(recent, snapshot.LastIteration, window),
        };
    }

    private static ImmutableSortedDictionary<int, ImmutableHashSet<int>> Prune(
        ImmutableSortedDictionary<int, ImmutableHashSet<int>> recent, int lastIteration, int window) =>
        recent.RemoveRange(recent.Keys.TakeWhile(i => i <= lastIteration - window).ToList());
}
