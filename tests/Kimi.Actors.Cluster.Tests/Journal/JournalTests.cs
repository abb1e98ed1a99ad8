using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Protocol.Journal;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Cluster.Tests.Run;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using Microsoft.Data.Sqlite;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace Kimi.Actors.Cluster.Tests.Journal;

/// <summary>
/// The journal is versioned data: every persisted type round-trips through the journal's serializer, an event this
/// build cannot read is refused rather than misread, and a journal written by an earlier build of this schema (the
/// committed fixture) is still recovered. The fixture is the compatibility contract the next schema change must keep.
/// </summary>
public sealed class JournalTests() : TestKit(ClusterBootstrap.Setup(NodeConfig.For()), "journal")
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Journal", "Fixtures");

    internal static IEnumerable<object> DomainEvents()
    {
        var key = new GroupKey(new PromptId("p-1"), 3);
        var trajectory = new Trajectory(key.Sample(0), [5, 6, 7], [-0.5f, -1.25f, float.MinValue], StopReason.Stop, [new Segment(0, 2, 6), new Segment(2, 1, 7)]);
        var cut = new Trajectory(key.Sample(1), [5], [-0.75f], StopReason.Budget, [new Segment(0, 1, 7)]);
        var report = new EvaluationReport("greedy", 2, new SliceAccuracy(2, 1),
            new Dictionary<int, SliceAccuracy> { [1] = new(1, 1), [2] = new(1, 0) },
            new Dictionary<string, SliceAccuracy> { ["arithmetic"] = new(2, 1) }, 17.5, TimeSpan.FromMilliseconds(1234));
        var evaluation = new HeldOutEvaluation(report, report with { Mode = "pass@1 (T=1, n=4)" }, PrimaryMetric.Sampled);
        var metrics = new IterationMetrics
        {
            Iteration = 3, WeightVersion = 5, Prompts = 2, Samples = 16, RewardMean = 0.5, Accuracy = 0.5, GradNorm = double.NaN,
            OverheadFraction = 0.02, ValidationAccuracy = 0.7, ValidationAccuracyByDifficulty = new Dictionary<int, double> { [1] = 0.8, [2] = 0.6 },
        };
        yield return new RunStarted("kimi.run { seed = 1 }\nkimi.tasks { families = [\"sum\"] }", 10, new DateTime(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc));
        yield return new TargetExtended(15);
        yield return new HyperparameterChanged("kimi.optimization.tau", "2", 4, new DateTime(2026, 11, 28, 12, 30, 5, DateTimeKind.Utc));
        yield return new SftFinished(1, new CheckpointRef("/data/checkpoints/run-1/v000001", new string('c', 64)), 120.5);
        foreach (var label in Enum.GetValues<EvaluationLabel>()) yield return new HeldOutRecorded(label, 10, evaluation);
        yield return new IterationCommitted(3, 5, new CheckpointRef("/data/checkpoints/run-1/v000005", new string('d', 64)), metrics,
            new ReplaySnapshot([new OpenGroup(key, 2, [1, 2, 3], [new JudgedTrajectory(trajectory, 1, true, "correct")], [cut])]),
            [new TrainedGroup(new GroupKey(new PromptId("p-0"), 2), [new GroupKey(new PromptId("p-0"), 2).Sample(0), new GroupKey(new PromptId("p-0"), 2).Sample(1)])]);
        yield return new IterationCommitted(4, 5, new CheckpointRef("/c", ""), new IterationMetrics(), ReplaySnapshot.Empty, []);
        yield return new RunPaused();
        yield return new RunUnpaused();
        yield return new RunCompleted(10);
        yield return new RolledBack(4, 3, 6, new CheckpointRef("/data/checkpoints/run-1/v000005", new string('d', 64)),
            ["the checkpoint of iteration 4 (/data/checkpoints/run-1/v000006) is damaged: SHA-256 differs"]);
        yield return new GroupJudged(RunId.Parse("run-1"), new PromptId("p-1"), 3, 2, [0, 1], [true, false]);
        yield return new PromptSnapshot(RunId.Parse("run-1"), new PromptId("p-1"), 2, 10, 4, 3, new Dictionary<int, int[]> { [2] = [0, 1, 2], [3] = [0] });
    }

    [Fact]
    public void Every_persisted_type_round_trips_through_the_journal_serializer()
    {
        var samples = DomainEvents().ToList();
        var covered = samples.Select(e => JournalMapper.ToJournal(e).GetType()).ToHashSet();
        Assert.Equal(JournalSchema.Events.Values.Select(v => v.Type).ToHashSet(), covered);
        foreach (var domain in samples)
        {
            var stored = JournalMapper.ToJournal(domain);
            var serializer = Sys.Serialization.FindSerializerFor(stored);
            var journal = Assert.IsType<KimiJournalSerializer>(serializer);
            var bytes = journal.ToBinary(stored);
            var back = JournalMapper.FromJournal((IJournalEvent)journal.FromBinary(bytes, journal.Manifest(stored)));
            DeepEquality.AssertEqual(domain, back, domain.GetType().Name, exactCollections: false);
            // Plain JSON with its schema version first: readable without this build.
            var json = JsonNode.Parse(bytes)!.AsObject();
            Assert.Equal(JournalSchema.Events[journal.Manifest(stored)].Version, json["v"]!.GetValue<int>());
            Assert.Equal("v", json.First().Key);
        }
    }

    [Fact]
    public void A_version_1_hyperparameter_change_is_read_and_upgraded_without_a_time()
    {
        var serializer = new KimiJournalSerializer((ExtendedActorSystem)Sys);
        // As builds before timed changes wrote it.
        var v1 = """{"v":1,"key":"kimi.optimization.tau","value":"0.5","from_iteration":3}""";
        var read = Assert.IsType<HyperparameterChangedV1>(serializer.FromBinary(Encoding.UTF8.GetBytes(v1), "hyperparameter-changed"));
        Assert.Equal(new HyperparameterChanged("kimi.optimization.tau", "0.5", 3, null), JournalMapper.FromJournal(read));
        // This build writes version 2, with the time.
        var at = new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc);
        var json = JsonNode.Parse(serializer.ToBinary(JournalMapper.ToJournal(new HyperparameterChanged("kimi.optimization.tau", "0.5", 3, at))))!.AsObject();
        Assert.Equal(2, json["v"]!.GetValue<int>());
        Assert.Equal(at, json["at_utc"]!.GetValue<DateTime>().ToUniversalTime());
    }

    [Fact]
    public void The_stored_form_names_no_CLR_type()
    {
        foreach (var domain in DomainEvents())
        {
            var text = Encoding.UTF8.GetString(new KimiJournalSerializer((ExtendedActorSystem)Sys).ToBinary(JournalMapper.ToJournal(domain)));
            Assert.DoesNotContain("Kimi.Actors", text);
            Assert.DoesNotContain("$type", text);
        }
    }

    [Theory]
    [InlineData("iteration-committed", """{"v":2,"iteration":0}""", "schema version 2, newer than this build reads (1)")]
    [InlineData("run-started", """{"v":99,"config":""}""", "schema version 99")]
    [InlineData("run-exploded", """{"v":1}""", "unknown journal event type 'run-exploded'")]
    [InlineData("group-judged", """{"v":1,"run":""" + "\"run-1\"" + """,""", "malformed")]
    [InlineData("run-completed", """{"end_iteration":3}""", "no schema version")]
    public void An_event_this_build_cannot_read_is_refused_not_misread(string manifest, string json, string reason)
    {
        var serializer = new KimiJournalSerializer((ExtendedActorSystem)Sys);
        var read = Assert.IsType<UnreadableJournalEvent>(serializer.FromBinary(Encoding.UTF8.GetBytes(json), manifest));
        Assert.Contains(reason, read.Reason);
        Assert.Contains(manifest, read.Reason);
        Assert.Throws<InvalidOperationException>(() => serializer.ToBinary(read));
    }

    [Fact]
    public async Task A_run_whose_journal_holds_a_newer_event_is_refused_and_its_journal_left_as_it_was()
    {
        using var db = new TempDatabase();
        var runId = RunId.Parse("run-newer");
        File.Copy(Path.Combine(Fixtures, "journal-v1.db"), db.File, overwrite: true);
        var fixtureRun = RunId.Parse(File.ReadAllText(Path.Combine(Fixtures, "journal-v1.run-id")).Trim());
        // A future build wrote version 2 of the run's first commit.
        Execute(db.File, $"UPDATE journal SET message = CAST(replace(CAST(message AS TEXT), '\"v\":1', '\"v\":2') AS BLOB) " +
            $"WHERE persistence_id = 'run-{fixtureRun}' AND manifest = 'iteration-committed' AND sequence_number = " +
            $"(SELECT MIN(sequence_number) FROM journal WHERE persistence_id = 'run-{fixtureRun}' AND manifest = 'iteration-committed')");
        var before = Rows(db.File);

        await using (var node = await RunNode.StartAsync(db))
        {
            var probe = CreateTestProbe(node.System);
            node.Node.Runs.Tell(new ContinueRun(fixtureRun, 1), probe.Ref);
            var refused = probe.ExpectMsg<RunRejected>(TimeSpan.FromSeconds(30));
            Assert.Contains("cannot be recovered from the journal", refused.Reason);
            Assert.Contains("iteration-committed", refused.Reason);
            Assert.Contains("schema version 2", refused.Reason);
            node.Node.Runs.Tell(new GetRunStatus(fixtureRun), probe.Ref);
            Assert.Equal(RunStatusKind.Failed, probe.ExpectMsg<RunStatus>().State);
            // Another run in the same database is unaffected.
            node.Node.Runs.Tell(new GetRunStatus(runId), probe.Ref);
            Assert.Equal(RunStatusKind.New, probe.ExpectMsg<RunStatus>().State);
        }
        Assert.Equal(before, Rows(db.File));
    }

    [Fact]
    public async Task A_journal_written_by_schema_version_1_is_recovered_by_this_build()
    {
        using var db = new TempDatabase();
        File.Copy(Path.Combine(Fixtures, "journal-v1.db"), db.File, overwrite: true);
        var runId = RunId.Parse(File.ReadAllText(Path.Combine(Fixtures, "journal-v1.run-id")).Trim());
        // What the fixture holds, read with plain SQL and JSON, not with the code under test.
        var rows = Rows(db.File);
        var commits = rows.Where(r => r.Manifest == "iteration-committed").Select(r => JsonNode.Parse(r.Json)!).ToList();
        int committed = commits.Max(c => c["iteration"]!.GetValue<int>()) + 1;
        long version = commits.Max(c => c["weight_version"]!.GetValue<long>());
        int judged = rows.Where(r => r.Manifest == "group-judged").Sum(r => JsonNode.Parse(r.Json)!["samples"]!.AsArray().Count);
        int trained = commits.Sum(c => c["trained"]!.AsArray().Sum(g => g!["samples"]!.AsArray().Count));
        var target = rows.Where(r => r.Manifest == "target-extended").Select(r => JsonNode.Parse(r.Json)!["target_iterations"]!.GetValue<int>()).Single();
        Assert.True(judged > 0 && trained > 0, "the fixture should hold judged and trained groups");

        await using var node = await RunNode.StartAsync(db);
        var probe = CreateTestProbe(node.System);
        node.Node.Runs.Tell(new GetRunStatus(runId), probe.Ref);
        var status = probe.ExpectMsg<RunStatus>(TimeSpan.FromSeconds(30));
        Assert.Equal((RunStatusKind.Completed, committed, version, target), (status.State, status.Iteration, status.WeightVersion, status.TargetIterations));
        Assert.NotNull(status.LastAccuracy);

        var audit = await RunAuditReport.AuditAsync(node.System, runId);
        Assert.Equal((committed, judged, trained), (audit.CommittedIterations, audit.Judged, audit.Trained));
        Assert.True(audit.ExactlyOnce);

        // The Prompt entities recover their counts (from snapshots) as the journal recorded them.
        var group = rows.First(r => r.Manifest == "group-judged");
        var promptId = new PromptId(group.PersistenceId[(group.PersistenceId.IndexOf('|') + 1)..]);
        var stats = await node.Node.Prompts.Ask<PromptProtocol.PromptStats>(new PromptProtocol.GetPromptStats(runId, promptId), TimeSpan.FromSeconds(10));
        var expected = rows.Where(r => r.PersistenceId == group.PersistenceId && r.Manifest == "group-judged")
            .Select(r => JsonNode.Parse(r.Json)!).ToList();
        Assert.Equal(expected.Sum(e => e["samples"]!.AsArray().Count), stats.Attempts);
        Assert.Equal(expected.Sum(e => e["correct"]!.AsArray().Count(c => c!.GetValue<bool>())), stats.Successes);

        // The hyperparameter change the fixture made is part of the recovered configuration.
        var change = JsonNode.Parse(rows.Single(r => r.Manifest == "hyperparameter-changed").Json)!;
        Assert.Equal(("kimi.optimization.tau", "2"), (change["key"]!.GetValue<string>(), change["value"]!.GetValue<string>()));
    }

    [Fact]
    public void A_database_written_before_journal_schema_v1_is_refused_before_anything_starts_and_left_untouched()
    {
        using var db = new TempDatabase();
        File.Copy(Path.Combine(Fixtures, "legacy-hyperion.db"), db.File, overwrite: true);
        var before = File.ReadAllBytes(db.File);
        var error = Assert.Throws<DatabaseException>(() => DatabasePreflight.Check(db.File));
        Assert.Contains(db.File, error.Message);
        Assert.Contains("before journal schema v1", error.Message);
        Assert.Contains("left untouched", error.Message);
        Assert.Equal(before, File.ReadAllBytes(db.File));
    }

    private sealed record Row(string PersistenceId, long Sequence, string Manifest, string Json);

    private static List<Row> Rows(string file)
    {
        using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT persistence_id, sequence_number, manifest, message FROM journal ORDER BY ordering";
        using var reader = command.ExecuteReader();
        var rows = new List<Row>();
        while (reader.Read())
            rows.Add(new Row(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), Encoding.UTF8.GetString((byte[])reader[3])));
        return rows;
    }

    private static void Execute(string file, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.Equal(1, command.ExecuteNonQuery());
    }
}
