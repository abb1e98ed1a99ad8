using System.Globalization;
using System.Text.Json.Nodes;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using Spectre.Console;
using static Kimi.Actors.Cluster.Management.Control.ControlProtocol;
using static Kimi.Actors.Cluster.Protocol.RunControlProtocol;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Console;

/// <summary>The console's replies as JSON documents (<c>--json</c>: stable snake_case keys) and as tables and lines.</summary>
public static class Views
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>The metrics the console shows per iteration: (metrics.jsonl key, column).</summary>
    private static readonly (string Key, string Column)[] MetricColumns =
    [
        ("reward_mean", "reward"), ("accuracy", "accuracy"), ("response_length_mean", "length"), ("loss", "loss"),
        ("tau", "tau"), ("learning_rate", "lr"), ("iteration_seconds", "s/iter"), ("heldout_accuracy", "held-out"),
    ];

    public static string StateName(RunStatusKind state) => state.ToString().ToLowerInvariant();

    /// <summary>Kebab-case: WarmupSft → warmup-sft.</summary>
    public static string PhaseName(RunPhase? phase) => phase is { } p
        ? string.Concat(p.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()))
        : "";

    public static JsonObject Status(RunStatus s) => new()
    {
        ["run_id"] = s.RunId.Value, ["state"] = StateName(s.State), ["phase"] = s.Phase is null ? null : PhaseName(s.Phase),
        ["iteration"] = s.Iteration, ["weight_version"] = s.WeightVersion, ["target_iterations"] = s.TargetIterations,
        ["last_accuracy"] = s.LastAccuracy,
    };

    public static JsonObject Hyperparameters(IReadOnlyDictionary<string, string> values)
    {
        var o = new JsonObject();
        foreach (var (name, value) in values) o[name] = ConsoleSession.ToNode(HyperparameterLog.Typed(value));
        return o;
    }

    public static JsonObject? Metrics(IterationMetrics? m)
    {
        if (m is null) return null;
        var o = new JsonObject();
        foreach (var (key, value) in m.ToRow()) o[key] = value;
        if (m.Hyperparameters is { } h) o[HyperparameterLog.Tag] = Hyperparameters(h);
        return o;
    }

    public static JsonObject Details(RunDetails d, ClusterView? view)
    {
        var o = Status(d.Status);
        o["hyperparameters"] = Hyperparameters(d.Hyperparameters);
        o["pending"] = new JsonArray([.. d.Pending.Select(p => (JsonNode)Pending(p))]);
        o["last_metrics"] = Metrics(d.LastMetrics);
        o["worker_restarts"] = d.WorkerRestarts;
        o["failure"] = d.Failure;
        o["started_at"] = d.StartedAtUtc?.ToString("O", C);
        if (view is not null) o["nodes"] = Nodes(view);
        return o;
    }

    public static JsonObject Pending(PendingChange p) => new()
    {
        ["key"] = p.Name, ["config_key"] = p.Key, ["value"] = ConsoleSession.ToNode(HyperparameterLog.Typed(p.Value)),
        ["applies_from_iteration"] = p.FromIteration,
    };

    public static JsonArray Nodes(ClusterView view) => new([.. view.Nodes.Select(n => (JsonNode)new JsonObject
    {
        ["address"] = n.Address, ["status"] = n.Status, ["reachable"] = n.Reachable, ["roles"] = new JsonArray([.. n.Roles.Select(r => (JsonNode)r)]),
        ["entities"] = ConsoleSession.ToNode(n.Entities),
    })]);

    // ------------------------------------------------------------------ human

    public static void WriteDetails(ReportConsole console, RunDetails d, ClusterView? view)
    {
        var s = d.Status;
        console.WriteLine($"run {s.RunId}: {StateName(s.State)}" + (s.Phase is { } p && PhaseName(p) != StateName(s.State) ? $" ({PhaseName(p)})" : "") +
            $", {s.Iteration} of {s.TargetIterations} iterations committed, weight version {s.WeightVersion}" +
            (s.LastAccuracy is { } a ? $", held-out accuracy {a.ToString("0.000", C)}" : ""));
        var facts = new List<string>();
        if (d.StartedAtUtc is { } started) facts.Add($"started {started.ToString("yyyy-MM-dd HH:mm:ss", C)} UTC");
        facts.Add($"worker restarts {d.WorkerRestarts}");
        if (d.Failure is { } failure) facts.Add($"failed: {failure}");
        console.WriteLine(string.Join("; ", facts));
        if (d.LastMetrics is { } m)
        {
            var row = m.ToRow();
            console.WriteLine($"last iteration {m.Iteration}: " + string.Join("  ",
                MetricColumns.Where(c => row.ContainsKey(c.Key)).Select(c => $"{c.Column} {Number(row[c.Key])}")));
        }
        var table = console.NewTable("hyperparameter", "value", "pending");
        foreach (var (name, value) in d.Hyperparameters)
        {
            var pending = d.Pending.FirstOrDefault(x => x.Name == name);
            table.AddTextRow(name, value, pending is null ? "" : $"{pending.Value} from iteration {pending.FromIteration}");
        }
        console.Write(table);
        if (view is not null) WriteNodes(console, view);
    }

    public static void WriteNodes(ReportConsole console, ClusterView view)
    {
        string[] types = ["run", "prompt", "rollout", "trainer", "judge"];
        var table = console.NewTable(["node", "status", "roles", .. types]);
        foreach (var n in view.Nodes)
            table.AddTextRow([n.Address, n.Status + (n.Reachable ? "" : " (unreachable)"), string.Join(",", n.Roles),
                .. types.Select(t => n.Entities.TryGetValue(t, out int c) ? c.ToString(C) : "")]);
        console.Write(table);
        if (view.Problem is { } problem) console.WriteLine(problem);
    }

    public static Table MetricsTable(ReportConsole console, IEnumerable<IterationMetrics> rows)
    {
        var table = console.NewTable(["iteration", .. MetricColumns.Select(c => c.Column)]);
        foreach (var m in rows)
        {
            var row = m.ToRow();
            table.AddTextRow([m.Iteration.ToString(C), .. MetricColumns.Select(c => row.TryGetValue(c.Key, out var v) ? Number(v) : "")]);
        }
        return table;
    }

    /// <summary>One line for an iteration (plain mode of <c>watch</c>).</summary>
    public static string IterationLine(IterationMetrics m)
    {
        var row = m.ToRow();
        return $"iteration {m.Iteration}: " + string.Join("  ", MetricColumns.Where(c => row.ContainsKey(c.Key)).Select(c => $"{c.Column} {Number(row[c.Key])}"));
    }

    /// <summary>One row per rule: those in force on the answering node, then rules that fired somewhere and are no longer in force.</summary>
    public sealed record FaultRow(string Rule, string? Hocon, string Source, int Injections);

    public static IReadOnlyList<FaultRow> FaultRows(ClusterFaults f)
    {
        int Fired(string rule) => f.Nodes.Sum(n => n.ByRule.TryGetValue(rule, out int c) ? c : 0);
        var rows = f.InForce.Select(r => new FaultRow(r.ToString(), r.ToHocon(), f.Injected.Contains(r) ? "injected" : "configured", Fired(r.ToString()))).ToList();
        var listed = rows.Select(r => r.Rule).ToHashSet(StringComparer.Ordinal);
        rows.AddRange(f.Nodes.SelectMany(n => n.ByRule.Keys).Distinct().Where(k => !listed.Contains(k)).Order(StringComparer.Ordinal)
            .Select(k => new FaultRow(k, null, "no longer in force", Fired(k))));
        return rows;
    }

    public static JsonObject Faults(ClusterFaults f) => new()
    {
        ["node"] = f.Node, ["enabled"] = f.Enabled,
        ["rules"] = new JsonArray([.. FaultRows(f).Select(r => (JsonNode)new JsonObject
        {
            ["rule"] = r.Rule, ["hocon"] = r.Hocon, ["source"] = r.Source, ["injections"] = r.Injections,
        })]),
        ["nodes"] = new JsonArray([.. f.Nodes.Select(n => (JsonNode)new JsonObject
        {
            ["node"] = n.Node, ["enabled"] = n.Enabled, ["injected"] = n.Injected, ["by_rule"] = ConsoleSession.ToNode(n.ByRule),
        })]),
        ["unanswered"] = new JsonArray([.. f.Unanswered.Select(u => (JsonNode)u)]),
    };

    public static void WriteFaults(ReportConsole console, ClusterFaults f)
    {
        var rows = FaultRows(f);
        if (rows.Count == 0) console.WriteLine($"no fault rules in force on {f.Node} (inject RULE adds one)");
        else
        {
            var rules = console.NewTable("rule", "source", "injections");
            foreach (var r in rows) rules.AddTextRow(r.Rule, r.Source, r.Injections.ToString(C));
            console.Write(rules);
        }
        var nodes = console.NewTable("node", "fault injection", "injected");
        foreach (var n in f.Nodes) nodes.AddTextRow(n.Node, n.Enabled ? "on" : "off", n.Injected.ToString(C));
        console.Write(nodes);
        if (f.Unanswered.Count > 0) console.WriteLine($"did not answer in time: {string.Join(", ", f.Unanswered)}");
    }

    public static string Number(double v) =>
        double.IsNaN(v) ? "NaN" : v != 0 && (Math.Abs(v) < 1e-3 || Math.Abs(v) >= 1e6) ? v.ToString("0.###e0", C) : v.ToString("0.####", C);
}
