using Kimi.Actors.Host.Output;
using Kimi.Actors.Host.Tests.Support;
using Kimi.Actors.Reporting;
using Kimi.Actors.Reporting.Tests;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Training;
using SkiaSharp;

namespace Kimi.Actors.Host.Tests;

/// <summary>What a run writes and prints from its observer calls: files, charts, the end-of-run table.</summary>
public sealed class RunOutputTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>10 prompts in two difficulties of 5; <paramref name="easy"/> and <paramref name="hard"/> correct in each.</summary>
    private static EvaluationReport Report(string mode, int easy, int hard, int samplesPerPrompt = 1) => new(mode, 10,
        new SliceAccuracy(10 * samplesPerPrompt, (easy + hard) * samplesPerPrompt),
        new SortedDictionary<int, SliceAccuracy> { [1] = new(5 * samplesPerPrompt, easy * samplesPerPrompt), [2] = new(5 * samplesPerPrompt, hard * samplesPerPrompt) },
        new SortedDictionary<string, SliceAccuracy> { ["arithmetic"] = new(10 * samplesPerPrompt, (easy + hard) * samplesPerPrompt) }, 12, TimeSpan.FromSeconds(1));

    private static HeldOutEvaluation Evaluation(int easy, int hard) =>
        new(Report("greedy", Math.Min(5, easy + 1), hard), Report("pass@1 (T=1, n=4)", easy, hard, samplesPerPrompt: 4), PrimaryMetric.Sampled);

    [Fact]
    public void The_accuracy_chart_and_tensorboard_hold_every_evaluation_of_the_run()
    {
        var folder = RunFolder.Prepare(_tmp.File("run"));
        using (var output = new RunOutputWriter(folder))
        {
            output.OnEvaluation("sft", 0, Evaluation(1, 0));
            output.OnEvaluation("validation", 0, Evaluation(2, 0));
            for (int i = 0; i < 6; i++)
            {
                output.OnIteration(new IterationMetrics { Iteration = i, RewardMean = i / 10.0, ResponseLengthMean = 20 + i, LogRatioMean = 0.01 });
                if (i == 2) output.OnEvaluation("validation", 3, Evaluation(4, 1));
            }
            output.OnEvaluation("validation", 6, Evaluation(4, 2));
            output.OnEvaluation("final", 6, Evaluation(5, 3));
            Assert.Equal(["accuracy.png", "log_ratio.png", "response_length.png", "reward.png"],
                output.WriteCharts().Select(Path.GetFileName).Order());
        }

        var scalars = TensorBoardReader.ReadScalars(Directory.GetFiles(folder.Path, "events.out.tfevents.*").Single());
        // The test set after SFT and at the end, the validation set at every evaluation of the learning curve.
        Assert.Equal([(0L, 0.1f), (6L, 0.8f)], scalars.Where(s => s.Tag == "test/accuracy").Select(s => (s.Step, s.Value)));
        Assert.Equal([(0L, 0f), (6L, 0.6f)], scalars.Where(s => s.Tag == "test/accuracy_d2").Select(s => (s.Step, s.Value)));
        Assert.Equal([(0L, 0.2f), (3L, 0.5f), (6L, 0.6f)], scalars.Where(s => s.Tag == "validation/accuracy").Select(s => (s.Step, s.Value)));
        Assert.Equal([(0L, 12f), (3L, 12f), (6L, 12f)], scalars.Where(s => s.Tag == "validation/mean_response_tokens").Select(s => (s.Step, s.Value)));
        Assert.DoesNotContain(scalars, s => s.Tag.StartsWith("heldout/"));
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), scalars.Where(s => s.Tag == "rl/reward_mean").Select(s => s.Step));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (double)i), MetricsJsonlReader.ReadNumericRows(folder.File("metrics.jsonl")).Select(r => r["iteration"]));

        // The learning curve: validation overall and one line per difficulty, and the test set's overall, each in its own colour.
        using var accuracy = SKBitmap.Decode(folder.File("accuracy.png"));
        Assert.Equal((640, 400), (accuracy.Width, accuracy.Height));
        int Pixels(int series)
        {
            var (r, g, b) = LineChart.SeriesColor(series);
            return accuracy.Pixels.Count(p => Math.Abs(p.Red - r) < 8 && Math.Abs(p.Green - g) < 8 && Math.Abs(p.Blue - b) < 8);
        }
        Assert.All(Enumerable.Range(0, 4), series => Assert.True(Pixels(series) > 50, $"series {series}: {Pixels(series)} pixels"));
        Assert.Equal(0, Pixels(4));
    }

    [Fact]
    public void The_end_of_run_table_reads_per_difficulty_domain_and_overall_in_plain_lines()
    {
        var text = new StringWriter();
        HeldOutTable.Write(text, Evaluation(2, 1), Evaluation(4, 1));

        Assert.DoesNotContain('\u001b', text.ToString());
        var rows = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('|')).Select(l => l.Trim('|').Split('|').Select(c => c.Trim()).ToArray()).ToList();
        Assert.Equal(["test pass@1 (T=1, n=4)", "prompts", "after SFT", "after RL", "change"], rows[0]);
        Assert.Equal(["difficulty 1", "5", "0.400", "0.800", "+0.400"], rows[2]);
        Assert.Equal(["difficulty 2", "5", "0.200", "0.200", "0.000"], rows[3]);
        Assert.Equal(["domain arithmetic", "10", "0.300", "0.500", "+0.200"], rows[4]);
        Assert.Equal(["all", "10", "0.300", "0.500", "+0.200"], rows[5]);
        Assert.Equal(6, rows.Count);
        // The headline is sampled pass@1, so the greedy accuracy follows on a line of its own.
        Assert.Contains("greedy: 0.400 after SFT, 0.600 after RL", text.ToString());
    }
}
