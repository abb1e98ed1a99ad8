using System.Diagnostics;
using System.Text.Json;
using Kimi.Actors.Host.Tests.Support;
using Xunit.Abstractions;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// RL on the built-in code tasks learns: <c>kimi train --preset code-smoke</c> on the cluster engine (programs judged
/// in the sandbox by the RewardJudge entities) raises the held-out pass rate, on code prompts never trained on.
/// Slow (minutes on 2 cores), like the smoke learning test.
/// </summary>
public sealed class CodeSmokeLearningTests(ITestOutputHelper output)
{
    [Fact]
    public void Code_smoke_preset_raises_the_held_out_pass_rate()
    {
        using var tmp = new TempFolder();
        var runDir = tmp.File("run");
        var wall = Stopwatch.StartNew();
        var result = CliRunner.Run(["train", "--preset", "code-smoke", "--out", runDir, .. CliRunner.StorageIn(tmp.Path)]);
        output.WriteLine($"kimi train --preset code-smoke: {wall.Elapsed.TotalSeconds:F0} s\n{result.Stdout}");
        Assert.True(result.ExitCode == 0, result.ToString());

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json")));
        var s = summary.RootElement;
        double sft = s.GetProperty("sft_accuracy").GetDouble(), rl = s.GetProperty("rl_accuracy").GetDouble();
        output.WriteLine($"sft_accuracy {sft:F3}, rl_accuracy {rl:F3}, gain {rl - sft:+0.000;-0.000}");
        Assert.Equal("code-smoke", s.GetProperty("preset").GetString());
        Assert.True(s.GetProperty("heldout_count").GetInt32() >= 100, $"heldout_count {s.GetProperty("heldout_count")}");
        Assert.True(s.GetProperty("accuracy_by_domain").TryGetProperty("code", out _) || s.ToString().Contains("\"code\""), "no code-domain accuracy");
        Assert.True(rl - sft >= 0.05, $"rl_accuracy {rl:F3} - sft_accuracy {sft:F3} = {rl - sft:F3} < 0.05");
    }
}
