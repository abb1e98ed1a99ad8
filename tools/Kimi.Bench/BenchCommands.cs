using System.Text;
using Kimi.Bench.CodeJudge;
using Kimi.Bench.PartialRollouts;
using Kimi.Bench.Sampler;

namespace Kimi.Bench;

/// <summary>The registry of subcommands: a new benchmark adds one line here.</summary>
public static class BenchCommands
{
    public static IReadOnlyList<BenchCommand> All { get; } =
    [
        SamplerBenchmark.Command,
        PartialRolloutBenchmark.Command,
        CodeJudgeBenchmark.Command,
    ];

    public static BenchCommand? Find(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));

    public static string Usage()
    {
        var text = new StringBuilder("usage: kimi-bench <benchmark> [options]\n\nbenchmarks:\n");
        foreach (var c in All)
            text.Append($"  {c.Name} {c.Arguments}\n      {c.Summary}\n");
        return text.ToString();
    }
}
