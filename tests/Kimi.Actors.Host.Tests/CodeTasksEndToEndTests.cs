using System.Text.Json;
using Kimi.Actors.Host.Output;
using Kimi.Actors.Host.Tests.Support;
using Kimi.Actors.Reporting.Tests;
using Kimi.Actors.Tasks;
using Xunit.Abstractions;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// The code task family end to end on the cluster engine: <c>kimi train --preset code-smoke</c>, shortened, runs SFT,
/// RL iterations whose programs the RewardJudge entities run in the sandbox, and the held-out evaluation of the
/// code domain; every judged program was trained on once. Whether the tiny model learns code is not claimed here
/// (BENCHMARKS.md, "code-smoke preset", records the measured full preset).
/// </summary>
public sealed class CodeTasksEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public void A_shortened_code_smoke_run_judges_programs_in_the_sandbox_and_trains_each_once()
    {
        using var tmp = new TempFolder();
        var runDir = tmp.File("run");
        const int iterations = 2, prompts = 4, samples = 4;
        var result = CliRunner.Run(["train", "--preset", "code-smoke", "--out", runDir, .. CliRunner.StorageIn(tmp.Path),
            "--set", "kimi.sft.steps=40", "--set", $"kimi.run.iterations={iterations}", "--set", "kimi.tasks.heldout-per-level=3",
            "--set", $"kimi.rollout.prompts-per-iteration={prompts}", "--set", $"kimi.rollout.samples-per-prompt={samples}"]);
        output.WriteLine(result.Stdout);
        Assert.True(result.ExitCode == 0, result.ToString());

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json")));
        var s = summary.RootElement;
        Assert.Equal("code-smoke", s.GetProperty("preset").GetString());
        Assert.Equal(9, s.GetProperty("heldout_count").GetInt32());                  // 3 per level, levels 1..3
        Assert.True(s.GetProperty("rl_accuracy_by_domain").TryGetProperty(Verifiers.Code, out _), s.ToString());

        var rows = MetricsJsonlReader.ReadNumericRows(Path.Combine(runDir, "metrics.jsonl"));
        Assert.Equal(iterations, rows.Count);
        foreach (var row in rows)
        {
            Assert.Equal(prompts * samples, row["samples"]);
            Assert.True(row["judge_seconds"] > 0, "no time spent judging");
        }
        var stats = PromptStatsFile.Read(Path.Combine(runDir, PromptStatsFile.FileName));
        Assert.Equal(rows.Sum(r => r["samples"]), stats.Values.Sum(c => c.Attempts));

        var audit = CliRunner.Run(["runs", "audit", s.GetProperty("run_id").GetString()!, "--json", "--set", $"kimi.persistence.sqlite-file={tmp.File("kimi.db")}"]);
        Assert.True(audit.ExitCode == 0, audit.ToString());
        using var a = JsonDocument.Parse(audit.Stdout);
        Assert.Equal(0, a.RootElement.GetProperty("lost").GetInt32());
        Assert.Equal(0, a.RootElement.GetProperty("duplicated").GetInt32());
        Assert.Equal(iterations * prompts * samples, a.RootElement.GetProperty("trained").GetInt32());
    }
}
