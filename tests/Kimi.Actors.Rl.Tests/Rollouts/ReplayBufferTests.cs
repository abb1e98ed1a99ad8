using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;

namespace Kimi.Actors.Rl.Tests.Rollouts;

public class ReplayBufferTests
{
    private static PromptId P(string id) => new(id);

    private static GroupKey G(string prompt, int iteration) => new(P(prompt), iteration);

    private static Trajectory T(string prompt, int iteration, int sample, int length, StopReason stop, params Segment[] segments) =>
        new(new TrajectoryId(P(prompt), iteration, sample), Enumerable.Range(1, length).ToArray(),
            new float[length], stop, segments.Length > 0 ? segments : [new Segment(0, length, iteration)]);

    private static JudgedTrajectory J(Trajectory t, bool correct = true) => new(t, correct ? 1 : 0, correct, "test");

    [Fact]
    public void A_group_leaves_only_when_all_k_samples_are_finished_and_judged()
    {
        var buffer = ReplayBuffer.Empty.Open(G("a", 0), 3, [1])
            .AddJudged(J(T("a", 0, 0, 5, StopReason.Stop)))
            .AddUnfinished(T("a", 0, 1, 4, StopReason.Budget))
            .AddJudged(J(T("a", 0, 2, 6, StopReason.MaxLength), false));
        Assert.Equal(0, buffer.Duplicates);
        var (same, none) = buffer.TakeComplete();
        Assert.Empty(none);
        Assert.Same(buffer, same);
        Assert.True(buffer.IsOpen(P("a")));

        var resumed = Assert.Single(buffer.Continuations());
        Assert.Equal((1, 4, 0), (resumed.Sample, resumed.PriorTokens!.Length, resumed.Iteration));
        buffer = buffer.AddJudged(J(T("a", 0, 1, 9, StopReason.Stop, new Segment(0, 4, 0), new Segment(4, 5, 1))));
        var (rest, complete) = buffer.TakeComplete();
        var group = Assert.Single(complete);
        Assert.Equal([0, 1, 2], group.Finished.Select(j => j.Trajectory.Sample));
        Assert.Equal(9, group.Finished[1].Trajectory.Length);
        Assert.False(rest.IsOpen(P("a")));
        Assert.Equal(0, rest.OpenGroups);
        // Immutable: the buffer before taking still holds the group.
        Assert.True(buffer.IsOpen(P("a")));
    }

    [Fact]
    public void Redelivered_samples_are_refused_and_counted()
    {
        var done = J(T("a", 2, 0, 5, StopReason.Stop));
        var buffer = ReplayBuffer.Empty.Open(G("a", 2), 2, [1]).AddJudged(done);
        Assert.Equal(0, buffer.Duplicates);
        buffer = buffer.AddJudged(done);
        Assert.Equal(1, buffer.Duplicates);
        buffer = buffer.AddUnfinished(T("a", 2, 1, 4, StopReason.Budget))
            .AddUnfinished(T("a", 2, 1, 4, StopReason.Budget))  // the same cut, re-sent
            .AddUnfinished(T("a", 2, 1, 3, StopReason.Budget))  // an older, shorter copy
            .AddUnfinished(T("a", 2, 1, 7, StopReason.Budget))  // resumed further: taken
            .AddJudged(J(T("b", 2, 0, 5, StopReason.Stop)))     // no such group
            .AddJudged(J(T("a", 2, 5, 5, StopReason.Stop)));    // sample outside k
        Assert.Equal(5, buffer.Duplicates);
        Assert.Equal(7, Assert.Single(buffer.Continuations()).PriorTokens!.Length);
        buffer = buffer.AddJudged(J(T("a", 2, 1, 8, StopReason.Repeat)));
        var (rest, complete) = buffer.TakeComplete();
        Assert.Single(complete);
        Assert.Equal(6, rest.AddJudged(done).Duplicates); // late duplicate of a trained group
    }

    [Fact]
    public void Continuations_resume_the_oldest_groups_first_and_a_prompt_has_one_open_group()
    {
        var buffer = ReplayBuffer.Empty.Open(G("b", 0), 1, [2]).Open(G("a", 1), 2, [1])
            .AddUnfinished(T("a", 1, 1, 3, StopReason.Budget))
            .AddUnfinished(T("b", 0, 0, 3, StopReason.Budget))
            .AddUnfinished(T("a", 1, 0, 2, StopReason.Budget));
        Assert.Equal(["b#0.0", "a#1.0", "a#1.1"], buffer.Continuations().Select(r => r.Id.ToString()));
        Assert.Equal([2], buffer.Continuations()[0].PromptTokens);
        Assert.Throws<InvalidOperationException>(() => buffer.Open(G("a", 3), 2, [1]));
        Assert.Throws<ArgumentException>(() => buffer.AddUnfinished(T("a", 1, 0, 2, StopReason.Stop)));
        Assert.Throws<ArgumentException>(() => buffer.AddJudged(J(T("a", 1, 0, 2, StopReason.Budget))));
    }

    [Fact]
    public void A_snapshot_restores_the_same_open_groups_and_continuations()
    {
        var buffer = ReplayBuffer.Empty.Open(G("a", 0), 2, [1, 2]).Open(G("b", 1), 2, [3])
            .AddJudged(J(T("a", 0, 0, 5, StopReason.Stop)))
            .AddUnfinished(T("a", 0, 1, 4, StopReason.Budget, new Segment(0, 2, 0), new Segment(2, 2, 1)))
            .AddUnfinished(T("b", 1, 0, 3, StopReason.Budget))
            .AddUnfinished(T("b", 1, 1, 3, StopReason.Budget));

        var restored = ReplayBuffer.Restore(buffer.Snapshot());
        Assert.Equal(buffer.Continuations().Select(r => (r.Id, r.PriorTokens!.Length, r.PriorSegments!.Count)),
            restored.Continuations().Select(r => (r.Id, r.PriorTokens!.Length, r.PriorSegments!.Count)));
        Assert.Equal((2, 3), (restored.OpenGroups, restored.UnfinishedCount));
        Assert.Equal(1, restored.AddJudged(J(T("a", 0, 0, 5, StopReason.Stop))).Duplicates); // its finished sample is known
        var (_, complete) = restored.AddJudged(J(T("a", 0, 1, 6, StopReason.Stop))).TakeComplete();
        Assert.Equal(P("a"), Assert.Single(complete).PromptId);
    }
}
