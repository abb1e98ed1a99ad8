using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Sampling;

namespace Kimi.Bench.Sampler;

/// <summary>
/// One round = draw 512 distinct prompts from N by prioritised weight, then record a judged group of
/// <see cref="SamplesPerPrompt"/> samples for each: the sampler's work per training iteration. Times
/// the sum-tree PromptSampler against a linear-scan baseline in the same process.
/// </summary>
public static class SamplerBenchmark
{
    private const int DrawSize = 512;
    private const int SamplesPerPrompt = 8;
    private const int InitialAttempts = 16;

    public static Command Create()
    {
        var prompts = CliOptions.Int("--prompts", "N", "prompts in the sampler", min: 1, defaultValue: 1_000_000);
        var rounds = CliOptions.Int("--rounds", "N", "measured rounds of the sum tree", min: 1, defaultValue: 2000);
        var linearRounds = CliOptions.Int("--linear-rounds", "N", "measured rounds of the linear scan", min: 1, defaultValue: 20);
        var seed = CliOptions.Int("--seed", "N", "seed of the success rates and the draws", min: 1, defaultValue: 1);
        var json = CliOptions.Text("--json", "FILE", "also write the results as JSON");
        var command = new Command("sampler",
            $"prioritised sampler: {DrawSize} distinct draws + {DrawSize} updates per round, sum tree vs linear scan")
        {
            prompts, rounds, linearRounds, seed, json,
        };
        command.SetAction(r => Run(r.GetValue(prompts), r.GetValue(rounds), r.GetValue(linearRounds), r.GetValue(seed), r.GetValue(json)));
        return command;
    }

    private static int Run(int prompts, int rounds, int linearRounds, int seed, string? jsonPath)
    {
        // Random success rates, identical in both implementations.
        var init = new Random(seed);
        var tree = new PromptSampler(new int[prompts], new SamplerOptions { Strategy = SamplingStrategy.Prioritized });
        var linear = new LinearScanSampler(prompts, floor: 0);
        for (int i = 0; i < prompts; i++)
        {
            int successes = init.Next(InitialAttempts + 1);
            tree.Restore(i, InitialAttempts, successes);
            linear.Restore(i, InitialAttempts, successes);
        }

        var treeStats = Measure(tree.Draw, tree.Record, warmup: Math.Max(1, rounds / 10), rounds, seed);
        var linearStats = Measure(linear.Draw, linear.Record, warmup: 2, linearRounds, seed);
        double speedup = linearStats.MedianUs / treeStats.MedianUs;

        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"Prioritised sampler: {prompts:N0} prompts, {DrawSize} distinct draws + {DrawSize} updates per round"));
        var console = ReportConsole.For(Console.Out);
        var table = console.NewTable("implementation", "rounds", "median µs", "p90 µs");
        foreach (var (name, s) in new[] { ("sum tree", treeStats), ("linear scan", linearStats) })
            table.AddTextRow(name, s.Rounds.ToString(c), s.MedianUs.ToString("F1", c), s.P90Us.ToString("F1", c));
        console.Write(table);
        Console.WriteLine(string.Create(c, $"speedup (median): {speedup:F0}x"));

        if (jsonPath is not null)
        {
            var json = new JsonObject
            {
                ["benchmark"] = "sampler",
                ["prompts"] = prompts,
                ["draw"] = DrawSize,
                ["sumtree"] = ToJson(treeStats),
                ["linear"] = ToJson(linearStats),
                ["speedup"] = Math.Round(speedup, 1),
            };
            File.WriteAllText(jsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        return 0;
    }

    private static LatencySummary Measure(
        Func<int, Random, int[]> draw, Action<int, int, int> record, int warmup, int rounds, int seed)
    {
        var rng = new Random(seed + 1);
        var ticks = new List<long>(rounds);
        for (int round = 0; round < warmup + rounds; round++)
        {
            long start = Stopwatch.GetTimestamp();
            foreach (int i in draw(DrawSize, rng))
                record(i, SamplesPerPrompt, rng.Next(SamplesPerPrompt + 1));
            long elapsed = Stopwatch.GetTimestamp() - start;
            if (round >= warmup)
                ticks.Add(elapsed);
        }
        return LatencySummary.FromTicks(ticks);
    }

    private static JsonObject ToJson(LatencySummary s) => new()
    {
        ["median_us"] = Math.Round(s.MedianUs, 1),
        ["p90_us"] = Math.Round(s.P90Us, 1),
        ["rounds"] = s.Rounds,
    };
}
