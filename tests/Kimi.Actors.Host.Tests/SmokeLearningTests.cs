using System.Diagnostics;
using System.Text.Json;
using Kimi.Actors.Host.Output;
using Kimi.Actors.Host.Tests.Support;
using Kimi.Actors.Reporting.Tests;
using Xunit.Abstractions;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// The core claim, end to end through the CLI: <c>kimi train --preset smoke</c> on the actor system (the default engine)
/// learns, measured on at least 200 held-out test prompts with a fixed seed that share nothing with training or
/// validation, not even a reordering of the same terms (TasksExportTests checks the sets), and leaves a complete run folder.
/// This is the one slow test of the suite (a few minutes on 2 cores).
/// </summary>
public sealed class SmokeLearningTests(ITestOutputHelper output)
{
    /// <summary>Per iteration, metrics.jsonl carries at least the fields the core issue lists.</summary>
    private static readonly string[] IterationFields =
    [
        "iteration", "reward_mean", "accuracy", "response_length_mean", "length_penalty_mean", "loss", "log_ratio_mean",
        "learning_rate", "rollout_tokens_per_s", "train_tokens_per_s",
    ];

    [Fact]
    public void Smoke_preset_on_the_cluster_engine_gains_at_least_ten_points_on_test_prompts_it_never_trained_on()
    {
        using var tmp = new TempFolder();
        var runDir = tmp.File("run");
        var wall = Stopwatch.StartNew();
        var result = CliRunner.Run(["train", "--preset", "smoke", "--out", runDir, .. CliRunner.StorageIn(tmp.Path)]);
        output.WriteLine($"kimi train --preset smoke: {wall.Elapsed.TotalSeconds:F0} s\n{result.Stdout}");
        Assert.True(result.ExitCode == 0, result.ToString());

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json")));
        var s = summary.RootElement;
        double sft = s.GetProperty("sft_accuracy").GetDouble(), rl = s.GetProperty("rl_accuracy").GetDouble();
        int iterations = s.GetProperty("iterations").GetInt32();
        output.WriteLine($"sft_accuracy {sft:F3}, rl_accuracy {rl:F3}, gain {rl - sft:+0.000;-0.000}, " +
            $"actor_overhead_fraction {s.GetProperty("actor_overhead_fraction").GetDouble():F4}");

        Assert.Equal("cluster", s.GetProperty("engine").GetString());
        Assert.Equal("smoke", s.GetProperty("preset").GetString());
        Assert.StartsWith("run-", s.GetProperty("run_id").GetString());
        Assert.Equal(1, s.GetProperty("seed").GetInt64());
        Assert.True(s.GetProperty("heldout_count").GetInt32() >= 200, $"heldout_count {s.GetProperty("heldout_count")}");
        Assert.InRange(sft, 0, 1);
        Assert.InRange(rl, 0, 1);
        // The test set shares no prompt with training, not even a reordering (canonical forms): measured +0.152 at seed 1
        // and +0.171 at seed 2 on 2 cores (flaw rate 0.3; +0.094 at the earlier 0.2). The bar leaves room for another
        // machine's numerics; RL that does not learn gains about 0.
        Assert.True(rl - sft >= 0.10, $"rl_accuracy {rl:F3} - sft_accuracy {sft:F3} = {rl - sft:F3} < 0.10");
        Assert.Equal(0, s.GetProperty("start_iteration").GetInt32());
        Assert.Equal(60, iterations);
        Assert.InRange(s.GetProperty("actor_overhead_fraction").GetDouble(), 0, 1);
        // Token efficiency beside accuracy: a running sum's answer takes some tokens, and no response passes the cap.
        foreach (var key in new[] { "sft_mean_response_tokens", "rl_mean_response_tokens" })
            Assert.InRange(s.GetProperty(key).GetDouble(), 3, 96);
        Assert.True(s.GetProperty("wall_seconds").GetDouble() > 0);

        // metrics.jsonl: one line per iteration, in order, with the issue's fields.
        var rows = MetricsJsonlReader.ReadNumericRows(Path.Combine(runDir, "metrics.jsonl"));
        Assert.Equal(iterations, rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            foreach (var field in IterationFields) Assert.True(rows[i].ContainsKey(field), $"metrics.jsonl line {i + 1} lacks {field}");
            Assert.Equal(i, rows[i]["iteration"]);
            Assert.InRange(rows[i]["accuracy"], 0, 1);
            Assert.True(rows[i]["rollout_tokens_per_s"] > 0 && rows[i]["train_tokens_per_s"] > 0);
        }

        // TensorBoard: one event file holding every iteration's scalars, stamped during the run, the validation accuracy
        // at every evaluation of the learning curve (after SFT, every eval.every-iterations = 10, at the end) and the test
        // accuracy after SFT and at the end only.
        var events = Directory.GetFiles(runDir, "events.out.tfevents.*");
        Assert.Single(events);
        var scalars = TensorBoardReader.ReadScalars(events[0]);
        Assert.Equal(Enumerable.Range(1, iterations).Select(i => (long)i), scalars.Where(e => e.Tag == "rl/reward_mean").Select(e => e.Step));
        double end = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, start = end - wall.Elapsed.TotalSeconds - 1;
        Assert.All(scalars, e => Assert.InRange(e.WallTime, start, end));
        Assert.Equal([0L, 10, 20, 30, 40, 50, 60], scalars.Where(e => e.Tag == "validation/accuracy").Select(e => e.Step));
        Assert.Equal([(0L, (float)sft), (60L, (float)rl)], scalars.Where(e => e.Tag == "test/accuracy").Select(e => (e.Step, e.Value)));

        // PNG charts that decode and are not blank, checkpoints after SFT and at the end, per-prompt success rates.
        foreach (var chart in new[] { "reward.png", "accuracy.png", "response_length.png", "log_ratio.png" })
        {
            using var png = SkiaSharp.SKBitmap.Decode(Path.Combine(runDir, chart));
            Assert.True(png is { Width: 640, Height: 400 }, chart);
            Assert.True(png.Pixels.Distinct().Count() > 20, $"{chart} is blank");
        }
        foreach (var checkpoint in new[] { "sft", "final" })
        {
            Assert.True(File.Exists(Path.Combine(runDir, "checkpoints", checkpoint, "model.safetensors")), checkpoint);
            Assert.True(File.Exists(Path.Combine(runDir, "checkpoints", checkpoint, "config.json")), checkpoint);
        }
        var stats = PromptStatsFile.Read(Path.Combine(runDir, PromptStatsFile.FileName));
        Assert.Equal(iterations * 32.0 * 8, rows.Sum(r => r["samples"]));               // 32 prompts x k = 8 per iteration
        Assert.Equal(rows.Sum(r => r["samples"]), stats.Values.Sum(c => c.Attempts));
        Assert.Equal(rows.Sum(r => r["accuracy"] * r["samples"]), stats.Values.Sum(c => c.Successes), precision: 6);

        // Exactly once, by trajectory id: every judged trajectory was trained on once, nothing unjudged was.
        var audit = CliRunner.Run(["runs", "audit", s.GetProperty("run_id").GetString()!, "--json", "--set", $"kimi.persistence.sqlite-file={tmp.File("kimi.db")}"]);
        Assert.True(audit.ExitCode == 0, audit.ToString());
        using (var a = JsonDocument.Parse(audit.Stdout))
        {
            var r = a.RootElement;
            Assert.Equal((0, 0, 0, 0), (r.GetProperty("lost").GetInt32(), r.GetProperty("duplicated").GetInt32(), r.GetProperty("unjudged").GetInt32(),
                r.GetProperty("pending").GetInt32()));
            Assert.Equal(rows.Sum(x => x["samples"]), r.GetProperty("trained").GetInt32());
            output.WriteLine($"audit: {audit.Stdout.Trim()[..Math.Min(200, audit.Stdout.Trim().Length)]}");
        }

        // The journal went where it was told, not into the working directory.
        Assert.True(File.Exists(tmp.File("kimi.db")));
        Assert.True(Directory.Exists(Path.Combine(tmp.Path, "checkpoints", s.GetProperty("run_id").GetString()!)));
    }
}
