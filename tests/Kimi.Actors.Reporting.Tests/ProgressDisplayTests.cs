using Spectre.Console;

namespace Kimi.Actors.Reporting.Tests;

public sealed class ProgressDisplayTests
{
    private const char Escape = '\u001b';

    private static string[] Lines(StringWriter text) => text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void Plain_mode_prints_the_first_the_last_and_forced_steps_as_plain_lines()
    {
        var text = new StringWriter();
        using (var progress = new ProgressDisplay(ReportConsole.For(text), plainInterval: TimeSpan.FromHours(1)))
        {
            progress.Begin("rl", "reinforcement learning: 4 iterations", 4);
            progress.Update(1, "reward 0.1");
            progress.Update(2, "reward 0.2");
            progress.Update(3, "reward 0.3", force: true);
            progress.WriteLine("held-out 0.5");
            progress.Update(4, "reward 0.4");
        }

        var lines = Lines(text);
        Assert.Equal(5, lines.Length);
        Assert.Equal("reinforcement learning: 4 iterations", lines[0]);
        Assert.StartsWith("rl 1/4 (25%)  reward 0.1  eta ", lines[1]);
        Assert.StartsWith("rl 3/4 (75%)  reward 0.3  eta ", lines[2]);
        Assert.Equal("held-out 0.5", lines[3]);
        Assert.Equal("rl 4/4 (100%)  reward 0.4  eta 00:00", lines[4]);
        Assert.DoesNotContain(Escape, text.ToString());
    }

    [Fact]
    public void Plain_mode_prints_a_line_once_the_interval_has_passed()
    {
        var text = new StringWriter();
        var progress = new ProgressDisplay(ReportConsole.For(text), plainInterval: TimeSpan.Zero);
        progress.Begin("sft", "warm-up SFT: 100 steps", 100);
        for (int step = 1; step <= 5; step++) progress.Update(step, "loss 1");
        Assert.Equal(6, Lines(text).Length);
    }

    [Fact]
    public void A_writer_that_is_not_the_process_console_is_plain()
    {
        Assert.False(ReportConsole.IsTerminal(new StringWriter()));
        Assert.False(ReportConsole.For(new StringWriter()).Interactive);
    }

    [Fact]
    public void Live_mode_redraws_with_ansi_and_ends_at_the_last_step()
    {
        var text = new StringWriter();
        using (var progress = new ProgressDisplay(ReportConsole.For(text, interactive: true)))
        {
            progress.Begin("rl", "reinforcement learning: 1 iterations", 1);
            Assert.True(progress.Interactive);
            progress.Update(1, "reward 0.1");
            progress.Update(2, "reward 0.2");
            progress.WriteLine("held-out 0.5");
        }
        string output = text.ToString();
        Assert.Contains(Escape, output);
        Assert.Contains("reinforcement learning: 1 iterations", output);
        Assert.Contains("1/1", output);
        Assert.Contains("rl 2/1 (100%)  reward 0.2", output);   // past the announced end: a line of its own
        Assert.Contains("held-out 0.5", output);
    }

    [Fact]
    public void Live_mode_ends_with_the_phase_or_on_dispose()
    {
        var text = new StringWriter();
        var progress = new ProgressDisplay(ReportConsole.For(text, interactive: true));
        progress.Begin("sft", "warm-up SFT: 10 steps", 10);
        progress.Update(3, "loss 2.5");
        // A second phase replaces the first live display (Spectre allows one at a time), then dispose ends it.
        progress.Begin("rl", "reinforcement learning: 10 iterations", 10);
        progress.Update(1, "reward 0.1");
        progress.Dispose();
        int length = text.ToString().Length;
        Thread.Sleep(300);
        Assert.Equal(length, text.ToString().Length);   // nothing redraws after the end
        Assert.Contains("3/10", text.ToString());
    }

    [Fact]
    public void A_live_bar_that_cannot_start_falls_back_to_plain_lines()
    {
        // Spectre runs one live display per console at a time: hold one open, then start the progress on that console.
        var text = new StringWriter();
        var console = ReportConsole.For(text, interactive: true);
        var started = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var other = Task.Run(() => console.Console.Status().Start("busy", _ => { started.SetResult(); release.Task.Wait(); }));
        Assert.True(started.Task.Wait(TimeSpan.FromSeconds(10)), "the other live display started");
        try
        {
            using var progress = new ProgressDisplay(console, plainInterval: TimeSpan.FromHours(1));
            progress.Begin("rl", "reinforcement learning: 2 iterations", 2);
            progress.Update(1, "reward 0.1");
            Assert.Contains("live progress unavailable", text.ToString());
            Assert.Contains("rl 1/2 (50%)  reward 0.1", text.ToString());
        }
        finally
        {
            release.SetResult();
            other.Wait(TimeSpan.FromSeconds(10));
        }
    }
}
