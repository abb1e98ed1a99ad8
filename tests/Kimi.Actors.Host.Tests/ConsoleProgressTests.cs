using Kimi.Actors.Host.Output;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Host.Tests;

public sealed class ConsoleProgressTests
{
    [Fact]
    public void A_resumed_run_counts_its_iterations_from_one()
    {
        var text = new StringWriter();
        var progress = new ConsoleProgress(text, interactive: false);

        progress.OnPhase("rl", 2);
        progress.OnIteration(new IterationMetrics { Iteration = 3 });   // the first iteration after resuming at 3
        progress.OnIteration(new IterationMetrics { Iteration = 4 });

        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("reinforcement learning: 2 iterations", lines[0].TrimEnd());
        Assert.StartsWith("rl  [############............] 1/2", lines[1]);
        Assert.StartsWith("rl  [########################] 2/2", lines[2]);
    }

    [Fact]
    public void More_steps_than_announced_never_break_the_bar()
    {
        var text = new StringWriter();
        var progress = new ConsoleProgress(text, interactive: true);
        progress.OnPhase("rl", 1);
        progress.OnIteration(new IterationMetrics { Iteration = 0 });
        progress.OnIteration(new IterationMetrics { Iteration = 1 });
        Assert.Contains("2/1", text.ToString());
    }
}
