using System.Diagnostics;
using System.Text.RegularExpressions;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Host.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// Ids on the command line: the rule (<see cref="CommandLineIds"/>), the ids kimi makes, and <c>kimi train --resume</c>
/// with an empty, a malformed and an unknown run id — each refused with exit code 2 and one line within seconds (an
/// empty id used to hang forever: the Run region drops a message without an entity id).
/// </summary>
public sealed class RunIdTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData("run-20260101-120000-0a1f")]
    [InlineData("a")]
    [InlineData("7")]
    [InlineData("Run_2.final-B")]
    public void Ids_of_letters_digits_dots_underscores_and_dashes_are_valid(string id)
    {
        Assert.Null(CommandLineIds.Problem(id, CommandLineIds.MaxRunIdLength));
        Assert.Null(CommandLineIds.Problem(new string('r', CommandLineIds.MaxRunIdLength), CommandLineIds.MaxRunIdLength));
    }

    [Theory]
    [InlineData("", "cannot be empty")]
    [InlineData("a|b", "'|' at position 2")]
    [InlineData("runs/a", "'/' at position 5")]
    [InlineData("a b", "U+0020 at position 2")]
    [InlineData("a\tb", "U+0009 at position 2")]
    [InlineData("a\u0000", "U+0000 at position 2")]
    [InlineData("ab\n", "U+000A at position 3")]
    [InlineData("é", "starts with a letter or digit")]
    [InlineData("-a", "starts with a letter or digit")]
    [InlineData(".", "starts with a letter or digit")]
    [InlineData("..", "starts with a letter or digit")]
    public void Ids_with_other_characters_are_refused_saying_which(string id, string expected)
    {
        Assert.Contains(expected, CommandLineIds.Problem(id, CommandLineIds.MaxRunIdLength));
    }

    [Fact]
    public void An_id_longer_than_the_limit_is_refused()
    {
        Assert.Equal("an id has at most 128 characters, this one has 129", CommandLineIds.Problem(new string('r', 129), 128));
    }

    [Fact]
    public void Generated_run_ids_satisfy_the_rule()
    {
        var random = new Random(3);
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (int i = 0; i < 2000; i++)
        {
            var id = CommandLineIds.NewRunId(start.AddSeconds(i * 7919.5), random);
            Assert.Matches(new Regex("^run-[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$"), id);
            Assert.Null(CommandLineIds.Problem(id, CommandLineIds.MaxRunIdLength));
        }
        Assert.Equal("run-20260102-030405-", CommandLineIds.NewRunId(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), random)[..20]);
    }

    // ---------------------------------------------------------------- kimi train --resume

    private static readonly TimeSpan Refusal = TimeSpan.FromSeconds(20);

    private string Database => _tmp.File("kimi.db");

    private string[] Resume(string runId) =>
        ["train", "--resume", runId, "--out", _tmp.File("run"), "--config", TinyRun.WriteConfig(_tmp.Path), .. CliRunner.StorageIn(_tmp.Path)];

    /// <summary>An intact SQLite database that holds no run (and no journal yet), so a resume gets as far as asking the Run entity.</summary>
    private byte[] CreateDatabase()
    {
        using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE unrelated (x INTEGER)";
            create.ExecuteNonQuery();
        }
        return File.ReadAllBytes(Database);
    }

    [Fact]
    public void Resume_with_an_empty_run_id_exits_two_within_seconds()
    {
        // With a database there, an empty id that got through would reach the Run region, which drops it: a hang, ended
        // here by the deadline. As a process: the empty argument must survive the shell-free argv.
        var before = CreateDatabase();
        var clock = Stopwatch.StartNew();
        using var kimi = KimiProcess.Start(Resume(""));
        int code = kimi.WaitForExit(Refusal);

        Assert.True(code == 2, $"exit {code}\n{kimi.Stderr}");
        Assert.True(clock.Elapsed < Refusal, $"took {clock.Elapsed.TotalSeconds:F1} s");
        var line = Assert.Single(kimi.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal("kimi: error: train: --resume \"\": an id cannot be empty", line);
        Assert.Equal(before, File.ReadAllBytes(Database));
        Assert.False(Directory.Exists(_tmp.File("run")), "nothing is created for a refused id");
    }

    [Theory]
    [InlineData("run|x", "'|' at position 4")]
    [InlineData("../etc", "starts with a letter or digit")]
    [InlineData("run 1", "U+0020 at position 4")]
    [InlineData("run\u0007", "U+0007 at position 4")]
    public void Resume_with_a_malformed_run_id_exits_two_at_once(string runId, string expected)
    {
        var before = CreateDatabase();
        var (result, elapsed) = CliRunner.RunWithin(Refusal, Resume(runId));

        CliAssert.UserError(result, "kimi: error: train: --resume ", expected);
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"took {elapsed.TotalSeconds:F1} s");
        Assert.Equal(before, File.ReadAllBytes(Database));
    }

    [Fact]
    public void Resume_with_a_run_id_longer_than_128_characters_is_refused()
    {
        var (result, _) = CliRunner.RunWithin(Refusal, Resume(new string('r', 129)));

        CliAssert.UserError(result, "--resume rrrr", "at most 128 characters");
    }

    [Fact]
    public void Resume_of_a_run_when_the_database_does_not_exist_names_the_file_and_creates_nothing()
    {
        var (result, elapsed) = CliRunner.RunWithin(Refusal, Resume("no-such-run"));

        CliAssert.UserError(result,
            $"kimi: error: run no-such-run: no run with id no-such-run: the journal SQLite file '{Database}' does not exist");
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"took {elapsed.TotalSeconds:F1} s");
        Assert.False(File.Exists(Database));
        Assert.False(Directory.Exists(_tmp.File("run")));
    }

    [Fact]
    public void Resume_of_a_run_the_database_does_not_hold_names_the_database_within_seconds()
    {
        CreateDatabase();

        var (result, elapsed) = CliRunner.RunWithin(TimeSpan.FromSeconds(60), Resume("no-such-run"));

        // The node says what it starts before the Run answers; the answer is the last line, the only error.
        Assert.True(result.ExitCode == 2, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal($"kimi: error: run no-such-run: no run with id no-such-run in the journal (SQLite file '{Database}')", lines[^1]);
        Assert.Single(lines, l => l.Contains("error"));
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.True(elapsed < Refusal, $"took {elapsed.TotalSeconds:F1} s");
    }
}
