using System.Text.Json;
using System.Text.RegularExpressions;
using Kimi.Actors.Host.Tests.Support;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// <c>kimi tasks export</c>: the sets a run would use are leak-free. The test reads the files as plain JSON and decides
/// for itself when two prompts are the same question, without the families' code: a running sum is the multiset of its
/// digits, a countdown puzzle the multiset of its numbers with its target.
/// </summary>
public sealed class TasksExportTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static string SameQuestion(string prompt)
    {
        if (Regex.Match(prompt, @"^(\d(?:\+\d)+)=$") is { Success: true } sum)
            return "sum " + string.Join(",", sum.Groups[1].Value.Split('+').Select(int.Parse).Order());
        if (Regex.Match(prompt, @"^(\d+(?: \d+)*)>(\d+):$") is { Success: true } countdown)
            return "countdown " + string.Join(",", countdown.Groups[1].Value.Split(' ').Select(long.Parse).Order()) + " to " + countdown.Groups[2].Value;
        throw new Xunit.Sdk.XunitException($"not a built-in prompt: {prompt}");
    }

    private static List<(string Id, string Prompt, string Canonical, int Difficulty)> Read(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return (r.GetProperty("id").GetString()!, r.GetProperty("prompt").GetString()!, r.GetProperty("canonical").GetString()!,
                r.GetProperty("difficulty").GetInt32());
        }).ToList();

    [Theory]
    [InlineData(null, 2 * 3 * 50, 2 * 3 * 20)]
    [InlineData("smoke", 3 * 70, 3 * 30)]
    public void The_exported_sets_share_no_question_even_reordered(string? preset, int testCount, int validationCount)
    {
        var dir = _tmp.File(preset ?? "default");
        var result = CliRunner.Run(["tasks", "export", "--out", dir, .. preset is null ? Array.Empty<string>() : ["--preset", preset]]);
        Assert.True(result.ExitCode == 0, result.ToString());

        var sets = new[] { "train", "validation", "test" }.ToDictionary(n => n, n => Read(Path.Combine(dir, n + ".jsonl")));
        Assert.Equal(testCount, sets["test"].Count);
        Assert.Equal(validationCount, sets["validation"].Count);
        Assert.True(sets["train"].Count > 1000, $"{sets["train"].Count} training prompts");
        if (preset == "smoke") Assert.True(sets["test"].Count >= 200);

        // Zero overlaps between any two sets, and no set repeats a question.
        var owner = new Dictionary<string, string>();
        foreach (var (name, set) in sets)
            foreach (var p in set)
                Assert.True(owner.TryAdd(SameQuestion(p.Prompt), name), $"{name} {p.Id} '{p.Prompt}' is the same question as a prompt of {owner[SameQuestion(p.Prompt)]}");

        // The canonical field names the same classes: equal exactly when the questions are.
        var all = sets.Values.SelectMany(s => s).ToList();
        Assert.Equal(all.Count, all.Select(p => p.Canonical).Distinct().Count());
        Assert.All(all, p => Assert.Equal(p.Canonical.Length, p.Prompt.Length));   // a reordering of the prompt's own characters
        Assert.Contains(result.Stdout.Split('\n'), l => l.Contains("test.jsonl") && l.Contains($"{testCount} prompts"));
    }

    [Fact]
    public void The_exported_sets_load_back_as_a_runs_prompt_files()
    {
        var dir = _tmp.File("export");
        Assert.Equal(0, CliRunner.Run("tasks", "export", "--out", dir, "--preset", "smoke").ExitCode);
        // The files are the input schema: a second export from them as files writes the same prompts again.
        var again = _tmp.File("again");
        var result = CliRunner.Run("tasks", "export", "--out", again, "--preset", "smoke",
            "--set", $"tasks.train-file={Path.Combine(dir, "train.jsonl")}", "--set", $"tasks.validation-file={Path.Combine(dir, "validation.jsonl")}",
            "--set", $"tasks.heldout-file={Path.Combine(dir, "test.jsonl")}");
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var set in new[] { "train", "validation", "test" })
            Assert.Equal(Read(Path.Combine(dir, set + ".jsonl")).Select(p => (p.Id, p.Prompt)), Read(Path.Combine(again, set + ".jsonl")).Select(p => (p.Id, p.Prompt)));
    }

    [Fact]
    public void Prompt_files_that_share_a_prompt_are_refused_naming_both()
    {
        var train = _tmp.File("train.jsonl");
        var test = _tmp.File("test.jsonl");
        File.WriteAllText(train, """{"id":"t1","prompt":"1+2=","answer":"3","domain":"arithmetic","difficulty":1}""" + "\n" +
            """{"id":"t2","prompt":"  4+4= ","answer":"8","domain":"arithmetic","difficulty":1}""" + "\n");
        File.WriteAllText(test, """{"id":"h1","prompt":"4+4=","answer":"8","domain":"arithmetic","difficulty":1}""" + "\n");
        var result = CliRunner.Run("tasks", "export", "--out", _tmp.File("out"), "--set", "eval.every-iterations=0",
            "--set", $"tasks.train-file={train}", "--set", $"tasks.heldout-file={test}");
        CliAssert.UserError(result, train, "'t2'", "'h1'", test);
    }

    [Fact]
    public void Periodic_evaluations_without_a_validation_set_are_refused()
    {
        var result = CliRunner.Run("tasks", "export", "--out", _tmp.File("out"), "--set", "tasks.validation-per-level=0");
        CliAssert.UserError(result, "kimi.eval.every-iterations", "validation");
    }
}
