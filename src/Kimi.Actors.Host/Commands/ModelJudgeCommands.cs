using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Judging.ModelJudges;
using Kimi.Actors.Tasks;
using static TorchSharp.torch;

namespace Kimi.Actors.Host.Commands;

/// <summary>
/// <c>kimi judge model|train|eval</c>: one model judgement for scripts, training a judge checkpoint on the built-in tasks'
/// labelled examples, and measuring judges side by side on the held-out examples their training never saw.
/// </summary>
public static class ModelJudgeCommands
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static Option<string> DeviceOption() => CliOptions.Device("cpu, cuda or cuda:N", defaultValue: "cpu", allowAuto: false);

    private static Device ResolveDevice(string command, string name)
    {
        try { return TorchRuntime.ResolveDevice(name); }
        catch (ArgumentException e) { throw new UsageException($"judge {command}: --device {name}: {e.Message}"); }
    }

    public static Command Model()
    {
        var checkpoint = CliOptions.Text("--checkpoint", "DIR", "a judge folder (kimi judge train --out DIR)").Required();
        var question = CliOptions.Text("--question", "TEXT", "the question (a prompt)").Required();
        var reference = CliOptions.Text("--reference", "TEXT", "its reference answer").Required();
        var response = CliOptions.Text("--response", "TEXT", "the response to judge").Required();
        var json = new Option<bool>("--json") { Description = "print {\"correct\": bool, \"reason\": ..., \"judge\": KIND[, \"score\": p]}" };
        var device = DeviceOption();
        var command = new Command("model", "judge one response with a model judge (chain of thought or value head)")
        {
            checkpoint, question, reference, response, json, device,
        };
        command.SetAction(r =>
        {
            using var judge = ModelJudge.Load(r.GetValue(checkpoint)!, ResolveDevice("model", r.GetValue(device)!));
            var verdict = judge.Judge(new JudgeQuery(r.GetValue(question)!, r.GetValue(reference)!, r.GetValue(response)!));
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
            {
                var fields = new Dictionary<string, object> { ["correct"] = verdict.Correct, ["reason"] = verdict.Reason, ["judge"] = judge.Kind.Name() };
                if (verdict.Score is { } p) fields["score"] = Math.Round(p, 4);
                output.WriteLine(JsonSerializer.Serialize(fields, Json));
            }
            else output.WriteLine($"{(verdict.Correct ? "correct" : "incorrect")}: {verdict.Reason}");
            return 0;
        });
        return command;
    }

    public static Command Train()
    {
        var defaults = new JudgeTrainingOptions();
        var kind = CliOptions.Text("--kind", "KIND", $"the judge: {string.Join(" or ", ModelJudgeKinds.Names)} (cot for short)", k =>
            ModelJudgeKinds.TryParse(k, out _) ? null : $"expected {string.Join(" or ", ModelJudgeKinds.Names)}").Required();
        var output = CliOptions.Text("--out", "DIR", "where the judge checkpoint goes (created; files in it are replaced)").Required();
        var steps = CliOptions.Int("--steps", "N", "optimizer steps", min: 1, defaultValue: defaults.Steps);
        var batch = CliOptions.Int("--batch-size", "N", "examples per step", min: 1, defaultValue: defaults.BatchSize);
        var rate = CliOptions.Text("--learning-rate", "LR", "peak learning rate (AdamW, warm-up then cosine)", defaults.LearningRate.ToString(CultureInfo.InvariantCulture), PositiveNumber);
        var hidden = CliOptions.Int("--hidden-size", "N", "the decoder's width", min: 8, defaultValue: defaults.HiddenSize);
        var layers = CliOptions.Int("--layers", "N", "the decoder's layers", min: 1, defaultValue: defaults.Layers);
        var (families, trainPrompts, heldOutPrompts, variants, seed) = ExampleOptions(defaults.Examples);
        var device = DeviceOption();
        var threads = CliOptions.Int("--threads", "N", "CPU threads for libtorch (0: one per core)", min: 0, defaultValue: 0);
        var command = new Command("train", "train a model judge on labelled examples from the built-in tasks (sum, countdown, code)")
        {
            kind, output, steps, batch, rate, hidden, layers, families, trainPrompts, heldOutPrompts, variants, seed, device, threads,
        };
        command.SetAction(r =>
        {
            var examples = ReadExampleOptions(r, "train", families, trainPrompts, heldOutPrompts, variants, seed);
            var options = defaults with
            {
                Kind = ModelJudgeKinds.Parse(r.GetValue(kind)!), Examples = examples, Steps = r.GetValue(steps), BatchSize = r.GetValue(batch),
                LearningRate = double.Parse(r.GetValue(rate)!, CultureInfo.InvariantCulture), HiddenSize = r.GetValue(hidden), Layers = r.GetValue(layers),
                Seed = r.GetValue(seed),
            };
            try { options.Validate(); }
            catch (ArgumentException e) { throw new UsageException($"judge train: --{e.Message}"); }
            TorchRuntime.SetThreads(r.GetValue(threads));
            var stdout = r.InvocationConfiguration.Output;
            var split = examples.Build();
            stdout.WriteLine($"training a {options.Kind.Name()} judge on {split.Train.Count} examples ({examples}); {split.HeldOut.Count} held out");
            int every = Math.Max(1, options.Steps / 10);
            var trained = JudgeTrainer.Train(options, split.Train, ResolveDevice("train", r.GetValue(device)!), s =>
            {
                if ((s.Step + 1) % every == 0 || s.Step == 0)
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {s.Step + 1}/{options.Steps}: loss {s.Loss:0.0000}, lr {s.LearningRate:0.00000}"));
            });
            using (trained.Judge)
            {
                var dir = r.GetValue(output)!;
                trained.Save(dir);
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"trained {options.Kind.Name()} judge ({trained.Record.Parameters:N0} parameters) on the {trained.Record.Examples} examples that fit its context in {trained.Record.Seconds:0.0} s, final loss {trained.Record.FinalLoss:0.0000} -> {dir}"));
            }
            return 0;
        });
        return command;
    }

    public static Command Eval()
    {
        var checkpoints = CliOptions.Repeated("--checkpoint", "DIR", "a judge folder; repeat to compare judges (all trained on the same examples)");
        var limit = CliOptions.Int("--limit", "N", "judge only the first N held-out examples (0: all)", min: 0, defaultValue: 0);
        var json = new Option<bool>("--json") { Description = "print the measurement as JSON" };
        var device = DeviceOption();
        var threads = CliOptions.Int("--threads", "N", "CPU threads for libtorch (0: one per core)", min: 0, defaultValue: 0);
        var command = new Command("eval", "measure judges on the held-out labelled examples of their training (no canonical form shared with it)")
        {
            checkpoints, limit, json, device, threads,
        };
        command.SetAction(r =>
        {
            var dirs = r.GetValue(checkpoints) ?? [];
            if (dirs.Length == 0) throw new UsageException("judge eval: --checkpoint DIR is required (repeat it to compare judges)");
            var manifests = dirs.Select(JudgeManifest.Read).ToList();
            var examples = manifests[0].Examples
                ?? throw new UsageException($"judge eval: {Path.Combine(dirs[0], JudgeManifest.FileName)}: no \"examples\": the judge was not trained by kimi judge train");
            for (int i = 1; i < dirs.Length; i++)
                if (!examples.Equals(manifests[i].Examples))
                    throw new UsageException($"judge eval: {dirs[i]} was trained on other examples than {dirs[0]} ({manifests[i].Examples?.ToString() ?? "none recorded"} vs {examples})");
            TorchRuntime.SetThreads(r.GetValue(threads));
            var held = examples.Build().HeldOut;
            if (r.GetValue(limit) is > 0 and var n) held = held.Take(n).ToList();
            if (held.Count == 0) throw new UsageException($"judge eval: no held-out examples ({examples})");
            var target = ResolveDevice("eval", r.GetValue(device)!);
            var reports = dirs.Select(dir =>
            {
                using var judge = ModelJudge.Load(dir, target);
                return JudgeAccuracy.Measure(judge, held);
            }).ToList();
            var stdout = r.InvocationConfiguration.Output;
            if (r.GetValue(json)) stdout.WriteLine(JsonSerializer.Serialize(ToJson(examples, held.Count, dirs, reports), Json));
            else WriteTable(stdout, examples, held.Count, dirs, reports);
            return 0;
        });
        return command;
    }

    private static string? PositiveNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? null : "expected a number > 0";

    private static (Option<string> Families, Option<int> Train, Option<int> HeldOut, Option<int> Variants, Option<int> Seed) ExampleOptions(JudgeExampleOptions d) =>
        (CliOptions.Text("--families", "LIST", "task families of the examples, comma-separated", string.Join(",", d.Families)),
         CliOptions.Int("--train-prompts", "N", "training prompts per family and level", min: 1, defaultValue: d.TrainPromptsPerLevel),
         CliOptions.Int("--heldout-prompts", "N", "held-out prompts per family and level", min: 0, defaultValue: d.HeldOutPromptsPerLevel),
         CliOptions.Int("--variants", "N", "responses per prompt, half of them correct", min: 2, defaultValue: d.VariantsPerPrompt),
         CliOptions.Int("--seed", "N", "seed of the examples and of the judge's weights", min: 0, defaultValue: d.Seed));

    private static JudgeExampleOptions ReadExampleOptions(ParseResult r, string command, Option<string> families, Option<int> train, Option<int> heldOut,
        Option<int> variants, Option<int> seed)
    {
        var names = r.GetValue(families)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var unknown = names.FirstOrDefault(n => !JudgeExamples.Families.Contains(n));
        if (names.Length == 0 || unknown is not null)
            throw new UsageException($"judge {command}: --families {r.GetValue(families)}: expected some of {string.Join(", ", JudgeExamples.Families)}");
        return new JudgeExampleOptions
        {
            Families = names, TrainPromptsPerLevel = r.GetValue(train), HeldOutPromptsPerLevel = r.GetValue(heldOut), VariantsPerPrompt = r.GetValue(variants), Seed = r.GetValue(seed),
        };
    }

    private static string Percent(AccuracyCount c) => c.Total == 0 ? "-" : (100 * c.Accuracy).ToString("0.0", CultureInfo.InvariantCulture);

    private static void WriteTable(TextWriter output, JudgeExampleOptions examples, int count, string[] dirs, IReadOnlyList<JudgeAccuracyReport> reports)
    {
        var console = ReportConsole.For(output);
        console.WriteLine($"held-out accuracy (%) on {count} labelled examples ({examples}); majority class: always the larger label of the row");
        var table = console.NewTable(["held-out", "examples", "majority class", .. reports.Select((rep, i) => $"{rep.Kind.Name()} ({Path.GetFileName(Path.TrimEndingDirectorySeparator(dirs[i]))})")]);
        static string Majority(AccuracyCount c) => c.Total == 0 ? "-" : (100 * c.Majority).ToString("0.0", CultureInfo.InvariantCulture);
        table.AddTextRow(["all", count.ToString(CultureInfo.InvariantCulture), Majority(reports[0].Overall), .. reports.Select(rep => Percent(rep.Overall))]);
        foreach (var (family, c) in reports[0].ByFamily)
            table.AddTextRow([$"family {family}", c.Total.ToString(CultureInfo.InvariantCulture), Majority(c), .. reports.Select(rep => Percent(rep.ByFamily[family]))]);
        foreach (var (kind, c) in reports[0].ByKind)
            table.AddTextRow([$"{(kind.IsCorrect() ? "correct" : "wrong")}: {kind.Name()}", c.Total.ToString(CultureInfo.InvariantCulture), "",
                .. reports.Select(rep => Percent(rep.ByKind[kind]))]);
        table.AddTextRow(["unreadable verdicts", "", "", .. reports.Select(rep => rep.Unreadable.ToString(CultureInfo.InvariantCulture))]);
        table.AddTextRow(["judging time (s)", "", "", .. reports.Select(rep => rep.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture))]);
        console.Write(table);
    }

    private static Dictionary<string, object> ToJson(JudgeExampleOptions examples, int count, string[] dirs, IReadOnlyList<JudgeAccuracyReport> reports)
    {
        static Dictionary<string, object> Count(AccuracyCount c) => new()
        {
            ["correct"] = c.Correct, ["total"] = c.Total, ["accuracy"] = Math.Round(c.Accuracy, 4), ["labelled_correct"] = c.Positives, ["majority"] = Math.Round(c.Majority, 4),
        };
        return new Dictionary<string, object>
        {
            ["examples"] = examples, ["heldout"] = count, ["chance"] = Math.Round(reports[0].Chance, 4),
            ["judges"] = reports.Select((rep, i) => new Dictionary<string, object>
            {
                ["checkpoint"] = dirs[i], ["judge"] = rep.Kind.Name(), ["overall"] = Count(rep.Overall),
                ["by_family"] = rep.ByFamily.ToDictionary(p => p.Key, p => Count(p.Value)),
                ["by_kind"] = rep.ByKind.ToDictionary(p => p.Key.Name(), p => Count(p.Value)),
                ["unreadable"] = rep.Unreadable, ["seconds"] = Math.Round(rep.Elapsed.TotalSeconds, 1),
            }).ToList(),
        };
    }
}
