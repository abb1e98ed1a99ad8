using System.Text.Json;
using Kimi.Actors.Host.Tests.Support;

namespace Kimi.Actors.Host.Tests;

/// <summary><c>kimi judge math|code</c>: one verdict as JSON for scripts; bad input is one line and exit code 2.</summary>
public sealed class JudgeCommandTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static JsonElement Json(CliResult r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    [Theory]
    [InlineData("\\frac{1}{2}", "0.5", true, "ok")]
    [InlineData("1,000", "1000", true, "ok")]
    [InlineData("2", "2.0001", false, "wrong value")]
    [InlineData("-0", "0", true, "ok")]
    public void Judge_math_prints_correct_and_reason(string answer, string reference, bool correct, string reason)
    {
        var json = Json(CliRunner.Run("judge", "math", "--answer", answer, "--reference", reference, "--json"));
        Assert.Equal((correct, reason), (json.GetProperty("correct").GetBoolean(), json.GetProperty("reason").GetString()));
    }

    [Fact]
    public void Judge_math_can_extract_from_a_whole_response()
    {
        var json = Json(CliRunner.Run("judge", "math", "--answer", "so we get \\boxed{3/4}.", "--reference", "0.75", "--extraction", "boxed", "--json"));
        Assert.True(json.GetProperty("correct").GetBoolean());
        var bad = CliRunner.Run("judge", "math", "--answer", "1", "--reference", "1", "--extraction", "psychic");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--extraction", bad.Stderr);
    }

    [Fact]
    public void Judge_code_runs_the_program_against_the_tests_in_the_sandbox()
    {
        var program = Path.Combine(_tmp.Path, "add.py");
        File.WriteAllText(program, "a, b = map(int, input().split())\nprint(a + b)\n");
        var tests = Path.Combine(_tmp.Path, "tests.jsonl");
        File.WriteAllText(tests, "{\"input\": \"1 2\\n\", \"output\": \"3\"}\n\n{\"input\": \"5 5\", \"output\": \"10  \\n\"}\n");
        var json = Json(CliRunner.Run("judge", "code", "--program", program, "--tests", tests, "--json"));
        Assert.True(json.GetProperty("passed").GetBoolean(), json.ToString());
        Assert.Equal(1, json.GetProperty("reward").GetInt32());
        Assert.Equal("ok", json.GetProperty("reason").GetString());
        Assert.InRange(json.GetProperty("wall_ms").GetInt64(), 1, 30_000);

        File.WriteAllText(program, "import time\ntime.sleep(30)\n");
        json = Json(CliRunner.Run("judge", "code", "--program", program, "--tests", tests, "--json", "--set", "judges.sandbox.wall-time=1s"));
        Assert.Equal((false, 0, "wall time limit (1000 ms) on test 1"),
            (json.GetProperty("passed").GetBoolean(), json.GetProperty("reward").GetInt32(), json.GetProperty("reason").GetString()));
    }

    [Fact]
    public void Judge_code_refuses_bad_input_with_one_line()
    {
        var program = Path.Combine(_tmp.Path, "p.py");
        File.WriteAllText(program, "print(1)\n");
        var tests = Path.Combine(_tmp.Path, "t.jsonl");
        File.WriteAllText(tests, "{\"input\": \"1\", \"output\": \"1\"}\n{\"input\": 5}\n");
        var r = CliRunner.Run("judge", "code", "--program", program, "--tests", tests);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{tests}:2: field 'input': expected a string", r.Stderr);
        File.WriteAllText(tests, "{\"input\": \"1\", \"output\": \"1\"}\n");
        r = CliRunner.Run("judge", "code", "--program", program, "--tests", tests, "--set", "judges.sandbox.bwrap=no-such-bwrap");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("bubblewrap ('no-such-bwrap') is not installed", r.Stderr);
        var rb = Path.Combine(_tmp.Path, "p.rb");
        File.WriteAllText(rb, "puts 1\n");
        r = CliRunner.Run("judge", "code", "--program", rb, "--tests", tests);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no sandbox language for '.rb'", r.Stderr);
    }
}
