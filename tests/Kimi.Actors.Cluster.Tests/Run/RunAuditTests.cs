using Akka.Persistence.Query;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Protocol.Journal;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Cluster.Tests.Run;

/// <summary>The audit's comparison on journals made by hand: each way of breaking exactly-once is named, by trajectory id.</summary>
public class RunAuditTests
{
    private static readonly RunId Run = RunId.Parse("run-audit");
    private long _ordering;

    private EventEnvelope Envelope(object domainEvent, string persistenceId) =>
        new(Offset.Sequence(++_ordering), persistenceId, _ordering, JournalMapper.ToJournal(domainEvent), 0, null);

    private EventEnvelope Judged(string prompt, int iteration, params int[] samples) =>
        Envelope(new GroupJudged(Run, new PromptId(prompt), iteration, 1, samples, samples.Select(_ => true).ToArray()), $"prompt-{prompt}");

    private EventEnvelope Committed(int iteration, params (string Prompt, int Iteration, int[] Samples)[] trained) =>
        Envelope(new IterationCommitted(iteration, iteration + 2, new CheckpointRef("/c", ""), new IterationMetrics(), ReplaySnapshot.Empty,
            trained.Select(t => new TrainedGroup(new GroupKey(new PromptId(t.Prompt), t.Iteration), t.Samples.Select(s => new TrajectoryId(new PromptId(t.Prompt), t.Iteration, s)).ToList())).ToList()),
            "run-run-audit");

    [Fact]
    public void Judged_and_trained_once_is_exactly_once()
    {
        var prompts = new[] { Judged("a", 0, 0, 1), Judged("b", 0, 0, 1) };
        var run = new[] { Committed(0, ("a", 0, [0, 1]), ("b", 0, [0, 1])) };
        var report = RunAuditReport.Compare(Run, run, prompts);
        Assert.True(report.ExactlyOnce);
        Assert.Equal((1, 4, 4), (report.CommittedIterations, report.Judged, report.Trained));
    }

    [Fact]
    public void A_group_trained_twice_a_lost_one_and_an_unjudged_one_are_each_named()
    {
        var prompts = new List<EventEnvelope> { Judged("a", 0, 0, 1), Judged("b", 0, 0, 1) };
        var run = new List<EventEnvelope> { Committed(0, ("a", 0, [0, 1])), Committed(1, ("a", 0, [0, 1]), ("c", 1, [0])) };
        prompts.Add(Judged("d", 2, 0)); // after the last commit: pending, not lost
        var report = RunAuditReport.Compare(Run, run, prompts);
        Assert.False(report.ExactlyOnce);
        Assert.Equal(["a#0.0", "a#0.1"], report.Duplicated.Select(t => t.ToString()));
        Assert.Equal(["b#0.0", "b#0.1"], report.Lost.Select(t => t.ToString()));
        Assert.Equal(["c#1.0"], report.Unjudged.Select(t => t.ToString()));
        Assert.Equal(["d#2.0"], report.Pending.Select(t => t.ToString()));
        Assert.Equal((2, 5), (report.CommittedIterations, report.Trained));
    }
}
