using Kimi.Actors.Host.Output;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Host.Tests;

public sealed class ConsoleProgressTests
{
    private const char Escape = '\u001b';

    private static string[] Lines(StringWriter text) => text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static EvaluationReport Report(string mode, int correct, TimeSpan elapsed) => new(mode, 10, new SliceAccuracy(10, correct),
        new SortedDictionary<int, SliceAccuracy> { [1] = new(5, Math.Min(5, correct)), [2] = new(5, Math.Max(0, correct - 5)) },
        new Dictionary<string, SliceAccuracy> { ["arithmetic"] = new(10, correct) }, 12.5, elapsed);

    [Fact]
    public void A_resumed_run_counts_its_iterations_from_one()
    {
        var text = new StringWriter();
        using (var progress = new ConsoleProgress(text, interactive: false))
        {
            progress.OnPhase("rl", 2);
            progress.OnIteration(new IterationMetrics { Iteration = 3, RewardMean = 0.25 });   // the first iteration after resuming at 3
            progress.OnIteration(new IterationMetrics { Iteration = 4, RewardMean = 0.5 });
        }

        var lines = Lines(text);
        Assert.Equal(3, lines.Length);
        Assert.Equal("reinforcement learning: 2 iterations", lines[0]);
        Assert.StartsWith("rl 1/2 (50%)  reward 0.250  acc ", lines[1]);
        Assert.StartsWith("rl 2/2 (100%)  reward 0.500  acc ", lines[2]);
        Assert.DoesNotContain(Escape, text.ToString());
    }

    [Fact]
    public void Plain_progress_skips_steps_within_the_interval_but_never_a_held_out_result()
    {
        var text = new StringWriter();
        var progress = new ConsoleProgress(text, interactive: false, plainInterval: TimeSpan.FromHours(1));
        progress.OnPhase("sft", 50);
        for (int step = 0; step < 50; step++) progress.OnSftStep(new SftStepStats(step, 1.5, 1e-3, 4, 2, 100, TimeSpan.FromSeconds(0.1)));
        progress.OnPhase("rl", 20);
        for (int i = 0; i < 20; i++) progress.OnIteration(new IterationMetrics { Iteration = i, ValidationAccuracy = i == 9 ? 0.625 : null });

        var lines = Lines(text);
        Assert.Equal(["warm-up SFT: 50 steps", "reinforcement learning: 20 iterations"], lines.Where(l => !l.StartsWith("sft ") && !l.StartsWith("rl ")));
        Assert.Equal(["sft 1/50", "sft 50/50"], lines.Where(l => l.StartsWith("sft ")).Select(l => l.Split(' ')[0] + " " + l.Split(' ')[1]));
        Assert.Equal(["rl 1/20", "rl 10/20", "rl 20/20"], lines.Where(l => l.StartsWith("rl ")).Select(l => l.Split(' ')[0] + " " + l.Split(' ')[1]));
        Assert.Contains("validation 0.625", lines.Single(l => l.StartsWith("rl 10/20")));
    }

    [Fact]
    public void An_evaluation_prints_both_measurements_per_difficulty_with_their_time()
    {
        var text = new StringWriter();
        var progress = new ConsoleProgress(text, interactive: false);
        var sampled = Report("pass@1 (T=1, n=4)", 6, TimeSpan.FromSeconds(2.25));
        var greedy = Report("greedy", 8, TimeSpan.FromSeconds(0.5));
        progress.OnEvaluation("validation", 10, new HeldOutEvaluation(greedy, sampled, PrimaryMetric.Sampled));

        Assert.Equal(
        [
            "validation pass@1 (T=1, n=4) during rl (iteration 10): 0.600 on 10 prompts  [d1 1.000  d2 0.200]  2.2 s",
            "validation greedy during rl (iteration 10): 0.800 on 10 prompts  [d1 1.000  d2 0.600]  0.5 s",
        ], Lines(text));
    }

    [Fact]
    public void More_steps_than_announced_never_break_the_live_bar()
    {
        var text = new StringWriter();
        using (var progress = new ConsoleProgress(text, interactive: true))
        {
            progress.OnPhase("rl", 1);
            progress.OnIteration(new IterationMetrics { Iteration = 0 });
            progress.OnIteration(new IterationMetrics { Iteration = 1 });
        }
        Assert.Contains(Escape, text.ToString());
        Assert.Contains("1/1", text.ToString());
        Assert.Contains("rl 2/1 (100%)", text.ToString());   // past the announced end: a line of its own
    }
}
