using System.Text.Json;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Tests.Support;
using Kimi.Actors.Rl.Objectives;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Rl.Training;
using Kimi.Bench;
using Kimi.Bench.Ablation;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// tools/Kimi.Bench ablation: the arms reach the engine as different options on one base, seeds differ, the numbers are
/// aggregated as stated, bad input is refused; one tiny real table runs through the local engine.
/// </summary>
public sealed class AblationBenchmarkTests
{
    private static readonly BaseLayers Smoke = new("smoke", [], []);

    private static RunOptions OptionsOf(AblationPlan plan, string study, string arm, long seed) =>
        plan.Cells.Single(c => c.Seed == seed && c.Config == plan.ConfigOf(new ArmRef(study, arm))).Options;

    [Fact]
    public void Each_arm_changes_its_own_piece_of_the_smoke_preset_and_equal_arms_are_trained_once_per_seed()
    {
        var plan = AblationPlan.Build(Smoke, [AblationStudies.All], [1, 2, 3], iterations: 20, tokenBudget: null);

        Assert.Equal(AblationStudies.Names, plan.Studies.Select(s => s.Name));
        Assert.Equal(SamplingStrategy.Curriculum, OptionsOf(plan, "curriculum", "curriculum", 1).Sampling.Strategy);
        Assert.Equal(SamplingStrategy.Uniform, OptionsOf(plan, "curriculum", "uniform", 1).Sampling.Strategy);
        Assert.Equal(SamplingStrategy.Prioritized, OptionsOf(plan, "prioritised", "prioritised", 1).Sampling.Strategy);
        Assert.Equal(SamplingStrategy.Uniform, OptionsOf(plan, "prioritised", "uniform", 1).Sampling.Strategy);
        // hocon/kimi.conf's weight (0.5) from a quarter of the 20 iterations; the smoke preset has it off.
        var on = OptionsOf(plan, "length-penalty", "on", 1).LengthPenalty;
        Assert.Equal((0.5, 5), (on.Weight, on.WarmupIterations));
        Assert.Equal(0.0, OptionsOf(plan, "length-penalty", "off", 1).LengthPenalty.Weight);
        Assert.Equal(ObjectiveKind.K15MirrorDescent, OptionsOf(plan, "objective", "k15", 1).Optimization.Objective);
        Assert.Equal(ObjectiveKind.Grpo, OptionsOf(plan, "objective", "grpo", 1).Optimization.Objective);
        Assert.Equal(ObjectiveKind.Reinforce, OptionsOf(plan, "objective", "reinforce", 1).Optimization.Objective);
        // The smoke preset: 32 prompts x 8 samples, 16 tokens per response.
        Assert.Equal(4096L, OptionsOf(plan, "partial-rollouts", "on", 1).Rollout.TokenBudget);
        Assert.Null(OptionsOf(plan, "partial-rollouts", "off", 1).Rollout.TokenBudget);

        // The smoke preset's own choices (prioritised, no length penalty, k1.5, no budget) are one configuration, even where
        // the preset writes 0.0 and the arm 0; curriculum, uniform, length penalty on, GRPO, REINFORCE and the budget are the others.
        var baseline = plan.ConfigOf(new ArmRef("prioritised", "prioritised"));
        Assert.Equal(["prioritised/prioritised", "length-penalty/off", "objective/k15", "partial-rollouts/off"], baseline.UsedBy.Select(a => a.ToString()));
        Assert.Equal(7, plan.Configs.Count);
        Assert.Same(plan.ConfigOf(new ArmRef("curriculum", "uniform")), plan.ConfigOf(new ArmRef("prioritised", "uniform")));
        Assert.Equal(21, plan.Cells.Count);

        foreach (var config in plan.Configs)
            Assert.Equal([1L, 2L, 3L], plan.Cells.Where(c => c.Config == config).Select(c => c.Options.Seed));
        Assert.All(plan.Cells, c => Assert.Equal((c.Seed, 20, 0), (c.Options.Seed, c.Options.Iterations, c.Options.Eval.EveryIterations)));
        // Warm-up SFT does not depend on the arm: one SFT policy per seed, a different one for each seed.
        Assert.Equal(3, plan.Cells.Select(c => c.SftKey).Distinct().Count());
        Assert.All(plan.Cells.GroupBy(c => c.Seed), g => Assert.Single(g.Select(c => c.SftKey).Distinct()));
    }

    [Fact]
    public void Spreads_and_paired_differences_are_the_hand_computed_ones()
    {
        var s = Spread.Of([0.5, 0.6, 0.7]);
        Assert.Equal((3, 0.6, 0.1, 0.5, 0.7), (s.Count, Math.Round(s.Mean, 12), Math.Round(s.Std, 12), s.Min, s.Max));
        Assert.Equal(0.0, Spread.Of([0.42]).Std);

        // Deltas 0.10, 0.05, 0.10: mean 0.0833, sd 0.0289; the arms' sds are 0.0764 and 0.0577, so all seeds up and the
        // mean beyond both is outside the spread.
        var up = ArmComparison.Of([(1, 0.60), (2, 0.55), (3, 0.70)], [(1, 0.50), (2, 0.50), (3, 0.60)])!;
        Assert.Equal((0.083333, 0.028868, 0.05, 0.10), (Math.Round(up.Delta.Mean, 6), Math.Round(up.Delta.Std, 6), Math.Round(up.Delta.Min, 12), Math.Round(up.Delta.Max, 12)));
        Assert.True(up.OutsideSpread);
        // One seed down: within the spread whatever the mean.
        Assert.False(ArmComparison.Of([(1, 0.90), (2, 0.90), (3, 0.40)], [(1, 0.50), (2, 0.50), (3, 0.50)])!.OutsideSpread);
        // Paired by seed: a seed only one arm has does not count.
        var paired = ArmComparison.Of([(1, 0.7), (2, 0.8), (9, 0.0)], [(1, 0.5), (2, 0.5)])!;
        Assert.Equal(2, paired.Delta.Count);
        Assert.Equal(0.25, Math.Round(paired.Delta.Mean, 12));
    }

    /// <summary>Trains nothing: returns the accuracy and tokens the test chose for an (objective or strategy, seed) and records what it was given.</summary>
    private sealed class ScriptedRunner(Func<AblationCell, (double Accuracy, double Tokens)> script) : IAblationCellRunner
    {
        public List<AblationCell> Given { get; } = [];

        public CellOutcome Run(AblationCell cell)
        {
            Given.Add(cell);
            var (accuracy, tokens) = script(cell);
            return new CellOutcome(0.3, accuracy, accuracy, tokens, 30, 210, 1, 0,
                new CellObservation([ObjectiveKinds.Name(cell.Options.Optimization.Objective)], 1, 0, 0, 0, tokens));
        }

        public void Dispose() { }
    }

    [Fact]
    public void The_command_runs_every_arm_at_every_seed_and_writes_the_means_spreads_and_paired_differences()
    {
        // Test pass@1 per objective at seeds 5 and 6; curriculum arms get their own numbers.
        var accuracy = new Dictionary<(string, long), double>
        {
            [("k15", 5)] = 0.50, [("k15", 6)] = 0.60, [("grpo", 5)] = 0.40, [("grpo", 6)] = 0.45,
            [("reinforce", 5)] = 0.55, [("reinforce", 6)] = 0.65, [("curriculum", 5)] = 0.30, [("curriculum", 6)] = 0.50,
            [("uniform", 5)] = 0.35, [("uniform", 6)] = 0.40,
        };
        static string KeyOf(AblationCell c) => c.Options.Sampling.Strategy switch
        {
            SamplingStrategy.Curriculum => "curriculum",
            SamplingStrategy.Uniform => "uniform",
            _ => ObjectiveKinds.Name(c.Options.Optimization.Objective),
        };
        var runner = new ScriptedRunner(c => (accuracy[(KeyOf(c), c.Seed)], 20 + c.Seed));
        var program = new CliProgram("kimi-bench", "test", [() => AblationBenchmark.Create(() => runner)]);
        using var tmp = new TempFolder();
        var json = tmp.File("ablation.json");

        var result = CliRunner.Run(program, "ablation", "--study", "objective", "--study", "curriculum", "--seeds", "2", "--first-seed", "5",
            "--iterations", "3", "--json", json);

        Assert.True(result.ExitCode == 0, result.ToString());
        // k15 (= the preset's prioritised), grpo, reinforce, curriculum, uniform: five configurations at seeds 5 and 6.
        Assert.Equal(10, runner.Given.Count);
        Assert.Equal([5L, 6L], runner.Given.Select(c => c.Options.Seed).Distinct().Order());
        Assert.Equal(["curriculum", "grpo", "k15", "reinforce", "uniform"], runner.Given.Select(KeyOf).Distinct().Order());
        Assert.All(runner.Given, c => Assert.Equal(3, c.Options.Iterations));

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.True(root.GetProperty("complete").GetBoolean());
        JsonElement Arm(string study, string arm) => root.GetProperty("studies").EnumerateArray().Single(s => s.GetProperty("study").GetString() == study)
            .GetProperty("arms").EnumerateArray().Single(a => a.GetProperty("arm").GetString() == arm);
        (double, double, double, double) Numbers(JsonElement s) =>
            (s.GetProperty("mean").GetDouble(), s.GetProperty("std").GetDouble(), s.GetProperty("min").GetDouble(), s.GetProperty("max").GetDouble());

        // grpo: 0.40, 0.45 -> mean 0.425, sd 0.05 / sqrt 2; against k15 (0.50, 0.60): -0.10, -0.15, both down by more than
        // either arm's sd (0.0354, 0.0707): outside the spread.
        var grpo = Arm("objective", "grpo");
        Assert.Equal((0.425, 0.035355, 0.40, 0.45), Numbers(grpo.GetProperty("test_accuracy")));
        Assert.Equal((-0.125, 0.035355, -0.15, -0.10), Numbers(grpo.GetProperty("accuracy_vs_reference").GetProperty("delta")));
        Assert.True(grpo.GetProperty("accuracy_vs_reference").GetProperty("outside_spread").GetBoolean());
        // reinforce: +0.05 at both seeds, less than k15's sd 0.0707: within.
        var reinforce = Arm("objective", "reinforce");
        Assert.Equal((0.60, 0.070711, 0.55, 0.65), Numbers(reinforce.GetProperty("test_accuracy")));
        Assert.False(reinforce.GetProperty("accuracy_vs_reference").GetProperty("outside_spread").GetBoolean());
        // Tokens 25 and 26 for every arm.
        Assert.Equal((25.5, 0.707107, 25, 26), Numbers(Arm("curriculum", "uniform").GetProperty("mean_response_tokens")));
        Assert.Equal((0.4, 0.141421, 0.3, 0.5), Numbers(Arm("curriculum", "curriculum").GetProperty("test_accuracy")));
        Assert.Equal(JsonValueKind.Null, Arm("objective", "k15").GetProperty("accuracy_vs_reference").ValueKind);
        // The cells record the options the engine was given.
        var objectives = root.GetProperty("cells").EnumerateArray().Select(c => c.GetProperty("options").GetProperty("objective").GetString()).Distinct().Order();
        Assert.Equal(["grpo", "k15", "reinforce"], objectives);
        Assert.Matches(@"\| objective\s+\|\s+grpo \|\s+2 \|\s+0\.425 ± 0\.035 \[0\.400, 0\.450\] \|\s+-0\.125 \[-0\.150, -0\.100\] OUTSIDE \|", result.Stdout);
    }

    [Theory]
    [InlineData("ablation --study fig9", "ablation: --study fig9: expected one of curriculum, prioritised, length-penalty, objective, partial-rollouts or all")]
    [InlineData("ablation --seeds 0", "ablation: --seeds 0: expected an integer >= 1")]
    [InlineData("ablation --iterations 0", "ablation: --iterations 0: expected an integer >= 1")]
    [InlineData("ablation --set sampling.strategy=fastest", "ablation: the base configuration: kimi.sampling.strategy")]
    public void Bad_ablation_input_exits_two_naming_the_option(string commandLine, string expected)
    {
        var line = CliAssert.UserErrorOf("kimi-bench", CliRunner.Run(BenchCommands.Program, commandLine.Split(' ')));
        Assert.StartsWith("kimi-bench: error: " + expected, line);
    }

    [Fact]
    public void A_tiny_table_trains_each_objective_through_the_local_engine_from_one_shared_sft_policy()
    {
        using var tmp = new TempFolder();
        var json = tmp.File("ablation.json");

        var result = CliRunner.Run(BenchCommands.Program, "ablation", "--study", "objective", "--seeds", "1", "--iterations", "1", "--preset", "none",
            "--config", TinyRun.WriteConfig(tmp.Path), "--json", json);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var cells = doc.RootElement.GetProperty("cells").EnumerateArray().ToList();
        Assert.Equal(3, cells.Count);
        // The trainer was given each arm's objective (seen in the engine's training commands).
        Assert.Equal(["k15", "grpo", "reinforce"], cells.Select(c => Assert.Single(c.GetProperty("observed").GetProperty("objectives").EnumerateArray()).GetString()));
        // Warm-up SFT ran once, in the first cell; all three arms started from that policy, so the test set after SFT
        // (same prompts, same evaluation seed) reads the same in each.
        Assert.True(cells[0].GetProperty("sft_seconds").GetDouble() > 0);
        Assert.All(cells.Skip(1), c => Assert.Equal(0, c.GetProperty("sft_seconds").GetDouble()));
        Assert.Single(cells.Select(c => (c.GetProperty("sft_accuracy").GetDouble(), c.GetProperty("sft_mean_response_tokens").GetDouble())).Distinct());
        Assert.All(cells, c =>
        {
            Assert.InRange(c.GetProperty("test_accuracy").GetDouble(), 0, 1);
            Assert.True(c.GetProperty("mean_response_tokens").GetDouble() > 0);
            Assert.Equal(TinyRun.HeldOutPerLevel * 3, c.GetProperty("test_prompts").GetInt32());
        });
    }
}
