using Kimi.Actors.Rl.Shaping;

namespace Kimi.Actors.Rl.Tests.Shaping;

public class LengthPenaltyTests
{
    [Fact]
    public void Worked_example_gives_exact_values()
    {
        // min 100, max 500: λ = 0.5, 0.25, 0, −0.5; the wrong 200-token answer is clipped to 0.
        var rewards = LengthPenalty.Compute([100, 200, 300, 500], [true, false, true, false]);
        Assert.Equal([0.5, 0.0, 0.0, -0.5], rewards);
    }

    [Fact]
    public void Correct_answers_get_lambda_on_both_sides_of_zero()
    {
        var rewards = LengthPenalty.Compute([10, 13, 20], [true, true, true]);
        Assert.Equal(0.5, rewards[0], 12);
        Assert.Equal(0.2, rewards[1], 12);
        Assert.Equal(-0.5, rewards[2], 12);
    }

    [Fact]
    public void Wrong_answers_are_never_rewarded_for_being_short()
    {
        var rewards = LengthPenalty.Compute([10, 13, 20], [false, false, false]);
        Assert.Equal(0.0, rewards[0]);
        Assert.Equal(0.0, rewards[1]);
        Assert.Equal(-0.5, rewards[2], 12);
    }

    [Fact]
    public void Equal_lengths_single_and_empty_groups_give_zeros()
    {
        Assert.Equal([0.0, 0.0, 0.0], LengthPenalty.Compute([42, 42, 42], [true, false, true]));
        Assert.Equal([0.0], LengthPenalty.Compute([7], [true]));
        Assert.Empty(LengthPenalty.Compute([], []));
    }

    [Fact]
    public void Span_overload_overwrites_the_destination()
    {
        Span<double> rewards = [9, 9];
        LengthPenalty.Compute([5, 5], [true, true], rewards);
        Assert.Equal([0.0, 0.0], rewards.ToArray());
        LengthPenalty.Compute([0, 4], [true, true], rewards);
        Assert.Equal([0.5, -0.5], rewards.ToArray());
    }

    [Fact]
    public void Mismatched_or_negative_input_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => LengthPenalty.Compute([1, 2], [true]));
        Assert.Throws<ArgumentOutOfRangeException>(() => LengthPenalty.Compute([-1, 2], [true, true]));
    }
}
