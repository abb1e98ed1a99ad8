using System.Diagnostics;
using Kimi.Actors.Host.Chaos;

namespace Kimi.Actors.Chaos.Tests;

/// <summary>The contention measure the scale test gates its throughput check on.</summary>
public sealed class CpuSampleTests
{
    [Fact]
    public void A_busy_child_process_counts_as_the_trees_time_and_not_as_foreign()
    {
        using var spinner = Process.Start(new ProcessStartInfo("sh", ["-c", "while :; do :; done"]) { UseShellExecute = false })!;
        try
        {
            var from = CpuSample.Take(Environment.ProcessId);
            Thread.Sleep(TimeSpan.FromSeconds(2));
            var to = CpuSample.Take(Environment.ProcessId);
            Assert.NotNull(from);
            Assert.NotNull(to);
            double tree = to!.TreeSeconds - from!.TreeSeconds, machine = to.MachineBusySeconds - from.MachineBusySeconds;
            // The spinner is runnable the whole time: on any machine it gets a good part of a CPU in 2 s.
            Assert.True(tree >= 0.3, $"the tree used {tree:0.00} s of CPU in 2 s with a spinning child");
            Assert.True(machine >= tree - 0.05, $"the machine was busy {machine:0.00} s, less than the tree's {tree:0.00} s");
            double? foreign = CpuSample.ForeignCpus(from, to);
            Assert.NotNull(foreign);
            double wall = (to.At - from.At).TotalSeconds;
            Assert.Equal(Math.Max(0, machine - tree) / wall, foreign!.Value, 6);
        }
        finally
        {
            spinner.Kill();
        }
    }
}
