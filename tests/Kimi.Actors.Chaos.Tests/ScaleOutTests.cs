using System.Text.RegularExpressions;
using Kimi.Actors.Host.Chaos;

namespace Kimi.Actors.Chaos.Tests;

/// <summary>
/// Scaling by role, as real processes: <c>kimi chaos --scenario scale-rollout</c> (ScaleOutScenario). Three generators
/// on two rollout nodes that share CPU 0; a third rollout node joins on CPU 1; then the first leaves on SIGTERM.
/// </summary>
public sealed partial class ChaosScenarioTests
{
    [Fact]
    public void Scale_rollout_moves_a_generator_onto_a_joining_node_and_hands_off_on_leave()
    {
        var (r, log) = Run("scale-rollout");
        Assert.True(r.Completed, "the run did not complete");
        var s = r.Scale!;

        // Before the join the three generators were on the two rollout nodes, two on one (least-shard allocation).
        Assert.Equal(3, s.GeneratorsBefore.Values.Sum());
        Assert.Subset(new HashSet<string> { "r1", "r2" }, s.GeneratorsBefore.Keys.ToHashSet());
        Assert.Equal(2, s.GeneratorsBefore.Values.Max());
        // The coordinator moved one generator shard from the node with two onto the joined node: one each.
        Assert.Equal(new Dictionary<string, int> { ["r1"] = 1, ["r2"] = 1, ["r3"] = 1 }, s.GeneratorsAfterJoin);
        // r3 really hosts it: its worker process started there, under the generator's shard.
        var r3Log = File.ReadAllText(Directory.GetFiles(Path.Combine(_work, "run"), "r3-*.log").Single());
        Assert.Matches(@"sharding/rollout-generator/\d+/run-[^/]+%7Crollout-\d/worker\] \[run-\S+-rollout-\d#1\] .*Remoting started", r3Log);

        // The move cost the iteration in flight, nothing more: the Run started its session again from its last commit.
        var n1Log = File.ReadAllText(Directory.GetFiles(Path.Combine(_work, "run"), "n1-*.log").Single());
        var restarts = Regex.Matches(n1Log, @"rollout-\d \(\S+\) is gone: its node left or died; the session starts again from iteration (\d+)")
            .Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.Contains(s.JoinIteration, restarts);

        // Rollout tokens/s, from metrics.jsonl: the iterations after the move decode faster than those before it (the
        // third of the groups on CPU 1 no longer waits for CPU 0; at most 1.5x). On a machine without CPU to spare the
        // joined node's CPU is shared with the other load and the gain is within the noise: then the numbers are
        // reported and not judged (ScaleReport.ThroughputMeasurable says when).
        Assert.True(s.Iterations.Count(i => i.Stage == ScaleIteration.Before) >= 2, "fewer than 2 iterations measured before the join");
        Assert.True(s.Iterations.Count(i => i.Stage == ScaleIteration.After) >= 3, "fewer than 3 iterations measured after the join");
        Assert.True(s.BeforeTokensPerSecond > 0 && s.AfterTokensPerSecond > 0);
        var rise = $"rollout tokens/s {s.BeforeTokensPerSecond} before the join, {s.AfterTokensPerSecond} after (x{s.Ratio}); " +
            $"load average {s.LoadAverage} on {s.Cpus} CPUs; other processes used {s.ForeignCpus} CPUs";
        output.WriteLine(rise);
        if (s.ThroughputMeasurable) Assert.True(s.Ratio >= ScaleReport.RequiredRatio, rise);

        // The leave: SIGTERM, coordinated shutdown, exit 143; r1's generator went to the others and the session went on.
        Assert.Equal(143, s.LeaveExitCode);
        Assert.Contains("r1 left, exit 143", log);
        Assert.False(s.GeneratorsAfterLeave.ContainsKey("r1"));
        Assert.Equal(3, s.GeneratorsAfterLeave.Values.Sum());
        Assert.Contains(restarts, i => i >= s.LeaveIteration);

        // Exactly once, by trajectory id, over the whole run: nothing judged was lost with the moves, nothing doubled.
        Assert.Equal((0, 0, 0), (r.Lost, r.Duplicated, r.Unjudged));
        Assert.Equal(12, r.CommittedIterations);
        Assert.Equal(12 * 12, r.GroupsExpected);
        Assert.Equal(r.GroupsExpected, r.GroupsTrained);
        Assert.Equal(r.GroupsTrained * 8, r.TrainedTrajectories);
        Assert.Equal(Enumerable.Range(2, 12).Select(v => (long)v), r.WeightVersions);
    }
}
