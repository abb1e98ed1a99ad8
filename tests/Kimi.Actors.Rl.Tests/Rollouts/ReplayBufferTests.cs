using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Rollouts;

namespace Kimi.Actors.Rl.Tests.Rollouts;

public class ReplayBufferTests
{
    private static Trajectory T(string prompt, int iteration, int sample, int length, StopReason stop, params Segment[] segments) =>
        new($"{prompt}#{iteration}.{sample}", prompt, iteration, sample, Enumerable.Range(1, length).ToArray(),
            new float[length], stop, segments.Length > 0 ? segments : [new Segment(0, length, iteration)]);

    private static JudgedTrajectory J(Trajectory t, bool correct = true) => new(t, correct ? 1 : 0, correct, "test");

    [Fact]
    public void A_group_leaves_only_when_all_k_samples_are_finished_and_judged()
    {
        var buffer = new ReplayBuffer();
        buffer.Open("a", 0, 3, [1]);
        Assert.True(buffer.AddJudged(J(T("a", 0, 0, 5, StopReason.Stop))));
        Assert.True(buffer.AddUnfinished(T("a", 0, 1, 4, StopReason.Budget)));
        Assert.True(buffer.AddJudged(J(T("a", 0, 2, 6, StopReason.MaxLength), false)));
        Assert.Empty(buffer.TakeComplete());
        Assert.True(buffer.IsOpen("a"));

        var resumed = Assert.Single(buffer.Continuations());
        Assert.Equal((1, 4, 0), (resumed.Sample, resumed.PriorTokens!.Length, resumed.Iteration));
        Assert.True(buffer.AddJudged(J(T("a", 0, 1, 9, StopReason.Stop, new Segment(0, 4, 0), new Segment(4, 5, 1)))));
        var group = Assert.Single(buffer.TakeComplete());
        Assert.Equal([0, 1, 2], group.Finished.Select(j => j.Trajectory.Sample));
        Assert.Equal(9, group.Finished[1].Trajectory.Length);
        Assert.False(buffer.IsOpen("a"));
        Assert.Equal(0, buffer.OpenGroups);
    }

    [Fact]
    public void Redelivered_samples_are_refused_and_counted()
    {
        var buffer = new ReplayBuffer();
        buffer.Open("a", 2, 2, [1]);
        var done = J(T("a", 2, 0, 5, StopReason.Stop));
        Assert.True(buffer.AddJudged(done));
        Assert.False(buffer.AddJudged(done));
        Assert.True(buffer.AddUnfinished(T("a", 2, 1, 4, StopReason.Budget)));
        Assert.False(buffer.AddUnfinished(T("a", 2, 1, 4, StopReason.Budget)));  // the same cut, re-sent
        Assert.False(buffer.AddUnfinished(T("a", 2, 1, 3, StopReason.Budget)));  // an older, shorter copy
        Assert.True(buffer.AddUnfinished(T("a", 2, 1, 7, StopReason.Budget)));   // resumed further
        Assert.False(buffer.AddJudged(J(T("b", 2, 0, 5, StopReason.Stop))));     // no such group
        Assert.False(buffer.AddJudged(J(T("a", 2, 5, 5, StopReason.Stop))));     // sample outside k
        Assert.Equal(5, buffer.Duplicates);
        Assert.Equal(7, Assert.Single(buffer.Continuations()).PriorTokens!.Length);
        Assert.True(buffer.AddJudged(J(T("a", 2, 1, 8, StopReason.Repeat))));
        Assert.Single(buffer.TakeComplete());
        Assert.False(buffer.AddJudged(done)); // late duplicate of a trained group
    }

    [Fact]
    public void Continuations_resume_the_oldest_groups_first_and_a_prompt_has_one_open_group()
    {
        var buffer = new ReplayBuffer();
        buffer.Open("b", 0, 1, [2]);
        buffer.Open("a", 1, 2, [1]);
        buffer.AddUnfinished(T("a", 1, 1, 3, StopReason.Budget));
        buffer.AddUnfinished(T("b", 0, 0, 3, StopReason.Budget));
        buffer.AddUnfinished(T("a", 1, 0, 2, StopReason.Budget));
        Assert.Equal(["b#0.0", "a#1.0", "a#1.1"], buffer.Continuations().Select(r => r.TrajectoryId));
        Assert.Equal([2], buffer.Continuations()[0].PromptTokens);
        Assert.Throws<InvalidOperationException>(() => buffer.Open("a", 3, 2, [1]));
        Assert.Throws<ArgumentException>(() => buffer.AddUnfinished(T("a", 1, 0, 2, StopReason.Stop)));
        Assert.Throws<ArgumentException>(() => buffer.AddJudged(J(T("a", 1, 0, 2, StopReason.Budget))));
    }

    [Fact]
    public void A_snapshot_restores_the_same_open_groups_and_continuations()
    {
        var buffer = new ReplayBuffer();
        buffer.Open("a", 0, 2, [1, 2]);
        buffer.Open("b", 1, 2, [3]);
        buffer.AddJudged(J(T("a", 0, 0, 5, StopReason.Stop)));
        buffer.AddUnfinished(T("a", 0, 1, 4, StopReason.Budget, new Segment(0, 2, 0), new Segment(2, 2, 1)));
        buffer.AddUnfinished(T("b", 1, 0, 3, StopReason.Budget));
        buffer.AddUnfinished(T("b", 1, 1, 3, StopReason.Budget));

        var restored = ReplayBuffer.Restore(buffer.Snapshot());
        Assert.Equal(buffer.Continuations().Select(r => (r.TrajectoryId, r.PriorTokens!.Length, r.PriorSegments!.Count)),
            restored.Continuations().Select(r => (r.TrajectoryId, r.PriorTokens!.Length, r.PriorSegments!.Count)));
        Assert.Equal((2, 3), (restored.OpenGroups, restored.UnfinishedCount));
        Assert.False(restored.AddJudged(J(T("a", 0, 0, 5, StopReason.Stop)))); // its finished sample is known
        Assert.True(restored.AddJudged(J(T("a", 0, 1, 6, StopReason.Stop))));
        Assert.Equal("a", Assert.Single(restored.TakeComplete()).PromptId);
    }
}
