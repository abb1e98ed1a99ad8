using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Host.Commands;

/// <summary>
/// <c>kimi runs audit RUN_ID</c>: exactly-once, checked in the journal after the fact — every trajectory the Prompt
/// entities journaled as judged against every trajectory the trainer reported it trained on, by id. Exit 0 when nothing
/// was lost, doubled or trained unjudged; 1 otherwise; 2 for an unknown run or a bad database.
/// </summary>
public static class RunsCommand
{
    public sealed record AuditArguments(string RunId, bool Json, IReadOnlyList<string> ConfigFiles, IReadOnlyList<string> Settings);

    public static Command Create()
    {
        var runId = new Argument<string>("RUN_ID") { Description = "the run to audit" };
        var json = new Option<bool>("--json") { Description = "one JSON object on stdout instead of the table" };
        var config = CliOptions.Repeated("--config", "FILE", "a HOCON file with the node's persistence settings (repeatable)");
        var set = CliOptions.Repeated("--set", "key=value", "one setting, e.g. --set persistence.sqlite-file=data/kimi.db (repeatable)");
        var audit = new Command("audit", "judged vs trained trajectories of a run, by id: lost, duplicated, trained unjudged, pending") { runId, json, config, set };
        audit.SetAction(r => Audit(new AuditArguments(r.GetValue(runId)!, r.GetValue(json), r.GetValue(config)!, r.GetValue(set)!),
            r.InvocationConfiguration.Output));
        return new Command("runs", "inspect the runs a journal holds") { audit };
    }

    public static int Audit(AuditArguments args, TextWriter stdout)
    {
        if (!RunId.TryParse(args.RunId, out var runId, out var problem)) throw new UsageException($"runs audit: {problem}");
        var config = KimiConfigLoader.Load(null, args.ConfigFiles, args.Settings, TrainCommand.NodeLayers);
        var journal = ClusterBootstrap.Journal(config);
        if (journal.SqliteFile is { } file && (!File.Exists(file) || new FileInfo(file).Length == 0))
            throw new UsageException($"runs audit: no run with id {runId}: the journal {journal.Description} does not exist or is empty");
        // Reading needs no cluster: a local system with the node's persistence settings.
        var local = Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(config);
        var system = ClusterBootstrap.Create("kimi-audit", local);
        RunAuditReport report;
        try { report = RunAuditReport.AuditAsync(system, runId).WaitAsync(TimeSpan.FromMinutes(10)).GetAwaiter().GetResult(); }
        finally { system.Terminate().Wait(TimeSpan.FromSeconds(10)); }
        if (report.CommittedIterations == 0 && report.Judged == 0)
            throw new UsageException($"runs audit: no run with id {runId} has committed anything in the journal ({journal.Description})");

        if (args.Json) stdout.WriteLine(ToJson(report).ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        else Print(report, stdout);
        return report.ExactlyOnce ? CliProgram.ExitOk : CliProgram.ExitFailed;
    }

    public static JsonObject ToJson(RunAuditReport r)
    {
        static JsonArray Ids(IEnumerable<TrajectoryId> ids) => new([.. ids.Select(i => JsonValue.Create(i.ToString()))]);
        return new JsonObject
        {
            ["run_id"] = r.RunId.Value, ["committed_iterations"] = r.CommittedIterations, ["judged"] = r.Judged, ["trained"] = r.Trained,
            ["lost"] = r.Lost.Count, ["duplicated"] = r.Duplicated.Count, ["unjudged"] = r.Unjudged.Count, ["pending"] = r.Pending.Count,
            ["superseded"] = r.Superseded.Count, ["rolled_back_commits"] = r.RolledBackCommits,
            ["exactly_once"] = r.ExactlyOnce,
            ["lost_ids"] = Ids(r.Lost), ["duplicated_ids"] = Ids(r.Duplicated), ["unjudged_ids"] = Ids(r.Unjudged), ["pending_ids"] = Ids(r.Pending),
            ["superseded_ids"] = Ids(r.Superseded),
        };
    }

    private static void Print(RunAuditReport r, TextWriter w)
    {
        w.WriteLine($"run {r.RunId}: {r.CommittedIterations} committed iterations, {r.Judged} trajectories judged, {r.Trained} trained");
        void Line(string label, IReadOnlyList<TrajectoryId> ids, string meaning)
        {
            w.WriteLine($"  {label,-10} {ids.Count,6}  {meaning}");
            foreach (var id in ids.Take(20)) w.WriteLine($"             {id}");
            if (ids.Count > 20) w.WriteLine($"             ... and {ids.Count - 20} more (--json lists all)");
        }
        Line("lost", r.Lost, "judged in a committed iteration, never trained");
        Line("duplicated", r.Duplicated, "trained more than once");
        Line("unjudged", r.Unjudged, "trained without a journaled verdict");
        Line("pending", r.Pending, "judged in an iteration that never committed (trains when the run continues)");
        if (r.RolledBackCommits > 0 || r.Superseded.Count > 0)
            Line("superseded", r.Superseded,
                $"judged in an iteration a fallback from a damaged checkpoint took back ({r.RolledBackCommits} commits taken back; it ran again)");
        w.WriteLine(r.ExactlyOnce ? "  exactly once: yes" : "  exactly once: NO");
    }
}
