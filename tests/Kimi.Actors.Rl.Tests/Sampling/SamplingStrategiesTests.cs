using Kimi.Actors.Rl.Sampling;

namespace Kimi.Actors.Rl.Tests.Sampling;

public class SamplingStrategiesTests
{
    [Theory]
    [InlineData("uniform", SamplingStrategy.Uniform)]
    [InlineData("curriculum", SamplingStrategy.Curriculum)]
    [InlineData("prioritized", SamplingStrategy.Prioritized)]
    [InlineData("curriculum-prioritized", SamplingStrategy.CurriculumPrioritized)]
    [InlineData(" Curriculum-Prioritized ", SamplingStrategy.CurriculumPrioritized)]
    public void Parses_kebab_case_names(string name, SamplingStrategy expected)
    {
        Assert.Equal(expected, SamplingStrategies.Parse(name));
        Assert.Equal(name.Trim().ToLowerInvariant(), expected.ToName());
    }

    [Fact]
    public void Unknown_name_lists_the_allowed_values()
    {
        var e = Assert.Throws<ArgumentException>(() => SamplingStrategies.Parse("priority"));
        Assert.Contains("uniform, curriculum, prioritized, curriculum-prioritized", e.Message);
        Assert.False(SamplingStrategies.TryParse(null, out _));
    }

    [Fact]
    public void British_spelling_is_accepted()
    {
        Assert.Equal(SamplingStrategy.Prioritized, SamplingStrategies.Parse("prioritised"));
        Assert.Equal(SamplingStrategy.CurriculumPrioritized, SamplingStrategies.Parse("curriculum-prioritised"));
    }

    [Fact]
    public void Strategies_say_what_they_switch_on()
    {
        Assert.Equal(
            [false, true, false, true],
            Enum.GetValues<SamplingStrategy>().Select(s => s.UsesCurriculum()));
        Assert.Equal(
            [false, false, true, true],
            Enum.GetValues<SamplingStrategy>().Select(s => s.UsesPriority()));
    }
}
