using System.Text.Json;
using Kimi.Actors.Host.Output;
using Kimi.Actors.Host.Tests.Support;
using Kimi.Actors.Reporting.Tests;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// Two short runs on one database, made once for the tests below: <c>kimi train --preset smoke --out A --iterations 3</c>
/// with a tiny model (<see cref="TinyRun"/>'s configuration file over the preset), then <c>kimi train --resume RUN --out B
/// --iterations 2 --set kimi.optimization.learning-rate=2e-5</c>.
/// </summary>
public sealed class ResumedRun : IDisposable
{
    public const int FirstIterations = 3, MoreIterations = 2;

    /// <summary>The resumed run changes one hyperparameter (the smoke preset's constant RL learning rate is 3e-5).</summary>
    public const double ResumedLearningRate = 2e-5;

    public TempFolder Tmp { get; } = new();
    public string A => Tmp.File("A");
    public string B => Tmp.File("B");
    public string Database => Tmp.File("kimi.db");
    public CliResult First { get; }
    public CliResult Second { get; }
    public string RunId { get; }

    public ResumedRun()
    {
        var config = TinyRun.WriteConfig(Tmp.Path);
        First = CliRunner.Run(["train", "--preset", "smoke", "--config", config, "--out", A, "--iterations", $"{FirstIterations}", .. CliRunner.StorageIn(Tmp.Path)]);
        RunId = File.Exists(Path.Combine(A, "summary.json")) ? Summary(A).GetProperty("run_id").GetString()! : "(no summary)";
        Second = CliRunner.Run(["train", "--resume", RunId, "--out", B, "--iterations", $"{MoreIterations}",
            "--set", $"kimi.optimization.learning-rate={ResumedLearningRate}", .. CliRunner.StorageIn(Tmp.Path)]);
    }

    public static JsonElement Summary(string runDir) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json"))).RootElement.Clone();

    public void Dispose() => Tmp.Dispose();
}

public sealed class ResumeAndEvalTests(ResumedRun runs) : IClassFixture<ResumedRun>
{
    [Fact]
    public void A_resumed_run_starts_at_the_last_committed_iteration_with_the_success_rates_the_first_left()
    {
        Assert.True(runs.First.ExitCode == 0, runs.First.ToString());
        Assert.True(runs.Second.ExitCode == 0, runs.Second.ToString());

        var a = ResumedRun.Summary(runs.A);
        var b = ResumedRun.Summary(runs.B);
        Assert.Equal("cluster", a.GetProperty("engine").GetString());
        Assert.Equal(0, a.GetProperty("start_iteration").GetInt32());
        Assert.Equal(ResumedRun.FirstIterations, a.GetProperty("iterations").GetInt32());
        Assert.Equal(runs.RunId, b.GetProperty("run_id").GetString());
        Assert.Equal(ResumedRun.FirstIterations, b.GetProperty("start_iteration").GetInt32());
        Assert.Equal(ResumedRun.MoreIterations, b.GetProperty("iterations").GetInt32());
        Assert.Contains($"iterations {ResumedRun.FirstIterations}..{ResumedRun.FirstIterations + ResumedRun.MoreIterations}", runs.Second.Stdout);

        // Each run folder's metrics hold its own iterations, numbered on from where the first stopped; the resumed
        // iterations train at the learning rate --set gave.
        var first = MetricsJsonlReader.ReadNumericRows(Path.Combine(runs.A, "metrics.jsonl"));
        var second = MetricsJsonlReader.ReadNumericRows(Path.Combine(runs.B, "metrics.jsonl"));
        Assert.Equal([0.0, 1, 2], first.Select(r => r["iteration"]));
        Assert.Equal([3.0, 4], second.Select(r => r["iteration"]));
        Assert.All(first, r => Assert.Equal(3e-5, r["learning_rate"], 1e-12));
        Assert.All(second, r => Assert.Equal(ResumedRun.ResumedLearningRate, r["learning_rate"], 1e-12));

        // The success rates the resumed run started from are exactly those the first run left.
        var left = PromptStatsFile.Read(Path.Combine(runs.A, PromptStatsFile.FileName));
        var resumedFrom = PromptStatsFile.Read(Path.Combine(runs.B, PromptStatsFile.StartFileName));
        Assert.Equal(ResumedRun.FirstIterations * TinyRun.PromptsPerIteration * TinyRun.SamplesPerPrompt, left.Values.Sum(c => c.Attempts));
        Assert.Equal(left.OrderBy(p => p.Key.Value, StringComparer.Ordinal), resumedFrom.OrderBy(p => p.Key.Value, StringComparer.Ordinal));
        Assert.False(File.Exists(Path.Combine(runs.A, PromptStatsFile.StartFileName)), "a new run has no resumed-from counts");

        // ... and it added its own iterations' groups on top of them.
        var end = PromptStatsFile.Read(Path.Combine(runs.B, PromptStatsFile.FileName));
        foreach (var (id, counts) in left)
            Assert.True(end[id].Attempts >= counts.Attempts && end[id].Successes >= counts.Successes, id.Value);
        Assert.Equal(ResumedRun.MoreIterations * TinyRun.PromptsPerIteration * TinyRun.SamplesPerPrompt,
            end.Values.Sum(c => c.Attempts) - left.Values.Sum(c => c.Attempts));
    }

    [Fact]
    public void Eval_reports_accuracy_per_difficulty_of_a_checkpoint_that_train_wrote()
    {
        Assert.True(runs.First.ExitCode == 0, runs.First.ToString());
        // The test prompts of the first run (same generator, seed and sizes), as a prompt-set file.
        var heldOut = PromptSetBuilder.Build([BuiltinTasks.ByName("sum")], TinyRun.TrainPerLevel, TinyRun.ValidationPerLevel, TinyRun.HeldOutPerLevel,
            seed: 1).Test;
        var prompts = runs.Tmp.File("heldout.jsonl");
        PromptSet.Write(prompts, heldOut);
        var checkpoint = Path.Combine(runs.A, "checkpoints", "final");

        var result = CliRunner.Run("eval", "--checkpoint", checkpoint, "--prompts", prompts, "--max-response-tokens", $"{TinyRun.MaxResponseTokens}");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var levels = heldOut.GroupBy(p => p.Difficulty).OrderBy(g => g.Key).ToList();
        Assert.True(levels.Count >= 2, "the held-out set spans several difficulties");
        foreach (var level in levels)
        {
            var row = Assert.Single(lines, l => l.StartsWith($"difficulty {level.Key} "));
            var cells = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);   // difficulty, d, prompts, correct, accuracy
            Assert.Equal(level.Count(), int.Parse(cells[2]));
            Assert.Equal(int.Parse(cells[3]) / (double)level.Count(), double.Parse(cells[4]), precision: 3);
        }
        var all = Assert.Single(lines, l => l.StartsWith("all "));
        var overall = double.Parse(all.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]);
        // Greedy decoding of the same prompts with the same weights: the run's own final greedy accuracy.
        Assert.Equal(ResumedRun.Summary(runs.A).GetProperty("rl_greedy_accuracy").GetDouble(), overall, precision: 3);
    }

    [Fact]
    public void Resuming_a_run_the_database_does_not_hold_is_refused()
    {
        using var tmp = new TempFolder();
        File.Copy(runs.Database, tmp.File("kimi.db"));

        var result = CliRunner.Run(["train", "--resume", "run-that-never-was", "--out", tmp.File("run"), .. CliRunner.StorageIn(tmp.Path)]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("kimi: error: run run-that-never-was: no run with id run-that-never-was in the journal " +
            $"(SQLite file '{tmp.File("kimi.db")}')", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void A_refused_hyperparameter_on_resume_names_the_key_and_does_not_continue_the_run()
    {
        using var tmp = new TempFolder();
        var db = tmp.File("kimi.db");
        File.Copy(runs.Database, db);
        var before = File.ReadAllBytes(db);

        var result = CliRunner.Run(["train", "--resume", runs.RunId, "--out", tmp.File("run"), "--iterations", "1",
            "--set", "kimi.rollout.temperature=-1", .. CliRunner.StorageIn(tmp.Path)]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("kimi: error: run " + runs.RunId + ": kimi.rollout.temperature = -1", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.Equal(before, File.ReadAllBytes(db));
    }

    [Fact]
    public void A_journal_that_was_damaged_is_refused_and_left_byte_for_byte()
    {
        Assert.True(runs.First.ExitCode == 0, runs.First.ToString());
        using var tmp = new TempFolder();
        var damaged = tmp.File("kimi.db");
        var journal = File.ReadAllBytes(runs.Database);
        File.WriteAllBytes(damaged, journal[..(journal.Length / 2)]);

        var result = CliRunner.Run(["train", "--resume", runs.RunId, "--out", tmp.File("run"), .. CliRunner.StorageIn(tmp.Path, database: damaged)]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"database file '{damaged}'", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.Equal(journal[..(journal.Length / 2)], File.ReadAllBytes(damaged));
    }
}
