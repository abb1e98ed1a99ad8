using System.Text;
using Kimi.Actors.Host.Tests.Support;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// Mistakes in what kimi is given (arguments, configuration, input files, the database) end with exit code 2 and one line
/// on stderr that names the file, line or key — no stack trace — and change nothing that was already there. All of them
/// are refused before a node or a model starts, so every test here takes milliseconds.
/// </summary>
public sealed class UserErrorTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>
    /// <c>kimi train</c> into the temp folder. Over the tiny configuration: should a refusal fail to happen, the run that
    /// starts instead ends in seconds (and the test fails on its exit code) rather than training for an hour.
    /// </summary>
    private CliResult Train(params string[] args) =>
        CliRunner.Run(["train", "--out", _tmp.File("run"), "--config", TinyRun.WriteConfig(_tmp.Path), .. CliRunner.StorageIn(_tmp.Path), .. args]);

    [Fact]
    public void Eval_with_a_malformed_prompts_line_names_the_file_and_the_line()
    {
        var prompts = _tmp.File("prompts.jsonl");
        File.WriteAllText(prompts,
            """{"id": "a", "prompt": "1+2=", "answer": "3", "domain": "arithmetic", "difficulty": 1, "tags": []}""" + "\n" +
            """{"id": "b", "prompt": "2+2=", "answer": "4", "domain": "arithmetic", "difficulty": 1, "tags": [""" + "\n");

        var line = CliAssert.UserError(CliRunner.Run("eval", "--checkpoint", _tmp.File("no-checkpoint"), "--prompts", prompts), prompts + ":2:");
        Assert.DoesNotContain(prompts + ":1:", line);
    }

    [Fact]
    public void Eval_with_a_prompt_missing_a_field_names_the_field()
    {
        var prompts = _tmp.File("prompts.jsonl");
        File.WriteAllText(prompts, """{"id": "a", "prompt": "1+2=", "domain": "arithmetic", "difficulty": 1}""" + "\n");

        CliAssert.UserError(CliRunner.Run("eval", "--checkpoint", _tmp.File("no-checkpoint"), "--prompts", prompts), prompts + ":1:", "answer");
    }

    [Fact]
    public void Eval_of_a_missing_checkpoint_names_the_folder()
    {
        var prompts = _tmp.File("prompts.jsonl");
        File.WriteAllText(prompts, """{"id": "a", "prompt": "1+2=", "answer": "3", "domain": "arithmetic", "difficulty": 1}""" + "\n");

        CliAssert.UserError(CliRunner.Run("eval", "--checkpoint", _tmp.File("no-checkpoint"), "--prompts", prompts), "no-checkpoint");
    }

    [Fact]
    public void An_unknown_preset_lists_the_available_ones()
    {
        CliAssert.UserError(Train("--preset", "smokey"), "unknown preset 'smokey'", "smoke");
        Assert.False(Directory.Exists(_tmp.File("run")));
    }

    [Fact]
    public void An_unknown_command_or_option_is_named()
    {
        CliAssert.UserError(CliRunner.Run("trian"), "'trian'");
        CliAssert.UserError(Train("--iteration", "3"), "'--iteration'");
        CliAssert.UserError(Train("--iterations", "three"), "--iterations three");
    }

    [Fact]
    public void An_output_folder_that_cannot_be_created_is_named()
    {
        // A path below a regular file can never be a folder (file permissions would not stop root).
        var blocker = _tmp.File("a-file");
        File.WriteAllText(blocker, "not a folder");
        var outDir = Path.Combine(blocker, "run");

        CliAssert.UserError(CliRunner.Run(["train", "--out", outDir, .. CliRunner.StorageIn(_tmp.Path)]), $"output folder '{outDir}'", "not writable");
        Assert.Equal("not a folder", File.ReadAllText(blocker));
    }

    [Fact]
    public void An_output_folder_that_is_a_file_is_refused_and_left_alone()
    {
        var file = _tmp.File("run");
        File.WriteAllText(file, "keep me");

        CliAssert.UserError(Train(), $"output folder '{file}' is a file");
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("kimi.rollout.temperature=-1", "kimi.rollout.temperature = -1")]
    [InlineData("rollout.temperature=hot", "kimi.rollout.temperature = hot")]
    [InlineData("kimi.sampling.strategy=greedy", "kimi.sampling.strategy = greedy")]
    [InlineData("kimi.workers.mode=threads", "kimi.workers.mode = threads")]
    [InlineData("kimi.prompt.snapshot-every=0", "kimi.prompt.snapshot-every = 0")]
    [InlineData("kimi.run.engine=spark", "kimi.run.engine = spark")]
    public void An_invalid_value_names_the_key_and_the_value(string setting, string expected)
    {
        CliAssert.UserError(Train("--set", setting), expected);
        Assert.False(Directory.Exists(_tmp.File("run")), "nothing is written for a refused configuration");
        Assert.False(File.Exists(_tmp.File("kimi.db")), "the database is not created for a refused configuration");
    }

    [Theory]
    [InlineData("kimi.rollout.temprature=0.5", "kimi.rollout.temprature: unknown key (did you mean kimi.rollout.temperature?)")]
    [InlineData("kimi.workers.mod=process", "kimi.workers.mod: unknown key (did you mean kimi.workers.mode?)")]
    [InlineData("kimi.workers.backoff.mn=1s", "kimi.workers.backoff.mn: unknown key (did you mean kimi.workers.backoff.min?)")]
    [InlineData("kimi.persistence.sqlite=/tmp/k.db", "kimi.persistence.sqlite: unknown key (did you mean kimi.persistence.sqlite-file?)")]
    [InlineData("kimi.cluster.rollout-slot=2", "kimi.cluster.rollout-slot: unknown key (did you mean kimi.cluster.rollout-slots?)")]
    public void An_unknown_key_is_named_with_the_nearest_known_one(string setting, string expected)
    {
        CliAssert.UserError(Train("--set", setting), expected);
    }

    [Theory]
    [InlineData("kimi {\n  rollout {\n    temperature = 0.5\n  }\n", "line 1: '{' is never closed")]
    [InlineData("kimi.tasks.families = [sum, countdown\n", "line 1: '[' is never closed")]
    [InlineData("kimi.rollout.temperature = 0.5 }\n", "line 1: unexpected '}'")]
    [InlineData("kimi.run.runs-dir = \"runs\n", "line 1: a quoted string is never closed")]
    public void A_configuration_file_that_does_not_parse_is_named_with_the_line(string text, string expected)
    {
        var conf = _tmp.File("bad.conf");
        File.WriteAllText(conf, text);
        CliAssert.UserError(Train("--config", conf), conf, expected);
    }

    [Fact]
    public void A_configuration_file_that_does_not_exist_is_named()
    {
        CliAssert.UserError(Train("--config", _tmp.File("missing.conf")), "missing.conf", "does not exist");
    }

    [Fact]
    public void A_database_file_that_is_not_sqlite_is_named_and_left_byte_for_byte()
    {
        var db = _tmp.File("kimi.db");
        var garbage = new byte[64 * 1024];
        new Random(7).NextBytes(garbage);
        File.WriteAllBytes(db, garbage);
        var written = File.GetLastWriteTimeUtc(db);

        CliAssert.UserError(Train(), $"database file '{db}'", "not a SQLite database");
        Assert.Equal(garbage, File.ReadAllBytes(db));
        Assert.Equal(written, File.GetLastWriteTimeUtc(db));
        Assert.False(Directory.Exists(_tmp.File("run")), "the run folder is not created when the database is refused");
    }

    [Fact]
    public void A_database_with_a_sqlite_header_and_a_damaged_body_is_named_and_left_byte_for_byte()
    {
        var db = _tmp.File("kimi.db");
        var bytes = new byte[8192];
        Encoding.ASCII.GetBytes("SQLite format 3\0").CopyTo(bytes, 0);
        for (int i = 16; i < bytes.Length; i++) bytes[i] = (byte)(i * 31);
        File.WriteAllBytes(db, bytes);

        CliAssert.UserError(Train(), $"database file '{db}'", "left untouched");
        Assert.Equal(bytes, File.ReadAllBytes(db));
    }

    [Fact]
    public void A_database_location_that_cannot_be_written_is_named()
    {
        var blocker = _tmp.File("a-file");
        File.WriteAllText(blocker, "not a folder");
        var db = Path.Combine(blocker, "kimi.db");

        CliAssert.UserError(CliRunner.Run(["train", "--out", _tmp.File("run"), .. CliRunner.StorageIn(_tmp.Path, database: db)]), $"database file '{db}'", "cannot be created or written");
        Assert.Equal("not a folder", File.ReadAllText(blocker));
    }

    [Fact]
    public void Resume_refuses_options_that_would_change_the_run()
    {
        CliAssert.UserError(Train("--resume", "run-x", "--preset", "smoke"), "--resume");
        CliAssert.UserError(Train("--resume", "run-x", "--seed", "3"), "--resume");
    }

    [Fact]
    public void No_arguments_print_the_usage_and_exit_two()
    {
        var none = CliRunner.Run();
        CliAssert.UserError(none, "no command given", "train, node, chaos, eval, judge, curate, runs, model, tasks, long2short, worker");
        Assert.Contains("Usage:", none.Stdout);
        Assert.Contains("kimi [command] [options]", none.Stdout);
    }
}
