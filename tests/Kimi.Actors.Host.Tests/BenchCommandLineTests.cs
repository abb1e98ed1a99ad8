using System.Text.Json;
using Kimi.Actors.Host.Tests.Support;
using Kimi.Bench;

namespace Kimi.Actors.Host.Tests;

/// <summary>tools/Kimi.Bench runs on kimi's command-line plumbing: the same help, option rules and error line.</summary>
public sealed class BenchCommandLineTests
{
    private static CliResult Bench(params string[] args) => CliRunner.Run(BenchCommands.Program, args);

    [Fact]
    public void Bench_help_lists_the_benchmarks_and_each_benchmark_its_options_with_defaults()
    {
        var help = Bench("--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Matches("(?m)^  sampler +\\S", help.Stdout);
        Assert.Matches("(?m)^  partial-rollouts +\\S", help.Stdout);

        var sampler = Bench("sampler", "--help");
        Assert.True(sampler.ExitCode == 0, sampler.ToString());
        foreach (var option in new[] { "--prompts <N>", "[default: 1000000]", "--rounds <N>", "--linear-rounds <N>", "--seed <N>", "--json <FILE>" })
            Assert.Contains(option, sampler.Stdout);

        var partial = Bench("partial-rollouts", "--help");
        foreach (var option in new[] { "--tokens <N>", "--budget <N>", "--prompts-per-iteration <N>", "--samples <N>", "--median <N>",
                     "--tail-fraction-pct <N>", "--tail-factor <N>", "--epochs <N>", "--micro-batch <N>", "--device <D>", "--threads <N>",
                     "--seed <N>", "--json <FILE>" })
            Assert.Contains(option, partial.Stdout);
    }

    [Theory]
    [InlineData("samplr", "unknown command 'samplr' (did you mean sampler?) (commands: sampler, partial-rollouts, code-judge, engine, kernel-check, weight-sync, ablation; see kimi-bench --help)")]
    [InlineData("sampler --rounds x", "sampler: --rounds x: expected an integer >= 1")]
    [InlineData("sampler --prompts 0", "sampler: --prompts 0: expected an integer >= 1")]
    [InlineData("sampler --round 3", "sampler: unknown option '--round' (did you mean --rounds?) (see kimi-bench sampler --help)")]
    [InlineData("sampler --json", "sampler: --json needs a value")]
    [InlineData("partial-rollouts --device tpu", "partial-rollouts: --device tpu: expected cpu, cuda, cuda:N or auto")]
    [InlineData("weight-sync --sizes 10,x", "weight-sync: --sizes 10,x: 'x' is not a whole number of MB from 1 to 2000")]
    [InlineData("weight-sync --sizes 3000", "weight-sync: --sizes 3000: '3000' is not a whole number of MB from 1 to 2000")]
    [InlineData("engine --batches 1,x", "engine: --batches 1,x: 'x' is not a positive integer")]
    [InlineData("engine --train 8x640,7x640", "engine: --train 8x640,7x640: '7x640' is not SAMPLESxTOKENS (samples a multiple of 8, tokens above 1)")]
    [InlineData("kernel-check --device cpu", "kernel-check: --device must be a CUDA device")]
    [InlineData("kernel-check --device tpu", "kernel-check: --device tpu: expected cpu, cuda or cuda:N")]
    [InlineData("partial-rollouts --budget 3", "partial-rollouts: --budget 3 is below one token per response in flight (64)")]
    public void A_bad_benchmark_command_line_exits_two_with_one_line(string commandLine, string expected)
    {
        var line = CliAssert.UserErrorOf("kimi-bench", Bench(commandLine.Split(' ')));
        Assert.Equal("kimi-bench: error: " + expected, line);
    }

    [Fact]
    public void Weight_sync_moves_the_same_bytes_through_every_transport_and_reports_each_against_the_raw_copy()
    {
        using var tmp = new TempFolder();
        var json = tmp.File("weights.json");
        Directory.CreateDirectory(tmp.File("shared"));

        var result = Bench("weight-sync", "--sizes", "1,2", "--rounds", "1", "--folder", tmp.File("shared"), "--json", json);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var written = JsonDocument.Parse(File.ReadAllText(json));
        var rows = written.RootElement.GetProperty("results").EnumerateArray()
            .Select(r => (Bytes: r.GetProperty("bytes").GetInt64(), Transport: r.GetProperty("transport").GetString()!, Ratio: r.GetProperty("vs_raw").GetDouble()))
            .ToList();
        string[] transports = ["raw socket (baseline)", "http", "shm", "folder", "memory"];
        Assert.Equal(transports.Select(t => (1_000_000L, t)).Concat(transports.Select(t => (2_000_000L, t))), rows.Select(r => (r.Bytes, r.Transport)));
        Assert.All(rows, r => Assert.True(r.Ratio > 0, $"{r.Transport}: ratio {r.Ratio}"));
        Assert.All(rows.Where(r => r.Transport.StartsWith("raw")), r => Assert.Equal(1.0, r.Ratio));
        // Its published files are gone afterwards, from the folder it was given too.
        Assert.Empty(Directory.EnumerateFiles(tmp.File("shared"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Bench_options_reach_the_benchmark_with_digit_separators()
    {
        using var tmp = new TempFolder();
        var json = tmp.File("sampler.json");

        var result = Bench("sampler", "--prompts", "2_000", "--rounds", "3", "--linear-rounds", "1", "--seed", "5", "--json", json);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var written = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(2000, written.RootElement.GetProperty("prompts").GetInt32());
        Assert.Equal(3, written.RootElement.GetProperty("sumtree").GetProperty("rounds").GetInt32());
        Assert.Equal(1, written.RootElement.GetProperty("linear").GetProperty("rounds").GetInt32());
    }
}
