using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Model;
using Kimi.Actors.Rl.Objectives;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Sampling;

namespace Kimi.Bench.Ablation;

/// <summary>
/// The report's ablations on this code: the same budget (base preset, iterations, seeds) with one method piece on and
/// off, each arm a run configuration override trained by the local engine, over several seeds; test-set pass@1 and
/// mean response tokens per arm as mean ± standard deviation and range, each arm against its study's reference
/// paired by seed.
/// </summary>
public static class AblationBenchmark
{
    public const string DefaultPreset = "smoke", NoPreset = "none";

    public static Command Create() => Create(() => new LocalCellRunner());

    /// <summary>The command with <paramref name="runner"/> training the cells (tests give one that trains nothing).</summary>
    public static Command Create(Func<IAblationCellRunner> runner)
    {
        var studies = CliOptions.Repeated("--study", "NAME",
            $"a comparison to run (repeatable): {string.Join(", ", AblationStudies.Names)}, or {AblationStudies.All} (the default)");
        var seeds = CliOptions.Int("--seeds", "N", "seeds per cell", min: 1, defaultValue: 3);
        var firstSeed = CliOptions.Int("--first-seed", "N", "the first seed; the others follow it", min: 0, defaultValue: 1);
        var iterations = CliOptions.Int("--iterations", "N", "RL iterations of every arm (the budget)", min: 1, defaultValue: 20);
        var tokenBudget = CliOptions.Int("--token-budget", "N",
            $"the partial-rollouts arm's rollout.token-budget (default: prompts-per-iteration x samples-per-prompt x {AblationStudies.TokensPerResponse})", min: 1);
        var preset = CliOptions.Text("--preset", "NAME",
            $"the base preset every arm overrides ({string.Join(", ", KimiConfigLoader.Presets)}, or {NoPreset}: hocon/kimi.conf alone)", DefaultPreset,
            p => p == NoPreset || KimiConfigLoader.Presets.Contains(p) ? null : $"expected one of {string.Join(", ", KimiConfigLoader.Presets)} or {NoPreset}");
        var layers = new ConfigLayerOptions();
        var json = CliOptions.Text("--json", "FILE", "also write the results as JSON (rewritten after every cell, so a stopped run keeps what finished)");
        var command = new Command("ablation",
            "test-set pass@1 and response tokens with one k1.5 method piece on and off, over several seeds, on the local engine")
        {
            studies, seeds, firstSeed, iterations, tokenBudget, preset, layers.Config, layers.Set, json,
        };
        command.SetAction(r =>
        {
            var names = r.GetValue(studies)!;
            foreach (var name in names)
                if (AblationStudies.Problem(name) is { } problem) throw new UsageException($"ablation: --study {name}: {problem}");
            var p = r.GetValue(preset)!;
            var layerValues = new BaseLayers(p == NoPreset ? null : p, r.GetValue(layers.Config)!, r.GetValue(layers.Set)!);
            int first = r.GetValue(firstSeed);
            var seedList = Enumerable.Range(0, r.GetValue(seeds)).Select(i => (long)first + i).ToList();
            var plan = AblationPlan.Build(layerValues, names.Length == 0 ? [AblationStudies.All] : names, seedList, r.GetValue(iterations), r.GetValue(tokenBudget));
            using var cells = runner();
            return Run(plan, cells, r.GetValue(json), r.InvocationConfiguration.Output, r.InvocationConfiguration.Error);
        });
        return command;
    }

    public static int Run(AblationPlan plan, IAblationCellRunner runner, string? jsonPath, TextWriter stdout, TextWriter stderr)
    {
        var c = CultureInfo.InvariantCulture;
        var machine = Machine.Now();
        stderr.WriteLine(string.Create(c,
            $"ablation: {plan.Studies.Count} studies, {plan.Configs.Count} distinct configurations x {plan.Seeds.Count} seeds = {plan.Cells.Count} runs of {plan.Iterations} iterations " +
            $"on {plan.Base.Preset ?? "hocon/kimi.conf"}; {machine.Cpus} CPUs, load average {machine.LoadAverage}"));
        TorchRuntime.SetThreads(plan.Cells[0].Options.Threads);
        var outcomes = new Dictionary<(int Config, long Seed), CellOutcome>();
        var wall = Stopwatch.StartNew();
        for (int i = 0; i < plan.Cells.Count; i++)
        {
            var cell = plan.Cells[i];
            var outcome = runner.Run(cell);
            outcomes[(cell.Config.Index, cell.Seed)] = outcome;
            var sft = outcome.SftSeconds > 0 ? string.Create(c, $" (+ warm-up SFT {outcome.SftSeconds:F0} s, shared by the seed's arms)") : "";
            stderr.WriteLine(outcome.Failed
                ? $"ablation: [{i + 1}/{plan.Cells.Count}] seed {cell.Seed}, {string.Join(" = ", cell.Config.UsedBy)}: failed: {outcome.Failure}"
                : string.Create(c, $"ablation: [{i + 1}/{plan.Cells.Count}] seed {cell.Seed}, {string.Join(" = ", cell.Config.UsedBy)}: test pass@1 " +
                    $"{outcome.SftAccuracy:F3} -> {outcome.TestAccuracy:F3}, {outcome.MeanResponseTokens:F1} tokens, {outcome.RunSeconds:F0} s{sft}"));
            if (jsonPath is not null) WriteJson(jsonPath, plan, outcomes, machine, Machine.Now(), wall.Elapsed, complete: false);
        }
        var rows = ArmSummary.Of(plan, outcomes);
        WriteTable(stdout, rows, outcomes);
        stdout.WriteLine(string.Create(c, $"{plan.Cells.Count} runs in {wall.Elapsed.TotalMinutes:F1} min; load average at the end {Machine.Now().LoadAverage}"));
        if (jsonPath is not null) WriteJson(jsonPath, plan, outcomes, machine, Machine.Now(), wall.Elapsed, complete: true);
        return outcomes.Values.Any(o => o.Failed) ? CliProgram.ExitFailed : CliProgram.ExitOk;
    }

    /// <summary>The machine the numbers came from: a shared one is worth saying.</summary>
    private sealed record Machine(int Cpus, string LoadAverage)
    {
        public static Machine Now()
        {
            string load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
            return new Machine(Environment.ProcessorCount, load);
        }
    }

    private static string Format(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
    // A value that rounds to zero prints as +0.000, never as -0.000.
    private static string Signed(double v, string format) => v.ToString($"+{format};-{format};+{format}", CultureInfo.InvariantCulture);
    private static string MeanStdRange(Spread? s, string format) =>
        s is null ? "-" : $"{Format(s.Mean, format)} ± {Format(s.Std, format)} [{Format(s.Min, format)}, {Format(s.Max, format)}]";
    private static string Versus(ArmComparison? v, string format) => v is null ? "" :
        $"{Signed(v.Delta.Mean, format)} [{Signed(v.Delta.Min, format)}, {Signed(v.Delta.Max, format)}] {(v.OutsideSpread ? "OUTSIDE" : "within")}";

    private static void WriteTable(TextWriter stdout, IReadOnlyList<ArmSummary> rows, IReadOnlyDictionary<(int, long), CellOutcome> outcomes)
    {
        var console = ReportConsole.For(stdout);
        // Plain mode writes a Markdown table for logs and BENCHMARKS.md: one line per arm beats the default width's wrapping.
        if (!console.Interactive) console.Console.Profile.Width = 240;
        var table = console.NewTable("study", "arm", "n", "test pass@1 mean ± sd [min, max]", "Δ vs first arm [per-seed range]",
            "response tokens", "Δ tokens", "after SFT", "observed");
        foreach (var row in rows)
            table.AddTextRow(row.Study, row.Arm.Name, row.MissingSeeds.Count == 0 ? row.Seeds.Count.ToString(CultureInfo.InvariantCulture) : $"{row.Seeds.Count} (missing {string.Join(", ", row.MissingSeeds)})",
                MeanStdRange(row.Accuracy, "0.000"), Versus(row.VsReference, "0.000"), row.Tokens is { } t ? $"{Format(t.Mean, "0.0")} ± {Format(t.Std, "0.0")}" : "-",
                Versus(row.TokensVsReference, "0.0"), row.SftAccuracy is { } sft ? Format(sft.Mean, "0.000") : "-", Observed(row, outcomes));
        console.Write(table);
    }

    /// <summary>Evidence that the arm's piece acted: the objective trained, the first iteration's top level, cut responses, length reward.</summary>
    private static string Observed(ArmSummary row, IReadOnlyDictionary<(int, long), CellOutcome> outcomes)
    {
        var seen = row.Seeds.Select(s => outcomes[(row.Config, s)].Observed).ToList();
        if (seen.Count == 0) return "";
        return $"{string.Join("/", seen.SelectMany(o => o.Objectives).Distinct())} L{seen.Max(o => o.FirstEligibleLevel)} " +
            $"cut {Format(seen.Average(o => o.MeanCutFraction), "P0")} lr {Signed(seen.Average(o => o.MeanLengthPenalty), "0.000")}";
    }

    private static JsonObject SpreadJson(Spread? s) => s is null ? new JsonObject() : new JsonObject
    {
        ["mean"] = Math.Round(s.Mean, 6), ["std"] = Math.Round(s.Std, 6), ["min"] = Math.Round(s.Min, 6), ["max"] = Math.Round(s.Max, 6), ["n"] = s.Count,
    };

    private static JsonNode? ComparisonJson(ArmComparison? v) => v is null ? null : new JsonObject
    {
        ["delta"] = SpreadJson(v.Delta), ["outside_spread"] = v.OutsideSpread,
    };

    private static void WriteJson(string path, AblationPlan plan, IReadOnlyDictionary<(int Config, long Seed), CellOutcome> outcomes, Machine start, Machine now,
        TimeSpan wall, bool complete)
    {
        var rows = ArmSummary.Of(plan, outcomes);
        var studies = new JsonArray();
        foreach (var study in plan.Studies)
        {
            var arms = new JsonArray();
            foreach (var row in rows.Where(r => r.Study == study.Name))
                arms.Add(new JsonObject
                {
                    ["arm"] = row.Arm.Name, ["settings"] = new JsonArray(row.Arm.Settings.Select(s => (JsonNode)s).ToArray()), ["config"] = row.Config,
                    ["seeds"] = new JsonArray(row.Seeds.Select(s => (JsonNode)s).ToArray()),
                    ["missing_seeds"] = new JsonArray(row.MissingSeeds.Select(s => (JsonNode)s).ToArray()),
                    ["test_accuracy"] = SpreadJson(row.Accuracy), ["mean_response_tokens"] = SpreadJson(row.Tokens), ["sft_accuracy"] = SpreadJson(row.SftAccuracy),
                    ["accuracy_vs_reference"] = ComparisonJson(row.VsReference), ["tokens_vs_reference"] = ComparisonJson(row.TokensVsReference),
                });
            studies.Add(new JsonObject { ["study"] = study.Name, ["question"] = study.Question, ["reference"] = study.Reference.Name, ["arms"] = arms });
        }
        var cells = new JsonArray();
        foreach (var cell in plan.Cells.Where(c => outcomes.ContainsKey((c.Config.Index, c.Seed))))
        {
            var o = outcomes[(cell.Config.Index, cell.Seed)];
            var options = cell.Options;
            cells.Add(new JsonObject
            {
                ["config"] = cell.Config.Index, ["seed"] = cell.Seed, ["arms"] = new JsonArray(cell.Config.UsedBy.Select(a => (JsonNode)a.ToString()).ToArray()),
                // What the engine was given, from the bound options (not the settings' text).
                ["options"] = new JsonObject
                {
                    ["objective"] = ObjectiveKinds.Name(options.Optimization.Objective), ["sampling"] = options.Sampling.Strategy.ToName(),
                    ["length_penalty_weight"] = options.LengthPenalty.Weight, ["length_penalty_warmup"] = options.LengthPenalty.WarmupIterations,
                    ["token_budget"] = options.Rollout.TokenBudget ?? 0, ["iterations"] = options.Iterations,
                },
                ["failure"] = o.Failure,
                ["sft_accuracy"] = Math.Round(o.SftAccuracy, 6), ["test_accuracy"] = Math.Round(o.TestAccuracy, 6), ["greedy_accuracy"] = Math.Round(o.GreedyAccuracy, 6),
                ["mean_response_tokens"] = Math.Round(o.MeanResponseTokens, 3), ["sft_mean_response_tokens"] = Math.Round(o.SftMeanResponseTokens, 3),
                ["test_prompts"] = o.TestPrompts, ["run_seconds"] = Math.Round(o.RunSeconds, 1), ["sft_seconds"] = Math.Round(o.SftSeconds, 1),
                ["observed"] = new JsonObject
                {
                    ["objectives"] = new JsonArray(o.Observed.Objectives.Select(x => (JsonNode)x).ToArray()),
                    ["first_eligible_level"] = o.Observed.FirstEligibleLevel, ["mean_cut_fraction"] = Math.Round(o.Observed.MeanCutFraction, 4),
                    ["resumed"] = o.Observed.Resumed, ["mean_length_reward"] = Math.Round(o.Observed.MeanLengthPenalty, 5),
                    ["train_response_tokens"] = Math.Round(o.Observed.TrainResponseTokens, 2),
                },
            });
        }
        var root = new JsonObject
        {
            ["benchmark"] = "ablation", ["complete"] = complete, ["preset"] = plan.Base.Preset ?? NoPreset,
            ["config_files"] = new JsonArray(plan.Base.Files.Select(f => (JsonNode)f).ToArray()),
            ["settings"] = new JsonArray(plan.Base.Settings.Concat(AblationPlan.Fixed(plan.Iterations)).Select(s => (JsonNode)s).ToArray()),
            ["iterations"] = plan.Iterations, ["token_budget"] = plan.TokenBudget, ["seeds"] = new JsonArray(plan.Seeds.Select(s => (JsonNode)s).ToArray()),
            ["engine"] = "local",
            ["shared_sft_per_seed"] = plan.Cells.GroupBy(c => c.Seed).All(g => g.Select(c => c.SftKey).Distinct().Count() == 1),
            ["machine"] = new JsonObject { ["cpus"] = start.Cpus, ["load_average_start"] = start.LoadAverage, ["load_average_now"] = now.LoadAverage },
            ["wall_seconds"] = Math.Round(wall.TotalSeconds, 1),
            ["studies"] = studies, ["cells"] = cells,
        };
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
