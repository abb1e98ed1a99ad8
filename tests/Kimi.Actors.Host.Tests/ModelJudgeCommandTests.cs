using System.Text.Json;
using Kimi.Actors.Host.Tests.Support;
using Kimi.Actors.Rl.Judging.ModelJudges;

namespace Kimi.Actors.Host.Tests;

/// <summary><c>kimi judge train|eval|model</c>: a judge checkpoint trained and measured from the command line; bad input is one line and exit code 2.</summary>
public sealed class ModelJudgeCommandTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static readonly string[] Tiny =
        ["--families", "sum", "--train-prompts", "10", "--heldout-prompts", "4", "--steps", "12", "--hidden-size", "16", "--layers", "1", "--threads", "1"];

    [Fact]
    public void Train_then_eval_prints_held_out_accuracy_beside_the_majority_class()
    {
        var dir = Path.Combine(_tmp.Path, "vh");
        var train = CliRunner.Run(["judge", "train", "--kind", "value-head", "--out", dir, .. Tiny]);
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("trained value-head judge", train.Stdout);
        Assert.True(File.Exists(Path.Combine(dir, JudgeManifest.FileName)));

        var eval = CliRunner.Run("judge", "eval", "--checkpoint", dir, "--json", "--threads", "1");
        Assert.True(eval.ExitCode == 0, eval.ToString());
        var json = JsonDocument.Parse(eval.Stdout).RootElement;
        // The held-out side of the recorded examples: 4 prompts for each of sum's 3 levels, 4 responses each (fewer where a
        // variant does not exist for a prompt), none of them a training question.
        int heldOut = json.GetProperty("heldout").GetInt32();
        Assert.InRange(heldOut, 40, 48);
        var judge = json.GetProperty("judges")[0];
        Assert.Equal("value-head", judge.GetProperty("judge").GetString());
        var overall = judge.GetProperty("overall");
        Assert.Equal(heldOut, overall.GetProperty("total").GetInt32());
        Assert.Equal(Math.Round(overall.GetProperty("correct").GetInt32() / (double)heldOut, 4), overall.GetProperty("accuracy").GetDouble());
        // Chance: the larger class of the held-out labels (half of each kind's total is correct, by kind).
        int positives = judge.GetProperty("by_kind").EnumerateObject()
            .Where(k => k.Name is "correct" or "reformatted" or "slip-right-answer").Sum(k => k.Value.GetProperty("total").GetInt32());
        Assert.Equal(Math.Round(Math.Max(positives, heldOut - positives) / (double)heldOut, 4), json.GetProperty("chance").GetDouble());
        Assert.Equal(positives, overall.GetProperty("labelled_correct").GetInt32());
        Assert.Equal(json.GetProperty("chance").GetDouble(), overall.GetProperty("majority").GetDouble());

        var one = CliRunner.Run("judge", "model", "--checkpoint", dir, "--question", "3+5+2=", "--reference", "10", "--response", "3,8,10#10", "--json");
        Assert.True(one.ExitCode == 0, one.ToString());
        var verdict = JsonDocument.Parse(one.Stdout).RootElement;
        Assert.Equal("value-head", verdict.GetProperty("judge").GetString());
        Assert.StartsWith("value-head: p(correct) = ", verdict.GetProperty("reason").GetString());
        Assert.InRange(verdict.GetProperty("score").GetDouble(), 0, 1);
    }

    [Fact]
    public void Bad_input_exits_2_naming_the_option_or_file()
    {
        var r = CliRunner.Run("judge", "train", "--kind", "oracle", "--out", Path.Combine(_tmp.Path, "x"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--kind", r.Stderr);

        r = CliRunner.Run("judge", "train", "--kind", "cot", "--out", Path.Combine(_tmp.Path, "x"), "--families", "sum,code");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--families sum,code: expected some of sum, countdown", r.Stderr);

        r = CliRunner.Run("judge", "train", "--kind", "cot", "--out", Path.Combine(_tmp.Path, "x"), "--hidden-size", "18");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("hidden-size", r.Stderr);

        var missing = Path.Combine(_tmp.Path, "no-judge");
        r = CliRunner.Run("judge", "eval", "--checkpoint", missing, "--json");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{Path.Combine(missing, JudgeManifest.FileName)}: missing: not a judge checkpoint", r.Stderr);
        Assert.Equal("", r.Stdout);

        Directory.CreateDirectory(missing);
        File.WriteAllText(Path.Combine(missing, JudgeManifest.FileName), "{\"format\": 1, \"kind\": \"value-head\", \"threshold\": 2}");
        r = CliRunner.Run("judge", "eval", "--checkpoint", missing);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("judge.json: threshold: must be in (0, 1)", r.Stderr);

        r = CliRunner.Run("judge", "eval");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--checkpoint", r.Stderr);
        Assert.All(new[] { r.Stderr }, s => Assert.Single(s.Trim().Split('\n')));
    }
}
