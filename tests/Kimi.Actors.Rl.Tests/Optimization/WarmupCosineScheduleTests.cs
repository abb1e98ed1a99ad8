using Kimi.Actors.Rl.Optimization;

namespace Kimi.Actors.Rl.Tests.Optimization;

public class WarmupCosineScheduleTests
{
    private readonly WarmupCosineSchedule _schedule = new(peakLr: 1.0, warmupSteps: 4, totalSteps: 12, minLrRatio: 0.1);

    [Fact]
    public void Warmup_rises_linearly_from_peak_over_w_to_the_peak()
    {
        Assert.Equal(0.25, _schedule.At(0));
        Assert.Equal(0.5, _schedule.At(1));
        Assert.Equal(0.75, _schedule.At(2));
        Assert.Equal(1.0, _schedule.At(3));
    }

    [Fact]
    public void Cosine_decays_from_the_peak_to_the_floor_then_stays()
    {
        Assert.Equal(1.0, _schedule.At(4), 12);
        Assert.Equal(0.55, _schedule.At(8), 12); // halfway: min + (peak − min) / 2
        Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI / 8)), _schedule.At(5), 12);
        Assert.Equal(0.1, _schedule.At(12), 12);
        Assert.Equal(0.1, _schedule.At(1_000_000), 12);
        for (int step = 4; step < 20; step++)
            Assert.True(_schedule.At(step + 1) <= _schedule.At(step));
    }

    [Fact]
    public void Degenerate_warmups_behave()
    {
        var noWarmup = new WarmupCosineSchedule(2e-5, 0, 100);
        Assert.Equal(2e-5, noWarmup.At(0), 15);
        Assert.Equal(2e-6, noWarmup.At(100), 15);

        var allWarmup = new WarmupCosineSchedule(1.0, 10, 10, minLrRatio: 0);
        Assert.Equal(1.0, allWarmup.At(9));
        Assert.Equal(0.0, allWarmup.At(10));
    }

    [Theory]
    [InlineData(0.0, 1, 10, 0.1, "peakLr")]
    [InlineData(double.NaN, 1, 10, 0.1, "peakLr")]
    [InlineData(1.0, -1, 10, 0.1, "warmupSteps")]
    [InlineData(1.0, 0, 0, 0.1, "totalSteps")]
    [InlineData(1.0, 20, 10, 0.1, "totalSteps")]
    [InlineData(1.0, 1, 10, 1.5, "minLrRatio")]
    [InlineData(1.0, 1, 10, -0.1, "minLrRatio")]
    public void Invalid_arguments_name_the_parameter(double peak, int warmup, int total, double ratio, string param)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineSchedule(peak, warmup, total, ratio));
        Assert.Equal(param, e.ParamName);
    }

    [Fact]
    public void Negative_step_is_rejected()
    {
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => _schedule.At(-1)).ParamName);
    }
}
