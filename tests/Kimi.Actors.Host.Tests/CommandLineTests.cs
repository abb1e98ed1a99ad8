using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Host.Commands;
using Kimi.Actors.Host.Tests.Support;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// The command line of kimi: generated help per command, and one error line naming the option for whatever is typed
/// wrong. Everything here is refused while parsing, before a configuration is read or a node starts.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>
    /// kimi with <paramref name="commandLine"/>; <c>train</c> gets the tiny configuration and storage in the temp folder
    /// first, so a refusal that failed to happen would start a run of seconds there, not the default run here.
    /// </summary>
    private CliResult Kimi(string commandLine) => Kimi(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private CliResult Kimi(params string[] args) => CliRunner.Run(args is ["train", .. var rest]
        ? ["train", "--config", TinyRun.WriteConfig(_tmp.Path), .. CliRunner.StorageIn(_tmp.Path), .. rest]
        : args);

    [Fact]
    public void Kimi_help_lists_every_command_and_the_configuration_layers()
    {
        var help = Kimi("--help");

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Equal("", help.Stderr);
        Assert.Contains("kimi [command] [options]", help.Stdout);
        foreach (var command in new[] { "train", "node", "chaos", "eval", "judge", "curate", "runs", "model", "tasks", "long2short", "worker" })
            Assert.Matches($"(?m)^  {command} +\\S", help.Stdout);
        Assert.Contains("--config FILE (repeatable) < --set key=value", help.Stdout);
        Assert.Equal(help.Stdout, Kimi("-h").Stdout);
        Assert.Equal(help.Stdout, Kimi("help").Stdout);
        Assert.Equal(Kimi("eval --help").Stdout, Kimi("help eval").Stdout);
    }

    [Theory]
    [InlineData("train", "--preset <NAME>", "--config <FILE>", "--set <key=value>", "--out <DIR>", "--resume <RUN_ID>", "--iterations <N>",
        "--seed <N>", "--device <D>")]
    [InlineData("eval", "--checkpoint <DIR> (REQUIRED)", "--prompts <FILE> (REQUIRED)", "--max-response-tokens <N>", "--device <D>",
        "[default: 96]", "[default: cpu]")]
    [InlineData("worker", "--parent <AKKA-PATH> (REQUIRED)", "--worker-id <ID> (REQUIRED)", "--incarnation <N>", "--device <D>",
        "--threads <N>", "--config <FILE>")]
    public void Each_command_has_generated_help_listing_each_of_its_options(string command, params string[] options)
    {
        var help = Kimi($"{command} --help");

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Equal("", help.Stderr);
        Assert.Contains($"kimi {command} [options]", help.Stdout);
        foreach (var option in options) Assert.Contains(option, help.Stdout);
        // Help wins over whatever else is on the line, as in any generated help.
        Assert.Equal(help.Stdout, Kimi($"{command} --no-such-option --help").Stdout);
    }

    [Theory]
    [InlineData("trian", "unknown command 'trian' (did you mean train?) (commands: train, node, chaos, eval, judge, curate, runs, model, tasks, long2short, worker; see kimi --help)")]
    [InlineData("--verbose", "unknown option '--verbose' (see kimi --help)")]
    [InlineData("train --iteration 3", "train: unknown option '--iteration' (did you mean --iterations?) (see kimi train --help)")]
    [InlineData("train --iterations three", "train: --iterations three: expected an integer >= 0")]
    [InlineData("train --iterations -2", "train: --iterations -2: expected an integer >= 0")]
    [InlineData("train --seed 1.5", "train: --seed 1.5: expected an integer >= 0")]
    [InlineData("train --out", "train: --out needs a value")]
    [InlineData("train --out --iterations 2", "train: --out needs a value")]
    [InlineData("train --out a --out b", "train: --out given 2 times")]
    [InlineData("train --set a=1 b", "train: unexpected argument 'b' (see kimi train --help)")]
    [InlineData("train --device tpu", "train: --device tpu: expected cpu, cuda, cuda:N or auto")]
    [InlineData("eval --prompts p.jsonl", "eval: --checkpoint DIR is required (see kimi eval --help)")]
    [InlineData("eval --checkpoint c --prompts p --max-response-tokens 0", "eval: --max-response-tokens 0: expected an integer >= 1")]
    [InlineData("eval --checkpoint c --prompts p --max-response-tokens 99999999999",
        "eval: --max-response-tokens 99999999999: expected an integer >= 1 and <= 2147483647")]
    [InlineData("eval --checkpoint c --prompts p --device cuda:x", "eval: --device cuda:x: expected cpu, cuda, cuda:N or auto")]
    public void A_mistake_on_the_command_line_exits_two_with_one_line_naming_it(string commandLine, string expected)
    {
        var line = CliAssert.UserError(Kimi(commandLine));
        Assert.Equal("kimi: error: " + expected, line);
    }

    [Fact]
    public void An_empty_value_is_refused_naming_the_option()
    {
        CliAssert.UserError(Kimi("train", "--out", ""), "train: --out \"\": cannot be empty");
        CliAssert.UserError(Kimi("eval", "--checkpoint", "", "--prompts", "p"), "eval: --checkpoint \"\": cannot be empty");
    }

    [Fact]
    public void Repeatable_options_keep_every_value_in_order_and_both_spellings_work()
    {
        // --set is layered in order: the later value of the same key wins, so a refused value proves which one was read.
        var result = Kimi("train", "--out", _tmp.File("run"), "--set", "rollout.temperature=0.5", "--set=rollout.temperature=-1");
        CliAssert.UserError(result, "kimi.rollout.temperature = -1");
        Assert.False(Directory.Exists(_tmp.File("run")));
    }

    // ---------------------------------------------------------------- kimi worker

    private static readonly string Parent = "akka.tcp://kimi@127.0.0.1:2551/user/sharding/rollout/3/run-x%7Crollout-0/worker";

    private static (CliResult Result, WorkerProcessArguments? Parsed) Worker(params string[] args)
    {
        WorkerProcessArguments? parsed = null;
        var program = KimiCli.Program with { Commands = [() => WorkerCommand.Create((a, _) => { parsed = a; return 0; })] };
        return (CliRunner.Run(program, args), parsed);
    }

    [Fact]
    public void Worker_parses_the_command_line_its_launcher_writes()
    {
        var written = new WorkerProcessArguments(Parent, "run-20260101-120000-0a1f-rollout-3", "cuda:1", Threads: 4, Incarnation: 2,
            ConfigFile: "/tmp/kimi-worker.conf");

        var (result, parsed) = Worker([.. written.ToArgs()]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(written, parsed);
    }

    [Fact]
    public void Worker_defaults_are_one_thread_the_cpu_and_the_first_incarnation()
    {
        var (result, parsed) = Worker("worker", "--parent", Parent, "--worker-id", "w");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(new WorkerProcessArguments(Parent, "w", Device: "cpu", Threads: 1, Incarnation: 1, ConfigFile: null), parsed);
    }

    [Theory]
    [InlineData("--worker-id w", "worker: --parent AKKA-PATH is required")]
    [InlineData("--parent not-a-path --worker-id w", "worker: --parent not-a-path: expected a full actor path with an address")]
    [InlineData("--parent akka://local/user/p --worker-id w", "worker: --parent akka://local/user/p: expected a full actor path with an address")]
    [InlineData("--parent {0} --worker-id a|b", "worker: --worker-id a|b: '|' at position 2 is not allowed")]
    [InlineData("--parent {0} --worker-id w --device tpu", "worker: --device tpu: expected cpu, cuda or cuda:N")]
    [InlineData("--parent {0} --worker-id w --device auto", "worker: --device auto: expected cpu, cuda or cuda:N")]
    [InlineData("--parent {0} --worker-id w --incarnation 0", "worker: --incarnation 0: expected an integer >= 1")]
    [InlineData("--parent {0} --worker-id w --threads -1", "worker: --threads -1: expected an integer >= 0")]
    [InlineData("--parent {0} --worker-id w --gpu 0", "worker: unknown option '--gpu' (see kimi worker --help)")]
    public void Worker_refuses_a_bad_command_line_naming_the_option(string arguments, string expected)
    {
        var (result, parsed) = Worker(["worker", .. string.Format(arguments, Parent).Split(' ')]);

        CliAssert.UserError(result, "kimi: error: " + expected);
        Assert.Null(parsed);
    }

    [Fact]
    public void Worker_with_a_configuration_file_it_cannot_read_exits_two_naming_the_file()
    {
        var missing = _tmp.File("missing.conf");

        // The real worker command: refused before an actor system starts.
        var result = CliRunner.Run("worker", "--parent", Parent, "--worker-id", "w", "--config", missing);

        CliAssert.UserError(result, $"kimi: error: worker: --config {missing}: ");
    }
}
