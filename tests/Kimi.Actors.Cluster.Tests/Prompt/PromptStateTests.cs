using SampleVerdict = Kimi.Actors.Rl.Runs.SampleVerdict;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Cluster.Prompt;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;

namespace Kimi.Actors.Cluster.Tests.Prompt;

public sealed class PromptStateTests
{
    private static readonly PromptState Empty = PromptState.Empty(Ids.Run("run-1"), Ids.Prompt("p-1"), window: 2);

    internal static RecordJudgedGroup Group(int iteration, params (int Sample, bool Correct)[] samples) =>
        Group(Ids.Prompt("p-1"), iteration, samples);

    internal static RecordJudgedGroup Group(PromptId promptId, int iteration, params (int Sample, bool Correct)[] samples) =>
        new(Ids.Run("run-1"), promptId, iteration, 3, [.. samples.Select(s => new SampleVerdict(new TrajectoryId(promptId, iteration, s.Sample), s.Correct))]);

    private static PromptState Apply(PromptState state, RecordJudgedGroup command) =>
        state.ProcessCommand(command) is { } judged ? state.ProcessEvent(judged) : state;

    [Fact]
    public void A_group_is_counted_once()
    {
        var command = Group(0, (0, true), (1, false), (2, true));
        var judged = Empty.ProcessCommand(command);
        Assert.NotNull(judged);
        Assert.Equal([0, 1, 2], judged.Samples);
        Assert.Equal([true, false, true], judged.Correct);

        var once = Empty.ProcessEvent(judged);
        Assert.Equal((3L, 2L, 0, 3), (once.Attempts, once.Successes, once.LastIteration, once.Difficulty));
        Assert.Null(once.ProcessCommand(command));
        Assert.Equal(new GroupRecorded(Ids.Run("run-1"), Ids.Prompt("p-1"), 0, 0, 0, 3, 2), once.Reply(command, null));
    }

    [Fact]
    public void An_overlapping_group_counts_only_its_new_samples()
    {
        var state = Apply(Empty, Group(0, (0, true), (1, false)));
        var judged = state.ProcessCommand(Group(0, (1, true), (2, true), (3, false)));
        Assert.NotNull(judged);
        Assert.Equal([2, 3], judged.Samples);
        Assert.Equal([true, false], judged.Correct);

        state = state.ProcessEvent(judged);
        Assert.Equal((4L, 2L), (state.Attempts, state.Successes));
        Assert.Equal(new GroupRecorded(Ids.Run("run-1"), Ids.Prompt("p-1"), 0, 2, 1, 4, 2), state.Reply(Group(0), judged));
    }

    [Fact]
    public void A_sample_repeated_within_a_group_counts_once()
    {
        var judged = Empty.ProcessCommand(Group(0, (0, true), (0, false), (1, false)));
        Assert.NotNull(judged);
        Assert.Equal([0, 1], judged.Samples);
        Assert.Equal([true, false], judged.Correct);
    }

    [Fact]
    public void The_same_sample_index_in_another_iteration_is_new()
    {
        var state = Apply(Apply(Empty, Group(0, (0, true))), Group(1, (0, false)));
        Assert.Equal((2L, 1L, 1), (state.Attempts, state.Successes, state.LastIteration));
    }

    [Fact]
    public void Iterations_older_than_the_window_are_forgotten_and_treated_as_duplicates()
    {
        var state = Apply(Empty, Group(0, (0, true)));
        state = Apply(state, Group(1, (0, true)));
        Assert.Equal([0, 1], state.RecentSamples.Keys);
        Assert.NotNull(state.ProcessCommand(Group(0, (5, true))));   // iteration 0 is still inside the window

        state = Apply(state, Group(2, (0, false)));
        Assert.Equal([1, 2], state.RecentSamples.Keys);
        Assert.Null(state.ProcessCommand(Group(0, (5, true))));      // now older than the window: dropped
        Assert.NotNull(state.ProcessCommand(Group(1, (5, true))));
        Assert.Equal((3L, 2L, 2), (state.Attempts, state.Successes, state.LastIteration));
    }

    [Fact]
    public void A_snapshot_restores_the_state()
    {
        var state = Apply(Apply(Apply(Empty, Group(0, (0, true), (1, true))), Group(1, (0, false))), Group(2, (3, true), (1, false)));
        var restored = PromptState.FromSnapshot(state.ToSnapshot(), window: 2);
        Assert.Equal(state.Stats(), restored.Stats());
        Assert.Equal(state.RecentSamples.Keys, restored.RecentSamples.Keys);
        foreach (var (iteration, samples) in state.RecentSamples)
            Assert.Equal(samples.Order(), restored.RecentSamples[iteration].Order());
        Assert.Null(restored.ProcessCommand(Group(2, (1, true), (3, true))));

        // A narrower window after a restart prunes at once; counts are unaffected.
        var narrow = PromptState.FromSnapshot(state.ToSnapshot(), window: 1);
        Assert.Equal([2], narrow.RecentSamples.Keys);
        Assert.Equal(state.Stats(), narrow.Stats());
    }

    [Fact]
    public void Commands_for_another_prompt_or_with_negative_ids_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Empty.ProcessCommand(Group(Ids.Prompt("p-2"), 0, (0, true))));
        Assert.Throws<ArgumentOutOfRangeException>(() => Empty.ProcessCommand(Group(-1, (0, true))));
        Assert.Throws<ArgumentOutOfRangeException>(() => Empty.ProcessCommand(Group(0, (-1, true))));
    }

    [Fact]
    public void Stats_before_any_group()
    {
        Assert.Equal(new PromptStats(Ids.Run("run-1"), Ids.Prompt("p-1"), 0, 0, 0, -1), Empty.Stats());
        Assert.Null(Empty.ProcessCommand(Group(0)));
    }
}
