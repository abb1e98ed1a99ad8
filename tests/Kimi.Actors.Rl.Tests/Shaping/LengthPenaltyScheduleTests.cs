using Kimi.Actors.Rl.Shaping;

namespace Kimi.Actors.Rl.Tests.Shaping;

public class LengthPenaltyScheduleTests
{
    [Fact]
    public void Weight_is_zero_during_warmup_then_constant()
    {
        var schedule = new LengthPenaltySchedule(weight: 0.5, warmupIterations: 3);
        Assert.Equal([0.0, 0.0, 0.0, 0.5, 0.5], Enumerable.Range(0, 5).Select(schedule.WeightAt));
        Assert.Equal(0.5, schedule.WeightAt(100_000));
    }

    [Fact]
    public void No_warmup_applies_the_weight_from_the_first_iteration()
    {
        Assert.Equal(0.2, new LengthPenaltySchedule(0.2, 0).WeightAt(0));
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        Assert.Equal("weight", Assert.Throws<ArgumentOutOfRangeException>(() => new LengthPenaltySchedule(-0.1, 0)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentOutOfRangeException>(() => new LengthPenaltySchedule(double.NaN, 0)).ParamName);
        Assert.Equal("warmupIterations", Assert.Throws<ArgumentOutOfRangeException>(() => new LengthPenaltySchedule(0.1, -1)).ParamName);
        Assert.Equal("iteration", Assert.Throws<ArgumentOutOfRangeException>(() => new LengthPenaltySchedule(0.1, 0).WeightAt(-1)).ParamName);
    }
}
