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

    private EventEnvelope RolledBackTo(int to, int from) =>
        Envelope(new RolledBack(from, to, 9, new CheckpointRef("/c", ""), ["damaged"]), "run-run-audit");

    [Fact]
    public void After_a_fallback_only_the_commits_that_survive_count_and_the_taken_back_iterations_verdicts_are_superseded()
    {
        // Iterations 0 and 1 commit; the checkpoint of 1 is damaged, the run falls back to 1 committed iteration and runs
        // iteration 1 again: prompt a is drawn again (its samples de-duplicated by the Prompt entity: no new event),
        // prompt c is new; b's verdicts belong to the taken-back attempt only.
        var events = new List<EventEnvelope>
        {
            Judged("x", 0, 0, 1), Committed(0, ("x", 0, [0, 1])),
            Judged("a", 1, 0, 1), Judged("b", 1, 0, 1), Committed(1, ("a", 1, [0, 1]), ("b", 1, [0, 1])),
            RolledBackTo(1, from: 2),
            Judged("c", 1, 0, 1), Committed(1, ("a", 1, [0, 1]), ("c", 1, [0, 1])),
        };
        var run = events.Where(e => e.PersistenceId == "run-run-audit").ToList();
        var prompts = events.Where(e => e.PersistenceId != "run-run-audit").ToList();
        var report = RunAuditReport.Compare(Run, run, prompts);
        Assert.True(report.ExactlyOnce, string.Join(", ", report.Duplicated.Concat(report.Lost)));
        Assert.Equal((2, 8, 6), (report.CommittedIterations, report.Judged, report.Trained));
        Assert.Equal(["b#1.0", "b#1.1"], report.Superseded.Select(t => t.ToString()));
        Assert.Equal(1, report.RolledBackCommits);
        Assert.Equal(["a#1.0", "a#1.1", "c#1.0", "c#1.1"], report.TrainedByIteration[1].Select(t => t.ToString()).Order());

        // Without the fallback fact the same journal is not exactly-once: a trained twice, b counted as trained.
        var unexplained = RunAuditReport.Compare(Run, run.Where(e => e.Event is not RolledBackV1).ToList(), prompts);
        Assert.Equal(["a#1.0", "a#1.1"], unexplained.Duplicated.Select(t => t.ToString()));
    }
}
