using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
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

    public static BenchCommand Command { get; } = new(
        "sampler",
        "[--prompts N] [--rounds N] [--linear-rounds N] [--seed N] [--json FILE]",
        $"prioritised sampler: {DrawSize} distinct draws + {DrawSize} updates per round, sum tree vs linear scan",
        Run);

    private static int Run(string[] args)
    {
        var options = new OptionReader(args, "--prompts", "--rounds", "--linear-rounds", "--seed", "--json");
        int prompts = options.PositiveInt("--prompts", 1_000_000);
        int rounds = options.PositiveInt("--rounds", 2000);
        int linearRounds = options.PositiveInt("--linear-rounds", 20);
        int seed = options.PositiveInt("--seed", 1);
        string? jsonPath = options.String("--json");

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
