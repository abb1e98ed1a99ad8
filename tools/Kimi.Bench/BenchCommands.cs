using System.CommandLine;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;
using Kimi.Bench.Ablation;
using Kimi.Bench.CodeJudge;
using Kimi.Bench.Engine;
using Kimi.Bench.PartialRollouts;
using Kimi.Bench.Sampler;
using Kimi.Bench.WeightSync;

namespace Kimi.Bench;

/// <summary>The benchmarks, on kimi's command-line plumbing: a new benchmark is one factory here.</summary>
public static class BenchCommands
{
    public static IReadOnlyList<Func<Command>> All { get; } =
    [
        SamplerBenchmark.Create,
        PartialRolloutBenchmark.Create,
        CodeJudgeBenchmark.Create,
        EngineBenchmark.Create,
        KernelCheck.Create,
        WeightSyncBenchmark.Create,
        AblationBenchmark.Create,
    ];

    public static readonly CliProgram Program = new(
        "kimi-bench",
        "benchmarks of Kimi.Actors: each runs its baseline in the same process and reports the ratio",
        All)
    {
        Notes = "Run: dotnet run --project tools/Kimi.Bench -c Release -- BENCHMARK [options]; results and commands are in BENCHMARKS.md.",
    };
}
