using Kimi.Actors.Model;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Tests.Training;

public class TunablesTests
{
    [Fact]
    public void The_values_in_force_are_read_from_the_options_in_the_form_their_keys_accept()
    {
        var options = new RunOptions
        {
            Model = CharTokenizer.Instance.Apply(new ModelConfig()),
            Optimization = new PolicyOptimizationOptions { Tau = 0.5, LearningRate = 2e-5 },
            Rollout = new RolloutOptions { Temperature = 0.8, TopP = 0.95, SamplesPerPrompt = 6, TokenBudget = null },
            LengthPenalty = new LengthPenaltyOptions { Weight = 0.25, WarmupIterations = 10 },
            Sampling = new SamplerOptions
            {
                Strategy = SamplingStrategy.CurriculumPrioritized,
                Curriculum = CurriculumSchedule.ByIteration(new LevelThreshold(3, 20), new LevelThreshold(2, 5)),
            },
        };
        var values = Tunables.ValuesOf(options);
        Assert.Equal(Tunables.All.Select(t => t.Name), values.Keys);
        Assert.Equal("0.5", values["tau"]);
        Assert.Equal("2E-05", values["learning-rate"]);
        Assert.Equal("0.8", values["temperature"]);
        Assert.Equal("0.95", values["top-p"]);
        Assert.Equal("6", values["samples-per-prompt"]);
        Assert.Equal("0", values["token-budget"]);
        Assert.Equal("0.25", values["length-penalty-weight"]);
        Assert.Equal("10", values["length-penalty-warmup"]);
        Assert.Equal("curriculum-prioritized", values["sampling-strategy"]);
        Assert.Equal("iterations", values["curriculum-mode"]);
        Assert.Equal("2:5,3:20", values["curriculum-levels"]);
    }

    [Fact]
    public void Tunables_are_found_by_name_or_key_and_curriculum_levels_parse_back()
    {
        Assert.Equal("kimi.optimization.tau", Tunables.Find("tau")!.Key);
        Assert.Equal("tau", Tunables.Find("optimization.tau")!.Name);
        Assert.Equal("tau", Tunables.Find("kimi.optimization.tau")!.Name);
        Assert.Null(Tunables.Find("kimi.model.layers"));
        Assert.Equal([new LevelThreshold(2, 5), new LevelThreshold(3, 20)], Tunables.ParseLevels(" 2:5, 3:20 "));
        Assert.Empty(Tunables.ParseLevels(""));
        Assert.Contains("DIFFICULTY:ITERATION", Assert.Throws<ArgumentException>(() => Tunables.ParseLevels("2-5")).Message);
        Assert.Contains("DIFFICULTY:ITERATION", Assert.Throws<ArgumentException>(() => Tunables.ParseLevels("0:5")).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => Tunables.ParseLevels("2:5,2:6")).Message);
    }
}
